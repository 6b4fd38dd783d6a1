/* job.c - one order through the worker (SPEC §7.3, §7.4).
 *
 * Shape: the order is claimed (a session advisory lock) for the whole job,
 * taken in tx 1's first round trip, then
 *   tx 1  (job_begin) lock the order row; unless pending (or processing:
 *         an earlier attempt died, resume it) do nothing; lock its products
 *         in id order and either reserve all its stock and mark it
 *         processing, or reserve none and fail it ("insufficient stock for
 *         ...");
 *   payment, outside any transaction, timed by the worker's event loop;
 *   tx 2  (job_settle) if still processing, complete it (one statement,
 *         sent with the claim's release), or lock the order row, fail it
 *         ("payment declined") and return its stock.
 * Round trips of a paid order: 3 for tx 1 (BEGIN, claim, order and
 * products locked; stock taken and status moved; COMMIT), 1 for tx 2;
 * and the orders a worker takes together share them: job_begin_many()
 * runs tx 1 for all of them in one transaction (an order it cannot take,
 * short of stock or to resume, goes on alone), job_settle_paid() tx 2.
 * Stock is reserved exactly while an order is processing or completed, so
 * no crash between the two transactions can take it twice or lose it, and
 * product rows are never locked during payment. Every status change writes
 * its history row in the same transaction and is logged after the commit. */
#include "job.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "cache.h"
#include "fulfil.h"
#include "log.h"
#include "metrics.h"

_Static_assert(JOB_BEGIN_MAX <= FULFIL_BATCH_MAX, "a job batch fits fulfil's");

#define MAX_ORDER_ID 9007199254740991.0 /* 2^53 - 1: exact in a JSON number */

long long job_parse(const char *body, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *item = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "order_id")
						  : NULL;
	long long id = 0;

	if (cJSON_IsNumber(item) && item->valuedouble >= 1 && item->valuedouble <= MAX_ORDER_ID &&
	    (double)(long long)item->valuedouble == item->valuedouble)
		id = (long long)item->valuedouble;
	cJSON_Delete(root);
	return id;
}

/* After a failed statement: is the database gone (keep the message), or
 * did it refuse this order (count the failure against the message)? */
static enum job_result job_error(struct job *j)
{
	const char *st = j->f->sqlstate;

	fulfil_rollback(j->f);
	/* Deadlock or serialization failure: transient, not the order's fault. */
	if (st[0] == '4' && st[1] == '0')
		return JOB_RETRY;
	if (fulfil_ping(j->f) < 0)
		return JOB_RETRY;
	log_msg(LL_WARN, j->id, "database refused the order sqlstate=%s", st[0] ? st : "none");
	return JOB_FAILED;
}

/* Notes a status change, to be logged once it is committed. */
static void job_moved(struct job *j, enum order_status from, enum order_status to,
		      const char *reason)
{
	j->moved = 1;
	j->from = from;
	j->to = to;
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
}

/* Records a status change in the open transaction. */
static int job_move(struct job *j, enum order_status from, enum order_status to,
		    const char *reason, int add_attempts)
{
	if (fulfil_move(j->f, j->id, from, to, reason, add_attempts) < 0)
		return -1;
	job_moved(j, from, to, reason);
	return 0;
}

/* In the open transaction: order (locked, in status from) -> failed. */
static int job_fail_locked(struct job *j, enum order_status from, const char *why)
{
	if (from == ORDER_PROCESSING) {
		if (fulfil_return_stock(j->f, j->id) < 0)
			return -1;
		j->stock_changed = 1;
	}
	return job_move(j, from, ORDER_FAILED, why, 0);
}

/* After a commit, of one job's transaction or a batch's: drops what is
 * kept of the orders (their status, attempts or updated_at may have
 * changed) in one round trip, logs each status change and drops the cached
 * listing once if any stock moved. The one place where what follows a
 * commit is done. */
static void jobs_committed(struct job *const *js, int n)
{
	long long ids[JOB_BEGIN_MAX > JOB_SETTLE_MAX ? JOB_BEGIN_MAX : JOB_SETTLE_MAX] = { 0 };
	int stock_changed = 0;

	if (n < 1 || n > (int)(sizeof(ids) / sizeof(ids[0])))
		return;
	for (int i = 0; i < n; i++)
		ids[i] = js[i]->id;
	cache_orders_drop(js[0]->env->cache, ids, n);
	for (int i = 0; i < n; i++) {
		struct job *j = js[i];

		if (j->moved) {
			log_msg(j->to == ORDER_FAILED ? LL_WARN : LL_INFO, j->id,
				"status from=%s to=%s reason=\"%s\" attempt=%d",
				order_status_name(j->from), order_status_name(j->to), j->reason,
				j->attempt);
			metrics_worker_moved(j->to);
		}
		stock_changed |= j->stock_changed;
		j->moved = 0;
		j->stock_changed = 0;
	}
	if (stock_changed && js[0]->env->cache)
		cache_listing_invalidate(js[0]->env->cache);
}

static void job_committed(struct job *j)
{
	jobs_committed(&j, 1);
}

static int job_commit(struct job *j)
{
	if (fulfil_commit(j->f) < 0)
		return -1;
	job_committed(j);
	return 0;
}

/* Opens a transaction and locks the order row; the transaction is rolled
 * back again when there is no such order. */
static enum lookup job_lock(struct job *j, struct fulfil_order *o)
{
	enum lookup r;

	if (fulfil_begin(j->f) < 0)
		return LOOKUP_ERROR;
	r = fulfil_lock_order(j->f, j->id, o);
	if (r == LOOKUP_NONE)
		fulfil_rollback(j->f);
	return r;
}

/* tx 1 on the locked order o: 1 to go on to payment, 0 settled, -1. */
static int job_decide(struct job *j, const struct fulfil_order *o)
{
	static const char reserved[] = "stock reserved";
	char why[256];

	j->attempt = o->attempts + 1;
	if (order_status_final(o->status)) {
		log_msg(LL_INFO, j->id, "already %s; message dropped", order_status_name(o->status));
		return 0;
	}
	if (o->attempts >= j->env->max_attempts) {
		j->attempt = o->attempts;
		snprintf(why, sizeof(why), "could not be processed in %d attempts", o->attempts);
		return job_fail_locked(j, o->status, why) < 0 ? -1 : 0;
	}
	snprintf(j->email, sizeof(j->email), "%s", o->email);
	if (o->status == ORDER_PROCESSING) {
		log_msg(LL_WARN, j->id, "resuming after an interrupted attempt attempt=%d", j->attempt);
		return fulfil_count_attempt(j->f, j->id) < 0 ? -1 : 1;
	}
	switch (fulfil_reserve(j->f, j->id, reserved, why, sizeof(why))) {
	case RESERVE_ERROR:
		return -1;
	case RESERVE_SHORT:
		return job_move(j, ORDER_PENDING, ORDER_FAILED, why, 1) < 0 ? -1 : 0;
	case RESERVE_DONE:
		break;
	}
	j->stock_changed = 1;
	job_moved(j, ORDER_PENDING, ORDER_PROCESSING, reserved);
	return 1;
}

int job_payment_accepted(const struct job *j)
{
	const char *at = strrchr(j->email, '@');

	return !(at && strcasecmp(at + 1, "decline.test") == 0);
}

/* tx 2 of a paid order: one statement, which is its own transaction (the
 * common path: one round trip instead of four). 0 settled, -1. */
static int job_complete(struct job *j)
{
	static const char reason[] = "payment accepted";

	switch (fulfil_complete(j->f, j->id, reason, &j->claim)) {
	case MOVE_ERROR:
		return -1;
	case MOVE_UNKNOWN:
	case MOVE_ELSEWHERE:
		/* A duplicate's job or the dead-letter handler settled it. */
		log_msg(LL_INFO, j->id, "settled meanwhile");
		return 0;
	case MOVE_DONE:
		break;
	}
	job_moved(j, ORDER_PROCESSING, ORDER_COMPLETED, reason);
	job_committed(j);
	return 0;
}

/* tx 2: 0 settled, -1 database error. */
static int job_finish(struct job *j, int paid)
{
	const char *settled = NULL;
	struct fulfil_order o;

	if (paid)
		return job_complete(j);
	switch (job_lock(j, &o)) {
	case LOOKUP_ERROR:
		return -1;
	case LOOKUP_NONE:
		settled = "deleted";
		break;
	case LOOKUP_FOUND:
		if (o.status != ORDER_PROCESSING) {
			fulfil_rollback(j->f);
			settled = order_status_name(o.status);
		}
		break;
	}
	if (settled) {
		log_msg(LL_INFO, j->id, "settled meanwhile as %s", settled);
		return 0;
	}
	if (job_fail_locked(j, ORDER_PROCESSING, "payment declined") < 0)
		return -1;
	return job_commit(j);
}

static void job_init(struct job *j, const struct job_env *env, long long id)
{
	memset(j, 0, sizeof(*j));
	j->env = env;
	j->f = env->fulfil;
	j->id = id;
	j->result = JOB_DONE;
}

/* Takes the claim: 1, or 0 with the job's result set (a claim held
 * elsewhere means another worker has the order in hand, so this message is
 * a duplicate). */
static int job_claim(struct job *j)
{
	switch (fulfil_claim(j->f, j->id, &j->claim)) {
	case CLAIM_ERROR:
		j->result = job_error(j);
		return 0;
	case CLAIM_HELD:
		log_msg(LL_INFO, j->id, "in the hands of another worker; duplicate message dropped");
		j->result = JOB_DONE;
		return 0;
	case CLAIM_TAKEN:
		break;
	}
	return 1;
}

static void job_unclaim(struct job *j)
{
	fulfil_unclaim(j->f, j->id, j->claim);
	j->claim = 0;
}

/* What opening order j found: 1 the order (locked), 0 settled (a claim
 * held elsewhere, JOB_DONE; no such order, JOB_POISON), -1 an error. */
static int job_opened(struct job *j, enum open_result r)
{
	switch (r) {
	case OPEN_ERROR:
		return -1;
	case OPEN_HELD:
		log_msg(LL_INFO, j->id, "in the hands of another worker; duplicate message dropped");
		j->result = JOB_DONE;
		return 0;
	case OPEN_NONE:
		log_msg(LL_WARN, j->id, "no such order");
		j->result = JOB_POISON;
		return 0;
	case OPEN_FOUND:
		break;
	}
	return 1;
}

/* tx 1 on the order fulfil_open() found: 1 to go on to payment, 0
 * settled (j->result), -1 database error. */
static int job_start(struct job *j)
{
	struct fulfil_order o;
	int rc;

	if ((rc = job_opened(j, fulfil_open(j->f, j->id, &j->claim, &o))) <= 0)
		return rc;
	if ((rc = job_decide(j, &o)) < 0 || job_commit(j) < 0)
		return -1;
	return rc;
}

enum job_result job_begin(struct job *j, const struct job_env *env, long long id)
{
	enum job_result r;
	int rc;

	job_init(j, env, id);
	rc = job_start(j);
	if (rc > 0)
		return JOB_PAY;
	r = rc < 0 ? job_error(j) : j->result;
	/* Also after a retry result: a deadlock leaves the session and its
	 * claim alive, and the next attempt claims again. */
	job_unclaim(j);
	return r;
}

enum job_result job_settle(struct job *j, int paid)
{
	enum job_result r = JOB_DONE;

	if (job_finish(j, paid) < 0)
		r = job_error(j);
	/* A retry runs tx 2 again: the order row's lock and status check make
	 * that safe even if the claim went with a lost connection. */
	if (r != JOB_RETRY)
		job_unclaim(j);
	return r;
}

int job_settle_paid(struct job *const *js, int n)
{
	static const char reason[] = "payment accepted";
	long long ids[JOB_SETTLE_MAX];
	unsigned sessions[JOB_SETTLE_MAX];
	int done[JOB_SETTLE_MAX];

	if (n < 1 || n > JOB_SETTLE_MAX)
		return -1;
	for (int i = 0; i < n; i++) {
		ids[i] = js[i]->id;
		sessions[i] = js[i]->claim;
	}
	if (fulfil_complete_many(js[0]->f, ids, sessions, n, reason, done) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct job *j = js[i];

		j->claim = sessions[i];
		if (done[i])
			job_moved(j, ORDER_PROCESSING, ORDER_COMPLETED, reason);
		else
			log_msg(LL_INFO, j->id, "settled meanwhile");
		job_unclaim(j);
	}
	jobs_committed(js, n);
	return 0;
}

/* A batch's order as fulfil_open_many() found it: 1 to be reserved, or 0
 * with j->result set: settled (JOB_DONE, JOB_POISON), or JOB_RETRY, left
 * to job_begin() alone (to resume, or to fail for its attempts). */
static int batch_decide(struct job *j, const struct fulfil_opened *o)
{
	if (job_opened(j, o->found) <= 0)
		return 0;
	j->attempt = o->order.attempts + 1;
	if (order_status_final(o->order.status)) {
		log_msg(LL_INFO, j->id, "already %s; message dropped",
			order_status_name(o->order.status));
		return 0;
	}
	if (o->order.status != ORDER_PENDING || o->order.attempts >= j->env->max_attempts) {
		j->result = JOB_RETRY;
		return 0;
	}
	snprintf(j->email, sizeof(j->email), "%s", o->order.email);
	return 1;
}

/* tx 1 of a batch, to its commit: which orders are reserved (JOB_PAY);
 * one short of stock is left to job_begin() alone (JOB_RETRY), which fails
 * it as for any order. 0, or -1 (rolled back by the caller). */
static int batch_run(struct job *const *js, struct fulfil_opened *o, int n)
{
	static const char reserved_reason[] = "stock reserved";
	struct fulfil *f = js[0]->f;
	long long ids[JOB_BEGIN_MAX];
	int at[JOB_BEGIN_MAX], reserved[JOB_BEGIN_MAX], k = 0;

	if (fulfil_open_many(f, o, n) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		js[i]->claim = o[i].session;
		if (batch_decide(js[i], &o[i])) {
			at[k] = i;
			ids[k++] = o[i].id;
		}
	}
	if (k && fulfil_reserve_many(f, ids, k, reserved_reason, reserved) < 0)
		return -1;
	if (fulfil_commit(f) < 0)
		return -1;
	for (int m = 0; m < k; m++) {
		struct job *j = js[at[m]];

		if (reserved[m]) {
			j->stock_changed = 1;
			j->result = JOB_PAY;
			job_moved(j, ORDER_PENDING, ORDER_PROCESSING, reserved_reason);
		} else {
			j->result = JOB_RETRY;
		}
	}
	return 0;
}

/* The claims of js[0..n) whose result is not JOB_PAY, dropped together. */
static void batch_unclaim(struct job *const *js, int n)
{
	long long ids[JOB_BEGIN_MAX];
	unsigned sessions[JOB_BEGIN_MAX];
	int at[JOB_BEGIN_MAX], k = 0;

	for (int i = 0; i < n; i++)
		if (js[i]->result != JOB_PAY && js[i]->claim) {
			at[k] = i;
			ids[k] = js[i]->id;
			sessions[k++] = js[i]->claim;
		}
	if (k)
		fulfil_unclaim_many(js[0]->f, ids, sessions, k);
	for (int m = 0; m < k; m++)
		js[at[m]]->claim = 0;
}

void job_begin_many(struct job *const *js, const long long *ids, int n, const struct job_env *env)
{
	struct fulfil_opened o[JOB_BEGIN_MAX];

	if (n < 1 || n > JOB_BEGIN_MAX)
		return;
	memset(o, 0, sizeof(o));
	for (int i = 0; i < n; i++) {
		job_init(js[i], env, ids[i]);
		o[i].id = ids[i];
	}
	if (batch_run(js, o, n) == 0) {
		jobs_committed(js, n);
		batch_unclaim(js, n);
		return;
	}
	/* Nothing of it happened: each on its own, the claims dropped first
	 * (advisory locks count: job_begin claims again). */
	fulfil_rollback(env->fulfil);
	for (int i = 0; i < n; i++) {
		js[i]->claim = o[i].session;
		js[i]->result = JOB_RETRY;
		js[i]->moved = 0;
		js[i]->stock_changed = 0;
	}
	batch_unclaim(js, n);
}

/* Runs fn with the order claimed. */
static enum job_result job_claimed(struct job *j, enum job_result (*fn)(struct job *))
{
	enum job_result r;

	if (!job_claim(j))
		return j->result;
	r = fn(j);
	job_unclaim(j);
	return r;
}

enum job_result job_give_up(const struct job_env *env, long long id, const char *why)
{
	struct fulfil_order o;
	struct job j;

	job_init(&j, env, id);
	switch (job_lock(&j, &o)) {
	case LOOKUP_ERROR:
		return job_error(&j);
	case LOOKUP_NONE:
		return JOB_DONE;
	case LOOKUP_FOUND:
		break;
	}
	if (order_status_final(o.status)) {
		fulfil_rollback(j.f);
		return JOB_DONE;
	}
	j.attempt = o.attempts;
	if (job_fail_locked(&j, o.status, why) < 0 || job_commit(&j) < 0)
		return job_error(&j);
	return JOB_DONE;
}

/* Dead letter, in the open transaction on the locked order o. */
static int job_dead_decide(struct job *j, const struct fulfil_order *o, const char *reason)
{
	char why[128];

	j->attempt = o->attempts;
	if (order_status_final(o->status)) {
		log_msg(LL_INFO, j->id, "dead letter for an order already %s",
			order_status_name(o->status));
		return 0;
	}
	if (strcmp(reason, "delivery_limit") == 0 && o->attempts < j->env->max_attempts) {
		/* Returned too often without a worker giving up on it (restarts,
		 * lost connections): the relay sends a fresh message. */
		log_msg(LL_WARN, j->id, "message ran out of deliveries; re-queued attempt=%d",
			o->attempts + 1);
		return fulfil_requeue(j->f, j->id);
	}
	snprintf(why, sizeof(why), "could not be processed (message dead-lettered: %s)",
		 reason[0] ? reason : "unknown");
	return job_fail_locked(j, o->status, why);
}

static enum job_result job_dead_run(struct job *j)
{
	struct fulfil_order o;

	switch (job_lock(j, &o)) {
	case LOOKUP_ERROR:
		return job_error(j);
	case LOOKUP_NONE:
		log_msg(LL_WARN, j->id, "dead letter for an unknown order");
		return JOB_DONE;
	case LOOKUP_FOUND:
		break;
	}
	if (job_dead_decide(j, &o, j->death_reason) < 0 || job_commit(j) < 0)
		return job_error(j);
	return JOB_DONE;
}

enum job_result job_dead_letter(const struct job_env *env, long long id, const char *death_reason)
{
	struct job j;

	job_init(&j, env, id);
	j.death_reason = death_reason;
	return job_claimed(&j, job_dead_run);
}
