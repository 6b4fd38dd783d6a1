/* store.c - the worker's SQL (SPEC §7.3), one named statement per purpose.
 *
 * Lock order, everywhere: the order row first, then its products in id
 * order, so two workers never wait on each other in a cycle. Rows are
 * locked FOR NO KEY UPDATE, which is what UPDATE itself takes: it excludes
 * other workers and the responder's status changes, but not the FOR KEY
 * SHARE of foreign-key checks, so placing an order (order_items ->
 * products) never waits for, or deadlocks with, a worker. Statements run
 * inside a transaction are never retried by db.c on a new connection
 * (readonly = 0): that would run them outside the transaction. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* Session claim on an order (advisory key -id: negative keys are the
 * worker's; migrations use a positive one). */
static struct db_stmt claim_order = {
	"w_claim_order", "SELECT pg_try_advisory_lock(-$1::bigint)", 1, 1, 0
};

/* Drops the claim; only sent on the connection that took it, where it
 * is held (an unlock of a lock not held draws a WARNING). */
static struct db_stmt unclaim_order = {
	"w_unclaim_order", "SELECT pg_advisory_unlock(-$1::bigint)", 1, 0, 0
};

/* The order row, locked until the transaction ends. */
static struct db_stmt lock_order = {
	"w_lock_order",
	"SELECT status, attempts, customer_email FROM orders WHERE id = $1 FOR NO KEY UPDATE",
	1, 0, 0
};

/* The order's products with the quantities wanted, locked in id order. */
static struct db_stmt lock_products = {
	"w_lock_products",
	"SELECT p.name, p.stock, p.active, i.quantity FROM order_items i"
	" JOIN products p ON p.id = i.product_id WHERE i.order_id = $1"
	" ORDER BY p.id FOR NO KEY UPDATE OF p",
	1, 0, 0
};

/* Takes every quantity off stock; the CHECK (stock >= 0) is the backstop. */
static struct db_stmt take_stock = {
	"w_take_stock",
	"UPDATE products p SET stock = p.stock - i.quantity, updated_at = now()"
	" FROM order_items i WHERE i.order_id = $1 AND p.id = i.product_id"
	" AND p.stock >= i.quantity",
	1, 0, 0
};

/* Puts a reserved order's quantities back. */
static struct db_stmt return_stock = {
	"w_return_stock",
	"UPDATE products p SET stock = p.stock + i.quantity, updated_at = now()"
	" FROM order_items i WHERE i.order_id = $1 AND p.id = i.product_id",
	1, 0, 0
};

/* Status from -> to, only from the expected status, with its history row. */
static struct db_stmt transition = {
	"w_transition",
	"WITH o AS (UPDATE orders SET status = $3,"
	"  failure_reason = CASE WHEN $3 = 'failed' THEN $4 ELSE failure_reason END,"
	"  attempts = attempts + $5::int, updated_at = now()"
	"  WHERE id = $1 AND status = $2 RETURNING id)"
	" INSERT INTO order_history (order_id, from_status, to_status, reason)"
	" SELECT id, $2, $3, $4 FROM o",
	5, 0, 0
};

/* One more attempt at an order that keeps its status. */
static struct db_stmt count_attempt = {
	"w_count_attempt",
	"UPDATE orders SET attempts = attempts + 1, updated_at = now() WHERE id = $1",
	1, 0, 0
};

/* Back to the relay after the broker dead-lettered its message. */
static struct db_stmt requeue_order = {
	"w_requeue_order",
	"UPDATE orders SET attempts = attempts + 1, queued = false, updated_at = now()"
	" WHERE id = $1",
	1, 0, 0
};

/* Relay: pending orders never confirmed as queued (orders_unqueued_idx). */
static struct db_stmt unqueued_orders = {
	"w_unqueued_orders",
	"SELECT id FROM orders WHERE status = 'pending' AND NOT queued"
	" AND created_at < now() - make_interval(secs => $1::int)"
	" ORDER BY id LIMIT $2::int FOR NO KEY UPDATE SKIP LOCKED",
	2, 0, 0
};

/* Relay: processing orders untouched for a while that no worker claims. */
static struct db_stmt stranded_orders = {
	"w_stranded_orders",
	"WITH c AS (SELECT id FROM orders WHERE status = 'processing'"
	"  AND updated_at < now() - make_interval(secs => $1::int)"
	"  ORDER BY id LIMIT $2::int FOR NO KEY UPDATE SKIP LOCKED)"
	" SELECT id FROM c WHERE pg_try_advisory_xact_lock(-id)",
	2, 0, 0
};

/* Relay: published; a processing order is touched so it is not resent. */
static struct db_stmt mark_published = {
	"w_mark_published",
	"UPDATE orders SET queued = true,"
	" updated_at = CASE WHEN status = 'processing' THEN now() ELSE updated_at END"
	" WHERE id = ANY($1::bigint[])",
	1, 0, 0
};

void store_init(struct store *s, struct db *db)
{
	s->db = db;
	s->sqlstate[0] = '\0';
}

int store_begin(struct store *s)
{
	s->sqlstate[0] = '\0';
	return db_begin(s->db);
}

int store_commit(struct store *s)
{
	s->sqlstate[0] = '\0';
	return db_commit(s->db);
}

void store_rollback(struct store *s)
{
	db_rollback(s->db);
}

int store_ping(struct store *s)
{
	return db_ping(s->db);
}

/* Runs stmt with the order id as its one parameter. */
static PGresult *exec_id(struct store *s, struct db_stmt *stmt, long long id)
{
	char idbuf[24];
	const char *params[] = { idbuf };

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	return db_exec(s->db, stmt, params, s->sqlstate);
}

/* For statements whose result is only "it worked". */
static int run_id(struct store *s, struct db_stmt *stmt, long long id)
{
	PGresult *res = exec_id(s, stmt, id);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int store_claim(struct store *s, long long id, unsigned *session)
{
	PGresult *res = exec_id(s, &claim_order, id);
	int taken;

	*session = 0;
	if (res == NULL)
		return -1;
	taken = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (taken)
		*session = db_session(s->db);
	return taken;
}

void store_unclaim(struct store *s, long long id, unsigned session)
{
	char idbuf[24];
	const char *params[] = { idbuf };

	if (session == 0 || session != db_session(s->db))
		return;
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	/* Keeps s->sqlstate: it may explain the job's failure. */
	PQclear(db_exec(s->db, &unclaim_order, params, NULL));
}

int store_lock_order(struct store *s, long long id, struct store_order *out)
{
	PGresult *res = exec_id(s, &lock_order, id);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	snprintf(out->status, sizeof(out->status), "%s", PQgetvalue(res, 0, 0));
	out->attempts = atoi(PQgetvalue(res, 0, 1));
	snprintf(out->email, sizeof(out->email), "%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	return 1;
}

/* Why the locked rows in res cannot all be reserved, or "" if they can. */
static void shortage(PGresult *res, char *why, size_t whylen)
{
	why[0] = '\0';
	if (PQntuples(res) == 0)
		snprintf(why, whylen, "the order has no items");
	for (int r = 0; r < PQntuples(res) && !why[0]; r++) {
		const char *name = PQgetvalue(res, r, 0);
		long long stock = strtoll(PQgetvalue(res, r, 1), NULL, 10);
		long long wanted = strtoll(PQgetvalue(res, r, 3), NULL, 10);

		if (PQgetvalue(res, r, 2)[0] != 't')
			snprintf(why, whylen, "%s is no longer sold", name);
		else if (stock < wanted)
			snprintf(why, whylen, "insufficient stock for %s (%lld wanted, %lld left)",
				 name, wanted, stock);
	}
}

int store_reserve(struct store *s, long long id, char *why, size_t whylen)
{
	PGresult *res = exec_id(s, &lock_products, id);
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	shortage(res, why, whylen);
	PQclear(res);
	if (why[0])
		return 0;
	res = exec_id(s, &take_stock, id);
	if (res == NULL)
		return -1;
	if (atoi(PQcmdTuples(res)) != n) {
		/* Impossible with the rows locked: refuse rather than half-reserve. */
		log_msg(LOG_ERROR, id, "stock changed under its lock; not reserving");
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 1;
}

int store_release(struct store *s, long long id)
{
	PGresult *res = exec_id(s, &lock_products, id);

	if (res == NULL)
		return -1;
	PQclear(res);
	return run_id(s, &return_stock, id);
}

/* The transition statement: how many orders moved (0 or 1), or -1. */
static int transition_rows(struct store *s, long long id, const char *from, const char *to,
			   const char *reason, int add_attempts)
{
	char idbuf[24], addbuf[12];
	const char *params[] = { idbuf, from, to, reason, addbuf };
	PGresult *res;
	int n;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	snprintf(addbuf, sizeof(addbuf), "%d", add_attempts);
	res = db_exec(s->db, &transition, params, s->sqlstate);
	if (res == NULL)
		return -1;
	n = atoi(PQcmdTuples(res));
	PQclear(res);
	return n;
}

int store_transition(struct store *s, long long id, const char *from, const char *to,
		     const char *reason, int add_attempts)
{
	int n = transition_rows(s, id, from, to, reason, add_attempts);

	if (n < 0)
		return -1;
	if (n != 1) {
		log_msg(LOG_ERROR, id, "status change %s->%s found the order elsewhere", from, to);
		return -1;
	}
	return 0;
}

int store_complete(struct store *s, long long id)
{
	/* The UPDATE locks the row and re-checks the status after any wait. */
	return transition_rows(s, id, "processing", "completed", "payment accepted", 0);
}

int store_count_attempt(struct store *s, long long id)
{
	return run_id(s, &count_attempt, id);
}

int store_requeue(struct store *s, long long id)
{
	return run_id(s, &requeue_order, id);
}

static int select_ids(struct store *s, struct db_stmt *stmt, int secs, long long *ids, int max)
{
	char secbuf[12], maxbuf[12];
	const char *params[] = { secbuf, maxbuf };
	PGresult *res;
	int n;

	snprintf(secbuf, sizeof(secbuf), "%d", secs);
	snprintf(maxbuf, sizeof(maxbuf), "%d", max);
	res = db_exec(s->db, stmt, params, s->sqlstate);
	if (res == NULL)
		return -1;
	n = PQntuples(res) < max ? PQntuples(res) : max;
	for (int i = 0; i < n; i++)
		ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	PQclear(res);
	return n;
}

int store_unqueued(struct store *s, int grace_s, long long *ids, int max)
{
	return select_ids(s, &unqueued_orders, grace_s, ids, max);
}

int store_stranded(struct store *s, int stale_s, long long *ids, int max)
{
	return select_ids(s, &stranded_orders, stale_s, ids, max);
}

int store_mark_published(struct store *s, const long long *ids, int n)
{
	size_t len = (size_t)n * 21 + 3, off = 0;
	char *arr = malloc(len);
	const char *params[1];
	PGresult *res;

	if (arr == NULL) {
		log_error("out of memory");
		return -1;
	}
	arr[off++] = '{';
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(arr + off, len - off, "%s%lld", i ? "," : "", ids[i]);
	snprintf(arr + off, len - off, "}");
	params[0] = arr;
	res = db_exec(s->db, &mark_published, params, s->sqlstate);
	free(arr);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
