/* main.c - bakery-api: the FastCGI responder and its process model.
 *
 * One binary, three ways to run (SPEC §5):
 *   bakery-api --listen SOCK --processes N   own pre-fork pool (supervisor)
 *   spawn-fcgi -s SOCK -F N -- bakery-api    listening socket handed on fd 0
 *   any web server's CGI                     one request from the environment
 *
 * The supervisor (lib/prefork.c) holds only the listening socket: children
 * open their own connections after fork. It restarts a child that dies, stops
 * gracefully on SIGTERM (children finish their request) and on SIGHUP
 * re-executes itself, handing over the socket so no connection is refused
 * during a reload. This file is what a responder process does. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "api.h"
#include "cache.h"
#include "cli.h"
#include "clock.h"
#include "cmd_staff.h"
#include "log.h"
#include "metrics.h"
#include "prefork.h"
#include "router.h"

#define MAX_PROCESSES PREFORK_MAX
#define STOP_GRACE_SECONDS 10
#define LISTEN_BACKLOG 1024

extern char **environ;

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
	FCGX_ShutdownPending();
}

static void handle(struct app *app, FCGX_Request *fcgi, char **envp)
{
	struct request req;
	struct response res;

	response_init(&res);
	if (request_init(&req, fcgi, envp) < 0) {
		response_error(&res, 400, "bad_request", NULL, "The request could not be read.");
	} else {
		router_dispatch(app, &req, &res);
	}
	if (response_send(&res, &req) < 0)
		log_warn("client went away before the response was sent");
	response_release(&res);
	request_release(&req);
}

/* After a request: the broker's confirms of the orders placed are taken
 * as far as they have come while connections wait to be accepted; when
 * none waits, this waits for the confirms still due (up to wait_ms, or
 * until a connection comes) and marks their orders queued. */
static void settle_orders(struct app *app, int listen_fd, int wait_ms)
{
	long long deadline = clock_ms() + wait_ms;
	struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN }, { .events = POLLIN } };
	int waiting = 0; /* a connection waits to be accepted */

	for (;;) {
		long long left = deadline - clock_ms();

		api_orders_settle(app, 0);
		p[1].fd = api_orders_confirm_fd(app);
		if (p[1].fd < 0 || left <= 0)
			break;
		p[0].revents = p[1].revents = 0;
		if (poll(p, 2, (int)left) <= 0)
			break;
		if (p[0].revents & POLLIN) {
			waiting = 1;
			break;
		}
	}
	api_orders_settle(app, !waiting);
}

/* Accept loop of one responder process on listen_fd. Signals are blocked
 * while a request is handled, so it always finishes; they are delivered only
 * while waiting in accept, which FCGI_FAIL_ACCEPT_ON_INTR then abandons. */
static int serve(const struct config *cfg, int listen_fd)
{
	struct sigaction sa = { .sa_handler = on_stop };
	FCGX_Request fcgi;
	struct app app;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	if (app_init(&app, cfg) < 0 || FCGX_Init() != 0)
		return 1;
	cache_track_reads(app.cache); /* many requests: copies of cache hits pay */
	metrics_open(cfg->metrics_dir, router_layout(), 1);
	FCGX_InitRequest(&fcgi, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
	sigprocmask(SIG_BLOCK, &block, NULL);
	while (!stop_requested) {
		int rc;

		sigprocmask(SIG_UNBLOCK, &block, NULL);
		rc = stop_requested ? -1 : FCGX_Accept_r(&fcgi);
		sigprocmask(SIG_BLOCK, &block, NULL);
		if (rc < 0) {
			if (stop_requested || errno == EINTR)
				continue;
			log_error("accept failed: %s", strerror(errno));
			break;
		}
		handle(&app, &fcgi, fcgi.envp);
		FCGX_Finish_r(&fcgi);
		settle_orders(&app, listen_fd, cfg->connect_timeout_ms);
	}
	settle_orders(&app, -1, cfg->connect_timeout_ms);
	FCGX_Free(&fcgi, 0);
	app_release(&app);
	log_debug("responder stopped");
	return 0;
}

static int serve_cgi(const struct config *cfg)
{
	struct app app;

	if (app_init(&app, cfg) < 0)
		return 1;
	metrics_open(cfg->metrics_dir, router_layout(), 0);
	handle(&app, NULL, environ);
	settle_orders(&app, -1, cfg->connect_timeout_ms);
	app_release(&app);
	return 0;
}

/* What a pool child serves: prefork passes it back as the child's arg. */
struct responder {
	const struct config *cfg;
	int fd;
};

static int responder_child(const void *arg)
{
	const struct responder *r = arg;

	return serve(r->cfg, r->fd);
}

/* Opens the FastCGI socket, or takes the one a reloading parent handed over. */
static int open_listener(const char *listen)
{
	struct stat st;
	int fd;

	if (prefork_inherited_fd(&fd) < 0 || fd >= 0)
		return fd;
	if (strchr(listen, '/') && stat(listen, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(listen); /* stale socket of a previous run */
	if (FCGX_Init() != 0)
		return -1;
	fd = FCGX_OpenSocket(listen, LISTEN_BACKLOG);
	if (fd < 0) {
		log_error("cannot listen on %s: %s", listen, strerror(errno));
		return -1;
	}
	/* The owner and its group only: nginx runs as the same user (the local
	 * stack) or in the socket's group (adduser www-data bakery). */
	if (strchr(listen, '/') && chmod(listen, 0660) < 0)
		log_warn("chmod %s: %s", listen, strerror(errno));
	return fd;
}

/* The supervisor: holds the socket, hands it over on SIGHUP (prefork.c). */
static int run_pool(const struct config *cfg, const char *listen, int nprocs, char **argv)
{
	struct responder r = { cfg, open_listener(listen) };
	struct prefork spec = { .name = "responder", .nprocs = nprocs,
				.grace_s = STOP_GRACE_SECONDS, .child = responder_child,
				.arg = &r, .reexec_argv = argv, .handover_fd = r.fd };

	if (r.fd < 0)
		return 1;
	/* Before the fork: every child counts into the same pages. */
	metrics_share();
	log_info("responder pool listening on %s", listen);
	prefork_run(&spec);
	if (strchr(listen, '/'))
		unlink(listen);
	return 0;
}

static const char usage[] =
	"usage: bakery-api [--listen PATH|HOST:PORT] [--processes N]\n"
	"       bakery-api create-staff NAME   (password on stdin or BAKERY_STAFF_PASSWORD)\n"
	"       bakery-api --config | --help | --version\n"
	"\n"
	"The Bakery FastCGI responder. With --listen (or when started from a\n"
	"terminal) it runs its own pre-fork pool; started by spawn-fcgi it serves\n"
	"the socket on fd 0; started as a CGI program it answers one request.\n"
	"SIGTERM stops gracefully, SIGHUP reloads.\n";

int main(int argc, char **argv)
{
	const char *listen = NULL;
	int nprocs = 0, pool_mode = 0, next, status;
	char err[256];
	const struct config *cfg;
	const struct cli_option options[] = {
		{ "--listen", CLI_STRING, 0, 0, &listen, &pool_mode },
		{ "--processes", CLI_INT, 1, MAX_PROCESSES, &nprocs, &pool_mode },
	};
	const struct cli cli = { "bakery-api", usage, options, 2 };

	if (config_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "bakery-api: %s\n", err);
		return 2;
	}
	cfg = config_get();
	log_init("api", cfg->log_level);
	status = cli_parse(&cli, argc, argv, &next);
	if (status >= 0)
		return status;
	if (next + 2 == argc && strcmp(argv[next], "create-staff") == 0)
		return cmd_create_staff(cfg, argv[next + 1]);
	if (next < argc)
		return cli_bad_argument(&cli, argv[next]);
	if (!pool_mode && getenv("GATEWAY_INTERFACE"))
		return serve_cgi(cfg);
	if (!pool_mode && !FCGX_IsCGI())
		return serve(cfg, 0); /* spawn-fcgi: the listening socket is fd 0 */
	return run_pool(cfg, listen ? listen : cfg->listen, nprocs ? nprocs : cfg->processes, argv);
}
