/* job.c - one order through the worker (SPEC §7.3, §7.4).
 *
 * Shape: the order is claimed (a session advisory lock) for the whole job,
 * then
 *   tx 1  (job_begin) lock the order row; unless pending (or processing:
 *         an earlier attempt died, resume it) do nothing; lock its products
 *         in id order and either reserve all its stock and mark it
 *         processing, or reserve none and fail it ("insufficient stock for
 *         ...");
 *   payment, outside any transaction, timed by the worker's event loop;
 *   tx 2  (job_settle) if still processing, complete it (one statement),
 *         or lock the order row, fail it ("payment declined") and return
 *         its stock.
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
#include "log.h"
#include "store.h"

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

static int is_final(const char *status)
{
	return strcmp(status, "pending") != 0 && strcmp(status, "processing") != 0;
}

/* After a failed statement: is the database gone (keep the message), or
 * did it refuse this order (count the failure against the message)? */
static enum job_result job_error(struct job *j)
{
	const char *st = j->s->sqlstate;

	store_rollback(j->s);
	/* Deadlock or serialization failure: transient, not the order's fault. */
	if (st[0] == '4' && st[1] == '0')
		return JOB_RETRY;
	if (store_ping(j->s) < 0)
		return JOB_RETRY;
	log_msg(LOG_WARN, j->id, "database refused the order sqlstate=%s", st[0] ? st : "none");
	return JOB_FAILED;
}

/* Records a status change in the open transaction. */
static int job_move(struct job *j, const char *from, const char *to, const char *reason,
		    int add_attempts)
{
	if (store_transition(j->s, j->id, from, to, reason, add_attempts) < 0)
		return -1;
	snprintf(j->from, sizeof(j->from), "%s", from);
	snprintf(j->to, sizeof(j->to), "%s", to);
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
	return 0;
}

/* In the open transaction: order (locked, in status from) -> failed. */
static int job_fail_locked(struct job *j, const char *from, const char *why)
{
	if (strcmp(from, "processing") == 0) {
		if (store_release(j->s, j->id) < 0)
			return -1;
		j->stock_changed = 1;
	}
	return job_move(j, from, "failed", why, 0);
}

/* After a commit: logs the status change and drops the cached listing if
 * stock moved. */
static void job_committed(struct job *j)
{
	if (j->to[0])
		log_msg(strcmp(j->to, "failed") == 0 ? LOG_WARN : LOG_INFO, j->id,
			"status from=%s to=%s reason=\"%s\" attempt=%d", j->from, j->to,
			j->reason, j->attempt);
	if (j->stock_changed && j->env->cache)
		cache_listing_invalidate(j->env->cache);
	j->to[0] = '\0';
	j->stock_changed = 0;
}

static int job_commit(struct job *j)
{
	if (store_commit(j->s) < 0)
		return -1;
	job_committed(j);
	return 0;
}

/* tx 1 on the locked order o: 1 to go on to payment, 0 settled, -1. */
static int job_decide(struct job *j, const struct store_order *o)
{
	char why[256];
	int rc;

	j->attempt = o->attempts + 1;
	if (is_final(o->status)) {
		log_msg(LOG_INFO, j->id, "already %s; message dropped", o->status);
		return 0;
	}
	if (o->attempts >= j->env->max_attempts) {
		j->attempt = o->attempts;
		snprintf(why, sizeof(why), "could not be processed in %d attempts", o->attempts);
		return job_fail_locked(j, o->status, why) < 0 ? -1 : 0;
	}
	snprintf(j->email, sizeof(j->email), "%s", o->email);
	if (strcmp(o->status, "processing") == 0) {
		log_msg(LOG_WARN, j->id, "resuming after an interrupted attempt attempt=%d", j->attempt);
		return store_count_attempt(j->s, j->id) < 0 ? -1 : 1;
	}
	rc = store_reserve(j->s, j->id, why, sizeof(why));
	if (rc < 0)
		return -1;
	if (rc == 0)
		return job_move(j, "pending", "failed", why, 1) < 0 ? -1 : 0;
	j->stock_changed = 1;
	return job_move(j, "pending", "processing", "stock reserved", 1) < 0 ? -1 : 1;
}

/* tx 1: 1 to go on to payment, 0 settled (j->result), -1 database error. */
static int job_start(struct job *j)
{
	struct store_order o;
	int rc;

	if (store_begin(j->s) < 0)
		return -1;
	rc = store_lock_order(j->s, j->id, &o);
	if (rc == 0) {
		store_rollback(j->s);
		log_msg(LOG_WARN, j->id, "no such order");
		j->result = JOB_POISON;
		return 0;
	}
	if (rc < 0 || (rc = job_decide(j, &o)) < 0 || job_commit(j) < 0)
		return -1;
	return rc;
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
	int rc = store_complete(j->s, j->id);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		/* A duplicate's job or the dead-letter handler settled it. */
		log_msg(LOG_INFO, j->id, "settled meanwhile");
		return 0;
	}
	snprintf(j->from, sizeof(j->from), "processing");
	snprintf(j->to, sizeof(j->to), "completed");
	snprintf(j->reason, sizeof(j->reason), "payment accepted");
	job_committed(j);
	return 0;
}

/* tx 2: 0 settled, -1 database error. */
static int job_finish(struct job *j, int paid)
{
	struct store_order o;
	int rc;

	if (paid)
		return job_complete(j);
	if (store_begin(j->s) < 0)
		return -1;
	rc = store_lock_order(j->s, j->id, &o);
	if (rc < 0)
		return -1;
	if (rc == 0 || strcmp(o.status, "processing") != 0) {
		store_rollback(j->s);
		log_msg(LOG_INFO, j->id, "settled meanwhile as %s", rc ? o.status : "deleted");
		return 0;
	}
	rc = job_fail_locked(j, "processing", "payment declined");
	return rc < 0 ? -1 : job_commit(j);
}

static void job_init(struct job *j, const struct job_env *env, long long id)
{
	memset(j, 0, sizeof(*j));
	j->env = env;
	j->s = env->store;
	j->id = id;
	j->result = JOB_DONE;
}

/* Takes the claim: 1, or 0 with the job's result set (a claim held
 * elsewhere means another worker has the order in hand, so this message is
 * a duplicate). */
static int job_claim(struct job *j)
{
	int rc = store_claim(j->s, j->id, &j->claim);

	if (rc < 0) {
		j->result = job_error(j);
		return 0;
	}
	if (rc == 0) {
		log_msg(LOG_INFO, j->id, "in the hands of another worker; duplicate message dropped");
		j->result = JOB_DONE;
		return 0;
	}
	return 1;
}

static void job_unclaim(struct job *j)
{
	store_unclaim(j->s, j->id, j->claim);
	j->claim = 0;
}

enum job_result job_begin(struct job *j, const struct job_env *env, long long id)
{
	enum job_result r;
	int rc;

	job_init(j, env, id);
	if (!job_claim(j))
		return j->result;
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
	struct store_order o;
	struct job j;
	int rc;

	job_init(&j, env, id);
	if (store_begin(j.s) < 0)
		return job_error(&j);
	rc = store_lock_order(j.s, id, &o);
	if (rc <= 0 || is_final(o.status)) {
		store_rollback(j.s);
		return rc < 0 ? job_error(&j) : JOB_DONE;
	}
	j.attempt = o.attempts;
	if (job_fail_locked(&j, o.status, why) < 0 || job_commit(&j) < 0)
		return job_error(&j);
	return JOB_DONE;
}

/* Dead letter, in the open transaction on the locked order o. */
static int job_dead_decide(struct job *j, const struct store_order *o, const char *reason)
{
	char why[128];

	j->attempt = o->attempts;
	if (is_final(o->status)) {
		log_msg(LOG_INFO, j->id, "dead letter for an order already %s", o->status);
		return 0;
	}
	if (strcmp(reason, "delivery_limit") == 0 && o->attempts < j->env->max_attempts) {
		/* Returned too often without a worker giving up on it (restarts,
		 * lost connections): the relay sends a fresh message. */
		log_msg(LOG_WARN, j->id, "message ran out of deliveries; re-queued attempt=%d",
			o->attempts + 1);
		return store_requeue(j->s, j->id);
	}
	snprintf(why, sizeof(why), "could not be processed (message dead-lettered: %s)",
		 reason[0] ? reason : "unknown");
	return job_fail_locked(j, o->status, why);
}

static enum job_result job_dead_run(struct job *j)
{
	struct store_order o;
	int rc;

	if (store_begin(j->s) < 0)
		return job_error(j);
	rc = store_lock_order(j->s, j->id, &o);
	if (rc == 0) {
		store_rollback(j->s);
		log_msg(LOG_WARN, j->id, "dead letter for an unknown order");
		return JOB_DONE;
	}
	if (rc < 0 || job_dead_decide(j, &o, j->death_reason) < 0 || job_commit(j) < 0)
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
