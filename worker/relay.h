/* relay.h - the worker's relay (SPEC §7.2): orders the broker never
 * confirmed, and orders stranded in processing, are published again. */
#ifndef BAKERY_WORKER_RELAY_H
#define BAKERY_WORKER_RELAY_H

struct cache;
struct mq;
struct fulfil;

/* Orders one round publishes at most, of each kind. */
#define RELAY_BATCH 100

struct relay {
	struct fulfil *fulfil; /* borrowed: on the relay's own connection */
	struct mq *mq;         /* borrowed: a publishing connection */
	int grace_s;           /* a pending order this young may still be the responder's */
	int stale_s;           /* processing this long untouched and unclaimed: stranded */
	struct cache *cache;   /* borrowed: orders published are dropped from it */
};

/* One round: publishes, with confirms, pending orders not marked queued
 * and stranded processing orders, a batch of each, and marks them. Safe with
 * any number of workers (rows are taken FOR UPDATE SKIP LOCKED). Returns
 * how many were published (RELAY_BATCH or more: there may be more to
 * send), or -1 (database or broker error, logged). */
int relay_run(struct relay *r);

#endif
