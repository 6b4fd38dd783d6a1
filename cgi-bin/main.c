/* main.c - bakery-api: the FastCGI responder and its process model.
 *
 * One binary, three ways to run (SPEC §5):
 *   bakery-api --listen SOCK --processes N   own pre-fork pool (supervisor)
 *   spawn-fcgi -s SOCK -F N -- bakery-api    listening socket handed on fd 0
 *   any web server's CGI                     one request from the environment
 *
 * The supervisor holds only the listening socket: children open their own
 * connections after fork. It restarts a child that dies, stops gracefully on
 * SIGTERM (children finish their request) and on SIGHUP re-executes itself,
 * handing over the socket so no connection is refused during a reload. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "app.h"
#include "log.h"

#ifndef BAKERY_VERSION
#define BAKERY_VERSION "0.1.0"
#endif

#define MAX_PROCESSES 256
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
	}
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
	handle(&app, NULL, environ);
	app_release(&app);
	return 0;
}

struct pool {
	const struct config *cfg;
	const char *listen;
	int nprocs;
	int fd;
	pid_t pids[MAX_PROCESSES];
	time_t started[MAX_PROCESSES];
};

static int pool_spawn(struct pool *pool, int slot)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("fork failed: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Never outlive the supervisor, even if it is SIGKILLed. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		_exit(serve(pool->cfg, pool->fd));
	}
	pool->pids[slot] = pid;
	pool->started[slot] = time(NULL);
	return 0;
}

/* Opens the FastCGI socket, or takes the one a reloading parent handed over. */
static int pool_listen(struct pool *pool)
{
	const char *inherited = getenv("BAKERY_LISTEN_FD");
	struct stat st;

	if (inherited) {
		int fd = atoi(inherited);

		if (fd > 2 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			return fd;
		log_error("BAKERY_LISTEN_FD=%s is not a socket", inherited);
		return -1;
	}
	if (strchr(pool->listen, '/') && stat(pool->listen, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(pool->listen); /* stale socket of a previous run */
	if (FCGX_Init() != 0)
		return -1;
	int fd = FCGX_OpenSocket(pool->listen, LISTEN_BACKLOG);
	if (fd < 0) {
		log_error("cannot listen on %s: %s", pool->listen, strerror(errno));
		return -1;
	}
	/* nginx workers run as another user; the directory guards access. */
	if (strchr(pool->listen, '/') && chmod(pool->listen, 0666) < 0)
		log_warn("chmod %s: %s", pool->listen, strerror(errno));
	return fd;
}

static void pool_reap(struct pool *pool, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < pool->nprocs; i++) {
			if (pool->pids[i] != pid)
				continue;
			pool->pids[i] = 0;
			if (!stopping)
				log_warn("responder %ld exited (%s %d); restarting", (long)pid,
					 WIFSIGNALED(status) ? "signal" : "status",
					 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
	}
}

/* Starts children for empty slots; a slot whose child died within a second
 * of its start waits a second, so a crash loop does not spin. */
static void pool_fill(struct pool *pool)
{
	time_t now = time(NULL);

	for (int i = 0; i < pool->nprocs; i++)
		if (pool->pids[i] == 0 && now - pool->started[i] >= 1)
			pool_spawn(pool, i);
}

static int pool_alive(const struct pool *pool)
{
	int n = 0;

	for (int i = 0; i < pool->nprocs; i++)
		n += pool->pids[i] != 0;
	return n;
}

static void pool_signal(const struct pool *pool, int sig)
{
	for (int i = 0; i < pool->nprocs; i++)
		if (pool->pids[i])
			kill(pool->pids[i], sig);
}

static void pool_stop(struct pool *pool)
{
	time_t deadline = time(NULL) + STOP_GRACE_SECONDS;

	pool_signal(pool, SIGTERM);
	while (pool_alive(pool) && time(NULL) < deadline) {
		struct timespec ts = { 0, 50 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		pool_reap(pool, 1);
	}
	if (pool_alive(pool)) {
		log_warn("responders still busy after %ds; killing them", STOP_GRACE_SECONDS);
		pool_signal(pool, SIGKILL);
		while (waitpid(-1, NULL, 0) > 0)
			;
	}
	if (strchr(pool->listen, '/'))
		unlink(pool->listen);
	log_info("responder pool stopped");
}

/* SIGHUP: exec a fresh copy of the (possibly upgraded) binary, handing it the
 * socket and the old children, which it asks to finish and stop. */
static void pool_reexec(struct pool *pool, char **argv)
{
	static char fdvar[32], oldvar[MAX_PROCESSES * 12 + 32];
	size_t n = 0, off;
	char **envp;

	for (char **e = environ; *e; e++)
		n++;
	envp = calloc(n + 3, sizeof(*envp));
	if (envp == NULL)
		return;
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "BAKERY_LISTEN_FD=", 17) && strncmp(*e, "BAKERY_OLD_PIDS=", 16))
			envp[n++] = *e;
	snprintf(fdvar, sizeof(fdvar), "BAKERY_LISTEN_FD=%d", pool->fd);
	off = (size_t)snprintf(oldvar, sizeof(oldvar), "BAKERY_OLD_PIDS=");
	for (int i = 0; i < pool->nprocs; i++)
		if (pool->pids[i])
			off += (size_t)snprintf(oldvar + off, sizeof(oldvar) - off, "%ld,",
						(long)pool->pids[i]);
	envp[n++] = fdvar;
	envp[n++] = oldvar;
	log_info("reloading: re-executing %s", argv[0]);
	execve("/proc/self/exe", argv, envp);
	log_error("re-exec failed (%s); keeping the running pool", strerror(errno));
	free(envp);
}

/* After a reload: the previous image's children finish and stop. */
static void pool_retire_old(void)
{
	const char *old = getenv("BAKERY_OLD_PIDS");

	for (const char *p = old; p && *p;) {
		char *end;
		long pid = strtol(p, &end, 10);

		if (end == p)
			break;
		if (pid > 1)
			kill((pid_t)pid, SIGTERM);
		p = *end == ',' ? end + 1 : end;
	}
}

static int run_pool(const struct config *cfg, const char *listen, int nprocs, char **argv)
{
	struct pool pool = { .cfg = cfg, .listen = listen, .nprocs = nprocs };
	sigset_t set;
	int fl;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pool.fd = pool_listen(&pool);
	if (pool.fd < 0)
		return 1;
	/* The socket must survive a re-exec. */
	fl = fcntl(pool.fd, F_GETFD);
	fcntl(pool.fd, F_SETFD, fl & ~FD_CLOEXEC);
	for (int i = 0; i < nprocs; i++)
		pool_spawn(&pool, i);
	pool_retire_old();
	log_info("responder pool listening on %s with %d processes", listen, nprocs);
	for (;;) {
		struct timespec tick = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			pool_stop(&pool);
			return 0;
		}
		if (sig == SIGHUP)
			pool_reexec(&pool, argv);
		pool_reap(&pool, 0);
		pool_fill(&pool);
	}
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bakery-api [--listen PATH|HOST:PORT] [--processes N]\n"
		"       bakery-api --config | --help | --version\n"
		"\n"
		"The Bakery FastCGI responder. With --listen (or when started from a\n"
		"terminal) it runs its own pre-fork pool; started by spawn-fcgi it serves\n"
		"the socket on fd 0; started as a CGI program it answers one request.\n"
		"SIGTERM stops gracefully, SIGHUP reloads.\n"
		"\n"
		"Environment (current values):\n");
	config_print(out);
}

int main(int argc, char **argv)
{
	const char *listen = NULL;
	int nprocs = 0, pool_mode = 0;
	char err[256];
	const struct config *cfg;

	if (config_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "bakery-api: %s\n", err);
		return 2;
	}
	cfg = config_get();
	log_init("api", cfg->log_level);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("bakery-api %s\n", BAKERY_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0) {
			config_print(stdout);
			return 0;
		} else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
			listen = argv[++i];
			pool_mode = 1;
		} else if (strcmp(argv[i], "--processes") == 0 && i + 1 < argc) {
			char *end;
			long n = strtol(argv[++i], &end, 10);

			if (*end || n < 1 || n > MAX_PROCESSES) {
				fprintf(stderr, "bakery-api: --processes must be 1..%d\n", MAX_PROCESSES);
				return 2;
			}
			nprocs = (int)n;
			pool_mode = 1;
		} else {
			fprintf(stderr, "bakery-api: unknown argument %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!pool_mode && getenv("GATEWAY_INTERFACE"))
		return serve_cgi(cfg);
	if (!pool_mode && !FCGX_IsCGI())
		return serve(cfg, 0); /* spawn-fcgi: the listening socket is fd 0 */
	return run_pool(cfg, listen ? listen : cfg->listen, nprocs ? nprocs : cfg->processes, argv);
}
