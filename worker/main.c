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

#include "config.h"
#include "log.h"
#include "prefork.h"
#include "worker.h"

#ifndef BAKERY_VERSION
#define BAKERY_VERSION "0.1.0"
#endif

#define MAX_CONCURRENCY    64
#define STOP_GRACE_SECONDS 120 /* longer than any payment plus a database wait */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bakery-worker [--concurrency N]\n"
		"       bakery-worker --config | --help | --version\n"
		"\n"
		"The Bakery order worker: consumes the order queue, reserves stock, takes\n"
		"(simulated) payment and settles each order; republishes orders the broker\n"
		"never confirmed. --concurrency N runs N worker processes (1-%d) under a\n"
		"supervisor. Each process has up to BAKERY_WORKER_INFLIGHT orders in payment\n"
		"at once. SIGTERM stops gracefully: the orders in flight are settled first.\n"
		"\n"
		"Environment (current values):\n", MAX_CONCURRENCY);
	config_print(out);
}

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

/* --concurrency N or --concurrency=N: N, or -1 after printing the problem. */
static int parse_concurrency(int argc, char **argv, int *i)
{
	const char *v = NULL, *a = argv[*i];
	char *end;
	long n;

	if (strncmp(a, "--concurrency=", 14) == 0)
		v = a + 14;
	else if (*i + 1 < argc)
		v = argv[++*i];
	n = v ? strtol(v, &end, 10) : 0;
	if (v == NULL || *v < '0' || *v > '9' || *end || n < 1 || n > MAX_CONCURRENCY) {
		fprintf(stderr, "bakery-worker: --concurrency needs a number from 1 to %d\n",
			MAX_CONCURRENCY);
		return -1;
	}
	return (int)n;
}

/* Handles the command line: the concurrency, or 0 when main should exit
 * with *status. */
static int parse_args(int argc, char **argv, int *status)
{
	int n = 1;

	*status = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("bakery-worker %s\n", BAKERY_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0) {
			config_print(stdout);
			return 0;
		} else if (strncmp(argv[i], "--concurrency", 13) == 0 &&
			   (argv[i][13] == '\0' || argv[i][13] == '=')) {
			n = parse_concurrency(argc, argv, &i);
			if (n < 0)
				break;
		} else {
			fprintf(stderr, "bakery-worker: unknown argument %s\n", argv[i]);
			usage(stderr);
			n = -1;
			break;
		}
	}
	if (n < 0)
		*status = 2;
	return n < 0 ? 0 : n;
}

int main(int argc, char **argv)
{
	const struct config *cfg;
	char err[256];
	sigset_t set;
	int n, status;

	if (config_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "bakery-worker: %s\n", err);
		return 2;
	}
	cfg = config_get();
	log_init("worker", cfg->log_level);
	n = parse_args(argc, argv, &status);
	if (n == 0)
		return status;
	/* Stop signals are taken between orders with sigtimedwait. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	return n == 1 ? worker_run(cfg) : run_pool(cfg, n, &set);
}
