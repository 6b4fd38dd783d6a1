/* relay.c - republishing what the queue may not hold (SPEC §7.2, §7.5).
 *
 * Two kinds of orders have no message a worker will get:
 *  - pending orders with queued = false: accepted while the broker was down,
 *    or whose publish was not confirmed; also orders the dead-letter handler
 *    sent back;
 *  - processing orders untouched for stale_s that no worker claims (their
 *    worker died and their message is gone, e.g. dead-lettered meanwhile).
 * Each batch is taken in one transaction, FOR UPDATE SKIP LOCKED, so several
 * workers share the work without publishing an order twice at once;
 * published orders are marked before commit. A publish confirmed but not
 * marked (crash) is only sent again: the job skips what is settled. */
#include "relay.h"

#include "cache.h"
#include "log.h"
#include "mq.h"
#include "fulfil.h"

typedef int relay_select(struct fulfil *f, int secs, long long *ids, int max);

/* Publishes one batch; returns how many, or -1. */
static int relay_batch(struct relay *r, relay_select *select, int secs, const char *what)
{
	long long ids[RELAY_BATCH];
	int n, sent = 0;

	if (fulfil_begin(r->fulfil) < 0)
		return -1;
	n = select(r->fulfil, secs, ids, RELAY_BATCH);
	if (n <= 0) {
		fulfil_rollback(r->fulfil);
		return n;
	}
	while (sent < n && mq_publish_order(r->mq, ids[sent]) == 0)
		sent++;
	if ((sent > 0 && fulfil_mark_published(r->fulfil, ids, sent) < 0) ||
	    fulfil_commit(r->fulfil) < 0) {
		fulfil_rollback(r->fulfil);
		return -1;
	}
	cache_orders_drop(r->cache, ids, sent); /* updated_at of processing ones */
	for (int i = 0; i < sent; i++)
		log_msg(LL_INFO, ids[i], "published by the relay (%s)", what);
	return sent < n ? -1 : sent;
}

int relay_run(struct relay *r)
{
	int a = relay_batch(r, fulfil_unqueued, r->grace_s, "never queued");
	int b = a < 0 ? -1 : relay_batch(r, fulfil_stranded, r->stale_s, "stranded in processing");

	return a < 0 || b < 0 ? -1 : a + b;
}
