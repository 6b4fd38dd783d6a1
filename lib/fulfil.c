/* fulfil.c - the worker's SQL (SPEC §7.3), one named statement per
 * purpose; its status changes are order.c's move statement.
 *
 * Lock order, everywhere: the order row first, then its products in id
 * order, so two workers never wait on each other in a cycle. A batch
 * (fulfil_open_many) locks all of its orders' rows first, in id order,
 * then all of their products, in id order: the same order for one order
 * or many, so two workers' batches never deadlock either. Rows are
 * locked FOR NO KEY UPDATE, which is what UPDATE itself takes: it excludes
 * other workers and the responder's status changes, but not the FOR KEY
 * SHARE of foreign-key checks, so placing an order (order_items ->
 * products) never waits for, or deadlocks with, a worker. Statements run
 * inside a transaction are never retried by db.c on a new connection
 * (readonly = 0): that would run them outside the transaction. */
#include "fulfil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "order_move.h"

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

/* The columns of an order's products as the worker locks them: the order,
 * its branch, the product, its name, its stock at the branch, whether it
 * is sold, the quantity wanted (enum below). */
#define LOCKED_PRODUCTS                                                                  \
	"SELECT i.order_id, o.branch_id, p.id, p.name, coalesce(s.stock, 0), p.active,"  \
	" i.quantity FROM order_items i JOIN orders o ON o.id = i.order_id"              \
	" JOIN products p ON p.id = i.product_id"                                        \
	" LEFT JOIN branch_stock s ON s.branch_id = o.branch_id AND s.product_id = p.id"
enum { LP_ORDER, LP_BRANCH, LP_PRODUCT, LP_NAME, LP_STOCK, LP_ACTIVE, LP_WANTED };

/* The order's products with the quantities wanted and their stock at the
 * order's branch, the products locked in id order: every writer of a
 * branch's stock locks the product row first. */
static struct db_stmt lock_products = {
	"w_lock_products",
	LOCKED_PRODUCTS " WHERE i.order_id = $1 ORDER BY p.id FOR NO KEY UPDATE OF p",
	1, 0, 0
};

/* A batch: its claims (array order), its orders' rows locked in id order
 * (LockRows above the sort locks them as they come), then the products of
 * those pending, locked in id order.
 *
 * The test for pending is written "(o.status = 'pending') IS TRUE", which
 * means the same but cannot be an index condition, so the orders are found
 * by their ids. Written plainly, PostgreSQL reads the batch through
 * (status, id) whenever its statistics were taken while few orders were
 * pending (a worker keeping up), and then walks every pending order's
 * entry, live or dead, for each batch: in a backlog, the very moment the
 * worker must be quick, thousands of index entries a batch (measured with
 * pg_stat_statements in make bench: 16 ms a batch instead of 2; the
 * responder's order_mark_queued, which had the same fault, 4.5 ms a call
 * instead of 0.35). */
static struct db_stmt claim_orders = {
	"w_claim_orders", "SELECT pg_try_advisory_lock(-x) FROM unnest($1::bigint[]) x", 1, 0, 0
};

static struct db_stmt lock_orders = {
	"w_lock_orders",
	"SELECT id, status, attempts, customer_email FROM orders WHERE id = ANY($1::bigint[])"
	" ORDER BY id FOR NO KEY UPDATE",
	1, 0, 0
};

static struct db_stmt lock_batch_products = {
	"w_lock_batch_products",
	LOCKED_PRODUCTS " WHERE i.order_id = ANY($1::bigint[]) AND (o.status = 'pending') IS TRUE"
	" ORDER BY p.id FOR NO KEY UPDATE OF p",
	1, 0, 0
};

/* A batch's reserved orders' quantities off stock, summed per branch and
 * product (an UPDATE ... FROM changes each row once, whatever the number
 * of rows joined to it). */
static struct db_stmt take_batch_stock = {
	"w_take_batch_stock",
	"UPDATE branch_stock s SET stock = s.stock - t.qty"
	" FROM (SELECT o.branch_id, i.product_id, sum(i.quantity)::int AS qty FROM order_items i"
	"  JOIN orders o ON o.id = i.order_id WHERE i.order_id = ANY($1::bigint[]) GROUP BY 1, 2) t"
	" WHERE s.branch_id = t.branch_id AND s.product_id = t.product_id AND s.stock >= t.qty",
	1, 0, 0
};

/* Takes every quantity off the branch's stock; the CHECK (stock >= 0) is
 * the backstop. The default branch's rows echo into products.stock. */
static struct db_stmt take_stock = {
	"w_take_stock",
	"UPDATE branch_stock s SET stock = s.stock - i.quantity"
	" FROM order_items i JOIN orders o ON o.id = i.order_id"
	" WHERE i.order_id = $1 AND s.branch_id = o.branch_id AND s.product_id = i.product_id"
	" AND s.stock >= i.quantity",
	1, 0, 0
};

/* Drops the claims of a batch, all held on this connection. */
static struct db_stmt unclaim_orders = {
	"w_unclaim_orders", "SELECT pg_advisory_unlock(-x) FROM unnest($1::bigint[]) x", 1, 0, 0
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

void fulfil_init(struct fulfil *f, struct db *db)
{
	f->db = db;
	f->sqlstate[0] = '\0';
	f->locked = NULL;
}

/* The products fulfil_open() locked go with the transaction. */
static void fulfil_forget(struct fulfil *f)
{
	PQclear(f->locked);
	f->locked = NULL;
}

int fulfil_begin(struct fulfil *f)
{
	fulfil_forget(f);
	f->sqlstate[0] = '\0';
	return db_begin(f->db);
}

int fulfil_commit(struct fulfil *f)
{
	fulfil_forget(f);
	f->sqlstate[0] = '\0';
	return db_commit(f->db);
}

void fulfil_rollback(struct fulfil *f)
{
	fulfil_forget(f);
	db_rollback(f->db);
}

int fulfil_ping(struct fulfil *f)
{
	return db_ping(f->db);
}

/* Runs stmt with the order id as its one parameter. */
static PGresult *exec_id(struct fulfil *f, struct db_stmt *stmt, long long id)
{
	return db_exec_id(f->db, stmt, id, f->sqlstate);
}

/* For statements whose result is only "it worked". */
static int run_id(struct fulfil *f, struct db_stmt *stmt, long long id)
{
	PGresult *res = exec_id(f, stmt, id);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

enum claim_result fulfil_claim(struct fulfil *f, long long id, unsigned *session)
{
	PGresult *res = exec_id(f, &claim_order, id);
	int taken;

	*session = 0;
	if (res == NULL)
		return CLAIM_ERROR;
	taken = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!taken)
		return CLAIM_HELD;
	*session = db_session(f->db);
	return CLAIM_TAKEN;
}

void fulfil_unclaim(struct fulfil *f, long long id, unsigned session)
{
	if (session == 0 || session != db_session(f->db))
		return;
	/* Keeps f->sqlstate: it may explain the job's failure. */
	PQclear(db_exec_id(f->db, &unclaim_order, id, NULL));
}

/* The order in row r of res, from column c on: status, attempts, email
 * (lock_order's and lock_orders' columns). -1 for a status unknown. */
static int order_row_at(const PGresult *res, int r, int c, struct fulfil_order *out)
{
	memset(out, 0, sizeof(*out));
	out->attempts = atoi(PQgetvalue(res, r, c + 1));
	snprintf(out->email, sizeof(out->email), "%s", PQgetvalue(res, r, c + 2));
	return order_status_parse(PQgetvalue(res, r, c), &out->status);
}

/* The order row in res (lock_order's). */
static enum lookup order_row(const PGresult *res, struct fulfil_order *out)
{
	memset(out, 0, sizeof(*out));
	if (PQntuples(res) != 1)
		return LOOKUP_NONE;
	return order_row_at(res, 0, 0, out) < 0 ? LOOKUP_ERROR : LOOKUP_FOUND;
}

enum lookup fulfil_lock_order(struct fulfil *f, long long id, struct fulfil_order *out)
{
	PGresult *res = exec_id(f, &lock_order, id);
	enum lookup r;

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return LOOKUP_ERROR;
	r = order_row(res, out);
	PQclear(res);
	return r;
}

/* What the steps of fulfil_open() found, the claim aside. */
static enum open_result open_found(struct fulfil *f, int rc, PGresult **res, int taken,
				   struct fulfil_order *out)
{
	if (rc < 0)
		return OPEN_ERROR;
	if (!taken)
		return OPEN_HELD;
	switch (order_row(res[2], out)) {
	case LOOKUP_ERROR:
		return OPEN_ERROR;
	case LOOKUP_NONE:
		return OPEN_NONE;
	case LOOKUP_FOUND:
		break;
	}
	f->locked = res[3];
	res[3] = NULL;
	return OPEN_FOUND;
}

enum open_result fulfil_open(struct fulfil *f, long long id, unsigned *session,
			     struct fulfil_order *out)
{
	char idbuf[24];
	const char *params[] = { idbuf };
	const struct db_step steps[] = {
		{ &db_begin_stmt, NULL }, { &claim_order, params },
		{ &lock_order, params },  { &lock_products, params },
	};
	PGresult *res[4];
	enum open_result r;
	int rc, taken;

	fulfil_forget(f);
	memset(out, 0, sizeof(*out));
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	rc = db_exec_steps(f->db, steps, 4, 1, res, f->sqlstate);
	/* Even when a later step failed: the session keeps the claim. */
	taken = res[1] && PQntuples(res[1]) == 1 && PQgetvalue(res[1], 0, 0)[0] == 't';
	*session = taken ? db_session(f->db) : 0;
	r = open_found(f, rc, res, taken, out);
	for (int i = 0; i < 4; i++)
		PQclear(res[i]);
	if (r == OPEN_HELD || r == OPEN_NONE)
		fulfil_rollback(f);
	return r;
}

/* The stock of locked product rows (LOCKED_PRODUCTS) as orders take it
 * one after the other: first[r] is the first row of row r's branch and
 * product, left[first[r]] what the orders taken so far have left of it,
 * and touched[first[r]] whether one of them took some. */
struct batch_stock {
	const PGresult *res;
	int n;
	int *first;
	long long *left;
	unsigned char *touched;
};

static void stock_free(struct batch_stock *b)
{
	free(b->first);
	free(b->left);
	free(b->touched);
}

/* 0, or -1 out of memory (logged). */
static int stock_init(struct batch_stock *b, const PGresult *res)
{
	b->res = res;
	b->n = PQntuples(res);
	b->first = calloc((size_t)b->n + 1, sizeof(*b->first));
	b->left = calloc((size_t)b->n + 1, sizeof(*b->left));
	b->touched = calloc((size_t)b->n + 1, 1);
	if (b->first == NULL || b->left == NULL || b->touched == NULL) {
		log_error("out of memory");
		stock_free(b);
		return -1;
	}
	for (int r = 0; r < b->n; r++) {
		b->first[r] = r;
		/* Rows come in product order: the same product is adjacent. */
		for (int q = r - 1; q >= 0 && db_ll(res, q, LP_PRODUCT) == db_ll(res, r, LP_PRODUCT); q--)
			if (db_ll(res, q, LP_BRANCH) == db_ll(res, r, LP_BRANCH))
				b->first[r] = q;
		b->left[r] = db_ll(res, r, LP_STOCK);
	}
	return 0;
}

/* Order id takes its quantities from what is left, or, saying why in why,
 * none of them: the first of its products (in id order) no longer sold or
 * short. */
static void stock_take(struct batch_stock *b, long long id, char *why, size_t whylen)
{
	int rows = 0;

	why[0] = '\0';
	for (int r = 0; r < b->n && !why[0]; r++) {
		const char *name = PQgetvalue(b->res, r, LP_NAME);
		long long left = b->left[b->first[r]], wanted = db_ll(b->res, r, LP_WANTED);

		if (db_ll(b->res, r, LP_ORDER) != id)
			continue;
		rows++;
		if (PQgetvalue(b->res, r, LP_ACTIVE)[0] != 't')
			snprintf(why, whylen, "%s is no longer sold", name);
		else if (left < wanted)
			snprintf(why, whylen, "insufficient stock for %s (%lld wanted, %lld left)",
				 name, wanted, left);
	}
	if (rows == 0 && !why[0])
		snprintf(why, whylen, "the order has no items");
	for (int r = 0; r < b->n && !why[0]; r++) {
		if (db_ll(b->res, r, LP_ORDER) != id)
			continue;
		b->left[b->first[r]] -= db_ll(b->res, r, LP_WANTED);
		b->touched[b->first[r]] = 1;
	}
}

/* How many rows of stock the orders taken so far change. */
static int stock_touched(const struct batch_stock *b)
{
	int k = 0;

	for (int r = 0; r < b->n; r++)
		k += b->touched[r];
	return k;
}

/* In the open transaction: the stock taken and the order moved on, in
 * one round trip; n rows of stock were locked. */
static enum reserve_result reserve_take(struct fulfil *f, long long id, int n, const char *reason)
{
	char idbuf[24];
	const char *params[] = { idbuf };
	const struct order_move m = { id, ORDER_PENDING, ORDER_PROCESSING, reason, 1, MOVER_WORKER };
	struct order_move_args a;
	struct db_step steps[2] = { { &take_stock, params } };
	PGresult *res[2];
	enum reserve_result r = RESERVE_ERROR;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	order_move_step(&m, &a, &steps[1]);
	if (db_exec_steps(f->db, steps, 2, 0, res, f->sqlstate) < 0) {
		;
	} else if (atoi(PQcmdTuples(res[0])) != n) {
		/* Impossible with the rows locked: refuse rather than half-reserve. */
		log_msg(LL_ERROR, id, "stock changed under its lock; not reserving");
	} else if (order_move_result(res[1], &m, NULL) != MOVE_DONE) {
		log_msg(LL_ERROR, id, "status change pending->processing found the order elsewhere");
	} else {
		r = RESERVE_DONE;
	}
	PQclear(res[0]);
	PQclear(res[1]);
	return r;
}

enum reserve_result fulfil_reserve(struct fulfil *f, long long id, const char *reason, char *why,
				   size_t whylen)
{
	PGresult *res = f->locked ? f->locked : exec_id(f, &lock_products, id);
	struct batch_stock b;
	int n;

	f->locked = NULL;
	if (res == NULL)
		return RESERVE_ERROR;
	if (stock_init(&b, res) < 0) {
		PQclear(res);
		return RESERVE_ERROR;
	}
	stock_take(&b, id, why, whylen);
	n = b.n;
	stock_free(&b);
	PQclear(res);
	if (why[0])
		return RESERVE_SHORT;
	return reserve_take(f, id, n, reason);
}

int fulfil_return_stock(struct fulfil *f, long long id)
{
	PGresult *res = exec_id(f, &lock_products, id);

	if (res == NULL)
		return -1;
	PQclear(res);
	return order_restock(f->db, id, f->sqlstate);
}

int fulfil_move(struct fulfil *f, long long id, enum order_status from, enum order_status to,
		const char *reason, int add_attempts)
{
	const struct order_move m = { id, from, to, reason, add_attempts, MOVER_WORKER };

	switch (order_move(f->db, &m, NULL, f->sqlstate)) {
	case MOVE_DONE:
		return 0;
	case MOVE_UNKNOWN:
	case MOVE_ELSEWHERE:
		log_msg(LL_ERROR, id, "status change %s->%s found the order elsewhere",
			order_status_name(from), order_status_name(to));
		break;
	case MOVE_ERROR:
		break;
	}
	return -1;
}

enum order_move_result fulfil_complete(struct fulfil *f, long long id, const char *reason,
				      unsigned *session)
{
	const struct order_move m = { id, ORDER_PROCESSING, ORDER_COMPLETED, reason, 0,
				      MOVER_WORKER };
	char idbuf[24];
	const char *params[] = { idbuf };
	struct order_move_args a;
	struct db_step steps[2] = { { NULL, NULL }, { &unclaim_order, params } };
	/* The claim is dropped only on the connection that holds it. */
	int n = *session && *session == db_session(f->db) ? 2 : 1;
	PGresult *res[2];
	enum order_move_result r;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	order_move_step(&m, &a, &steps[0]);
	if (db_exec_steps(f->db, steps, n, 0, res, f->sqlstate) < 0) {
		r = MOVE_ERROR;
	} else {
		r = order_move_result(res[0], &m, NULL);
		if (n == 2)
			*session = 0;
	}
	for (int i = 0; i < n; i++)
		PQclear(res[i]);
	return r;
}

/* done[i] = 1 for each id of ids[0..n) in the rows of res. */
static void mark_done(const PGresult *res, const long long *ids, int n, int *done)
{
	for (int r = 0; r < PQntuples(res); r++) {
		long long id = db_ll(res, r, 0);

		for (int i = 0; i < n; i++)
			if (ids[i] == id)
				done[i] = 1;
	}
}

/* The ids of ids[0..n) whose claim this connection holds, into mine:
 * how many. */
static int held_here(struct fulfil *f, const long long *ids, const unsigned *sessions, int n,
		     long long *mine)
{
	unsigned here = db_session(f->db);
	int k = 0;

	for (int i = 0; i < n; i++)
		if (sessions[i] && sessions[i] == here)
			mine[k++] = ids[i];
	return k;
}

/* After a batch's claims held here (mine[0..k)) were dropped with it:
 * sessions[i] zeroed for those. */
static void claims_dropped(struct fulfil *f, unsigned *sessions, int n)
{
	unsigned here = db_session(f->db);

	for (int i = 0; i < n; i++)
		if (sessions[i] == here)
			sessions[i] = 0;
}

int fulfil_complete_many(struct fulfil *f, const long long *ids, unsigned *sessions, int n,
			 const char *reason, int *done)
{
	const struct order_move m = { 0, ORDER_PROCESSING, ORDER_COMPLETED, reason, 0, MOVER_WORKER };
	long long *mine = malloc(sizeof(*mine) * (size_t)n);
	int k = mine ? held_here(f, ids, sessions, n, mine) : 0;
	char *held = db_array_literal(mine, k);
	const char *held_params[] = { held };
	struct order_moves_args a;
	struct db_step steps[] = { { NULL, NULL }, { &unclaim_orders, held_params } };
	PGresult *res[2] = { NULL, NULL };
	int rc = -1;

	memset(done, 0, sizeof(*done) * (size_t)n);
	if (order_moves_step(&m, ids, n, &a, &steps[0]) == 0 && mine && held)
		rc = db_exec_steps(f->db, steps, k ? 2 : 1, 0, res, f->sqlstate);
	else if (mine == NULL)
		log_error("out of memory"); /* db_array_literal logs its own */
	if (rc == 0) {
		mark_done(res[0], ids, n, done);
		if (k)
			claims_dropped(f, sessions, n);
	}
	PQclear(res[0]);
	PQclear(res[1]);
	free(a.ids);
	free(held);
	free(mine);
	return rc;
}

void fulfil_unclaim_many(struct fulfil *f, const long long *ids, unsigned *sessions, int n)
{
	long long mine[FULFIL_BATCH_MAX];
	int k = n <= FULFIL_BATCH_MAX ? held_here(f, ids, sessions, n, mine) : 0;
	char *held = k ? db_array_literal(mine, k) : NULL;
	const char *params[] = { held };

	if (held == NULL)
		return;
	/* Keeps f->sqlstate: it may explain the batch's failure. */
	PQclear(db_exec(f->db, &unclaim_orders, params, NULL));
	claims_dropped(f, sessions, n);
	free(held);
}

/* What fulfil_open_many's steps found: the claims (res[1]) and the orders
 * (res[2]) into o[0..n). -1 for a status unknown. */
static int opened_rows(struct fulfil *f, PGresult **res, struct fulfil_opened *o, int n)
{
	unsigned here = db_session(f->db);
	int rc = 0;

	for (int i = 0; i < n; i++) {
		int taken = res[1] && i < PQntuples(res[1]) && PQgetvalue(res[1], i, 0)[0] == 't';

		o[i].session = taken ? here : 0;
		o[i].found = taken ? OPEN_NONE : OPEN_HELD;
		memset(&o[i].order, 0, sizeof(o[i].order));
		for (int r = 0; taken && res[2] && r < PQntuples(res[2]); r++) {
			if (db_ll(res[2], r, 0) != o[i].id)
				continue;
			o[i].found = OPEN_FOUND;
			if (order_row_at(res[2], r, 1, &o[i].order) < 0)
				rc = -1;
		}
	}
	return rc;
}

int fulfil_open_many(struct fulfil *f, struct fulfil_opened *o, int n)
{
	long long ids[FULFIL_BATCH_MAX];
	char *arr;
	const char *params[1];
	const struct db_step steps[] = {
		{ &db_begin_stmt, NULL }, { &claim_orders, params },
		{ &lock_orders, params }, { &lock_batch_products, params },
	};
	PGresult *res[4] = { NULL, NULL, NULL, NULL };
	int rc = -1;

	fulfil_forget(f);
	for (int i = 0; i < n && i < FULFIL_BATCH_MAX; i++)
		ids[i] = o[i].id;
	arr = n <= FULFIL_BATCH_MAX ? db_array_literal(ids, n) : NULL;
	params[0] = arr;
	if (arr)
		rc = db_exec_steps(f->db, steps, 4, 1, res, f->sqlstate);
	/* Even when a later step failed: the session keeps the claims. */
	if (opened_rows(f, res, o, n) < 0)
		rc = -1;
	if (rc == 0) {
		f->locked = res[3];
		res[3] = NULL;
	}
	for (int i = 0; i < 4; i++)
		PQclear(res[i]);
	free(arr);
	return rc;
}

/* Which of ids[0..n) the locked stock covers, taken in that order:
 * reserved[i]; the ids reserved into took: how many, with *rows the rows
 * of stock they change. -1 out of memory. */
static int reserve_plan(struct fulfil *f, const long long *ids, int n, int *reserved,
			long long *took, int *rows)
{
	struct batch_stock b;
	char why[256];
	int k = 0;

	if (f->locked == NULL || stock_init(&b, f->locked) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		stock_take(&b, ids[i], why, sizeof(why));
		reserved[i] = !why[0];
		if (reserved[i])
			took[k++] = ids[i];
	}
	*rows = stock_touched(&b);
	stock_free(&b);
	fulfil_forget(f);
	return k;
}

int fulfil_reserve_many(struct fulfil *f, const long long *ids, int n, const char *reason,
			int *reserved)
{
	const struct order_move m = { 0, ORDER_PENDING, ORDER_PROCESSING, reason, 1, MOVER_WORKER };
	struct order_moves_args a = { NULL, "", { NULL } };
	struct db_step steps[2];
	PGresult *res[2] = { NULL, NULL };
	long long took[FULFIL_BATCH_MAX];
	int rows = 0, rc = -1;
	int k = n <= FULFIL_BATCH_MAX ? reserve_plan(f, ids, n, reserved, took, &rows) : -1;
	char *arr = k > 0 ? db_array_literal(took, k) : NULL;
	const char *params[] = { arr };

	if (k == 0)
		return 0;
	steps[0] = (struct db_step){ &take_batch_stock, params };
	if (arr && order_moves_step(&m, took, k, &a, &steps[1]) == 0 &&
	    db_exec_steps(f->db, steps, 2, 0, res, f->sqlstate) == 0) {
		if (atoi(PQcmdTuples(res[0])) != rows)
			/* Impossible with the rows locked: refuse rather than half-reserve. */
			log_error("stock changed under its lock; not reserving a batch of %d", k);
		else if (PQntuples(res[1]) != k)
			log_error("status change pending->processing found orders of a batch elsewhere");
		else
			rc = 0;
	}
	PQclear(res[0]);
	PQclear(res[1]);
	free(arr);
	free(a.ids);
	return rc;
}

int fulfil_count_attempt(struct fulfil *f, long long id)
{
	return run_id(f, &count_attempt, id);
}

int fulfil_requeue(struct fulfil *f, long long id)
{
	return run_id(f, &requeue_order, id);
}

static int select_ids(struct fulfil *f, struct db_stmt *stmt, int secs, long long *ids, int max)
{
	char secbuf[12], maxbuf[12];
	const char *params[] = { secbuf, maxbuf };
	PGresult *res;
	int n;

	snprintf(secbuf, sizeof(secbuf), "%d", secs);
	snprintf(maxbuf, sizeof(maxbuf), "%d", max);
	res = db_exec(f->db, stmt, params, f->sqlstate);
	if (res == NULL)
		return -1;
	n = PQntuples(res) < max ? PQntuples(res) : max;
	for (int i = 0; i < n; i++)
		ids[i] = db_ll(res, i, 0);
	PQclear(res);
	return n;
}

int fulfil_unqueued(struct fulfil *f, int grace_s, long long *ids, int max)
{
	return select_ids(f, &unqueued_orders, grace_s, ids, max);
}

int fulfil_stranded(struct fulfil *f, int stale_s, long long *ids, int max)
{
	return select_ids(f, &stranded_orders, stale_s, ids, max);
}

int fulfil_mark_published(struct fulfil *f, const long long *ids, int n)
{
	char *arr = db_array_literal(ids, n);
	const char *params[] = { arr };
	PGresult *res;

	if (arr == NULL)
		return -1;
	res = db_exec(f->db, &mark_published, params, f->sqlstate);
	free(arr);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}
