/* job.h - processing one order (SPEC §7.3, §7.4) and one dead letter
 * (§7.5). The caller owns the message: a job only says how to settle it. */
#ifndef BAKERY_WORKER_JOB_H
#define BAKERY_WORKER_JOB_H

#include <stddef.h>

struct cache;
struct store;

enum job_result {
	JOB_DONE,   /* settled, or nothing left to do: ack */
	JOB_POISON, /* can never succeed (unknown order): dead-letter now */
	JOB_FAILED, /* the database refused it: retry a bounded number of times */
	JOB_RETRY,  /* the database is unreachable (or a deadlock): keep the
		     * message and run the job again once it answers */
};

/* What every job needs; borrowed, owned by the worker. */
struct job_env {
	struct store *store;
	struct cache *cache;
	int payment_delay_ms;
	int max_attempts; /* BAKERY_MAX_DELIVERIES */
};

/* The order id of a message body: a JSON object with an integer order_id
 * of at least 1. 0 for anything else (poison). */
long long job_parse(const char *body, size_t len);

/* Processes order id: skips it unless pending (or processing, which
 * resumes an interrupted attempt); reserves all its stock or fails it;
 * takes payment; completes it or fails it and returns the stock. Two
 * transactions, with the order claimed for the whole job. */
enum job_result job_order(const struct job_env *env, long long id);

/* Marks order id failed with why (returning reserved stock) unless it is
 * final already: for a message given up on. JOB_DONE or an error result. */
enum job_result job_give_up(const struct job_env *env, long long id, const char *why);

/* A dead letter naming order id, dead-lettered for death_reason (the
 * broker's x-first-death-reason). One that ran out of deliveries without a
 * worker giving up on it ("delivery_limit") goes back to the relay while
 * the order has attempts left; otherwise the order is failed. */
enum job_result job_dead_letter(const struct job_env *env, long long id,
				const char *death_reason);

#endif
