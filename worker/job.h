/* job.h - processing one order (SPEC §7.3, §7.4) and one dead letter
 * (§7.5). The caller owns the message: a job only says how to settle it.
 *
 * An order's job has two halves with the payment between them, so that a
 * worker can have many orders in payment at once (§7.8):
 *   job_begin()   claim the order, then tx 1 (reserve or fail);
 *   ... payment, which the worker times (BAKERY_PAYMENT_DELAY_MS) ...
 *   job_settle()  tx 2 (complete, or fail and return the stock), unclaim. */
#ifndef BAKERY_WORKER_JOB_H
#define BAKERY_WORKER_JOB_H

#include <stddef.h>

#include "order.h"

struct cache;
struct fulfil;

enum job_result {
	JOB_DONE,   /* settled, or nothing left to do: ack */
	JOB_POISON, /* can never succeed (unknown order): dead-letter now */
	JOB_FAILED, /* the database refused it: retry a bounded number of times */
	JOB_RETRY,  /* the database is unreachable (or a deadlock): keep the
		     * message and run the same step again once it answers */
	JOB_PAY,    /* job_begin: reserved and claimed; take the payment, then
		     * job_settle() */
};

/* What every job needs; borrowed, owned by the worker. */
struct job_env {
	struct fulfil *fulfil;
	struct cache *cache;
	int max_attempts; /* BAKERY_MAX_DELIVERIES */
};

/* One order's job; filled by job_begin(), kept by the worker while the
 * order is in payment. Owns nothing. */
struct job {
	const struct job_env *env;
	struct fulfil *f;
	long long id;
	enum job_result result;   /* when a step settles the job */
	unsigned claim;           /* session holding the claim, 0 none */
	char email[256];
	int attempt;
	const char *death_reason; /* dead letters: why the broker gave up */
	/* The status change of the open transaction, logged after commit. */
	int moved;
	enum order_status from, to;
	char reason[256];
	int stock_changed;
};

/* The order id of a message body: a JSON object with an integer order_id
 * of at least 1. 0 for anything else (poison). */
long long job_parse(const char *body, size_t len);

/* Claims order id and runs tx 1: skips it unless pending (or processing,
 * which resumes an interrupted attempt); reserves all of its stock and
 * marks it processing, or reserves none and fails it. JOB_PAY when the
 * payment is to be taken (the claim stays held); any other result has
 * dropped the claim. */
enum job_result job_begin(struct job *j, const struct job_env *env, long long id);

/* Simulated payment's answer (SPEC §7.4): declined for customer addresses
 * at the domain decline.test. 1 accepted, 0 declined. */
int job_payment_accepted(const struct job *j);

/* tx 2 of a job that job_begin() sent to payment: completes the order if
 * paid, else fails it and returns its stock; nothing if it was settled
 * meanwhile. JOB_DONE, JOB_FAILED, or JOB_RETRY (claim kept: call again). */
enum job_result job_settle(struct job *j, int paid);

/* The most orders job_settle_paid() takes at once. */
#define JOB_SETTLE_MAX 64

/* job_settle(j, 1) for paid orders js[0..n) (n <= JOB_SETTLE_MAX, all
 * on one worker's connection) at once: one statement completes those
 * still processing, and their claims are dropped in the same round trip.
 * 0 with every one settled (JOB_DONE: ack each); -1 when the database
 * failed, with nothing changed: then settle each with job_settle(). */
int job_settle_paid(struct job *const *js, int n);

/* The most orders job_begin_many() takes at once. */
#define JOB_BEGIN_MAX 16

/* job_begin() for the distinct orders ids[0..n) (n <= JOB_BEGIN_MAX) at
 * once, in one transaction: their claims, their rows and then their
 * products locked (each in id order), the stock of each taken in turn and
 * its move pending -> processing; one commit for all, after which the
 * listing's cache is dropped once. js[i]->result says how each ended, as
 * job_begin()'s result would (JOB_PAY: in payment, claimed); JOB_RETRY for
 * an order left to job_begin() alone: one short of stock (it fails on its
 * own), to resume, or to fail for its attempts; and for all of them when
 * the batch failed: then nothing of it happened (or, a commit whose answer
 * was lost, all of it: job_begin() resumes those), and its claims are
 * dropped. */
void job_begin_many(struct job *const *js, const long long *ids, int n, const struct job_env *env);

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
