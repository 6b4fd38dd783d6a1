/* main.c - bakery-worker: the order worker daemon (SPEC §7).
 *
 *   bakery-worker                    one worker in this process
 *   bakery-worker --concurrency N    a supervisor and N worker processes
 *
 * Each worker is single-threaded with its own connections and keeps many
 * orders in flight (worker.c). The supervisor (lib/prefork.c) only forks: it
 * restarts a worker that dies, and on SIGTERM passes the signal on and waits
 * until every worker has settled its orders and exited. Several independent
 * bakery-worker processes work as well: nothing is shared between workers
 * but PostgreSQL and the queue. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "log.h"
#include "prefork.h"
#include "worker.h"

#define MAX_CONCURRENCY    64
#define STOP_GRACE_SECONDS 120 /* longer than any payment plus a database wait */

#define STR(x) STR_(x)
#define STR_(x) #x

static const char usage[] =
	"usage: bakery-worker [--concurrency N]\n"
	"       bakery-worker --config | --help | --version\n"
	"\n"
	"The Bakery order worker: consumes the order queue, reserves stock, takes\n"
	"(simulated) payment and settles each order; republishes orders the broker\n"
	"never confirmed. --concurrency N runs N worker processes (1-" STR(MAX_CONCURRENCY) ") under a\n"
	"supervisor. Each process has up to BAKERY_WORKER_INFLIGHT orders in payment\n"
	"at once. SIGTERM stops gracefully: the orders in flight are settled first.\n";

static int worker_child(const void *arg)
{
	return worker_run(arg);
}

/* The supervisor: SIGHUP stays ignored, as for a single worker. */
static int run_pool(const struct config *cfg, int n, const sigset_t *stop_signals)
{
	struct prefork spec = { .name = "worker", .nprocs = n, .grace_s = STOP_GRACE_SECONDS,
				.child = worker_child, .arg = cfg,
				.child_mask = stop_signals, .handover_fd = -1 };

	return prefork_run(&spec);
}

int main(int argc, char **argv)
{
	const struct config *cfg;
	char err[256];
	sigset_t set;
	int n = 1, next, status;
	const struct cli_option options[] = {
		{ "--concurrency", CLI_INT, 1, MAX_CONCURRENCY, &n, NULL },
	};
	const struct cli cli = { "bakery-worker", usage, options, 1 };

	if (config_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "bakery-worker: %s\n", err);
		return 2;
	}
	cfg = config_get();
	log_init("worker", cfg->log_level);
	status = cli_parse(&cli, argc, argv, &next);
	if (status >= 0)
		return status;
	if (next < argc)
		return cli_bad_argument(&cli, argv[next]);
	/* Stop signals are taken between orders with sigtimedwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	return n == 1 ? worker_run(cfg) : run_pool(cfg, n, &set);
}
