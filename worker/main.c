/* main.c - bakery-worker: the order worker daemon (SPEC §7).
 *
 * This first version keeps its PostgreSQL and RabbitMQ connections up and
 * declares the queue topology, reconnecting with backoff, and stops on
 * SIGTERM; order consumption is the order worker issue's work. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "mq.h"

#ifndef BAKERY_VERSION
#define BAKERY_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bakery-worker [--help | --version | --config]\n"
		"\n"
		"The Bakery order worker: drains the order queue. SIGTERM stops it.\n"
		"\n"
		"Environment (current values):\n");
	config_print(out);
}

int main(int argc, char **argv)
{
	const struct config *cfg;
	struct db *db;
	struct mq *mq;
	char err[256];
	sigset_t set;
	int was_ready = 0;

	if (config_load(err, sizeof(err)) < 0) {
		fprintf(stderr, "bakery-worker: %s\n", err);
		return 2;
	}
	cfg = config_get();
	log_init("worker", cfg->log_level);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("bakery-worker %s\n", BAKERY_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--config") == 0) {
			config_print(stdout);
			return 0;
		}
		fprintf(stderr, "bakery-worker: unknown argument %s\n", argv[i]);
		usage(stderr);
		return 2;
	}
	db = db_new(cfg->database_url, "bakery-worker", cfg->connect_timeout_ms);
	mq = mq_new(cfg->amqp_url, cfg->connect_timeout_ms, cfg->max_deliveries, err, sizeof(err));
	if (db == NULL || mq == NULL) {
		fprintf(stderr, "bakery-worker: %s\n", mq ? "out of memory" : err);
		db_free(db);
		mq_free(mq);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		struct timespec tick = { 1, 0 };
		int ready = db_connect(db) == 0 && mq_connect(mq) == 0;

		if (ready != was_ready)
			log_info("%s", ready ? "worker connected to postgres and rabbitmq"
					     : "worker waiting for postgres and rabbitmq");
		was_ready = ready;
		if (sigtimedwait(&set, NULL, &tick) > 0)
			break;
	}
	log_info("worker stopping");
	db_free(db);
	mq_free(mq);
	return 0;
}
