/* order.c - order statements and their mapping to structs.
 *
 * Placement is one statement, so one round trip and one transaction: the
 * order row (idempotency key unique, ON CONFLICT DO NOTHING so concurrent
 * retries wait for the first and then find its order) with its pickup
 * slot booked (slot_for_order(), schema 005: the next free one when none
 * is asked for), the items priced from the products table, the total
 * summed from those items, and the first history event; when it cannot
 * store the order it fails, and nothing of it is kept. A place in a slot
 * comes back by a trigger (schema 004) when the order is cancelled, fails
 * or is refunded. Every later status change, the customer's cancel and the
 * worker's steps alike, is the one move statement: the order row and its
 * history event together. */
#include "order.h"
#include "order_move.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "db.h"
#include "log.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* HISTORY_CTE, the one INSERT INTO order_history: order_move.h. */

static const char *const status_names[ORDER_STATUS_COUNT] = {
	[ORDER_PENDING] = "pending",     [ORDER_PROCESSING] = "processing",
	[ORDER_COMPLETED] = "completed", [ORDER_FAILED] = "failed",
	[ORDER_CANCELLED] = "cancelled", [ORDER_REFUNDED] = "refunded",
	[ORDER_COLLECTED] = "collected",
};

/* The branch $2 (0 = the default) and the products named by an order
 * with their stock there, for validation before placement, in one round
 * trip: a row per product found (or one with a NULL product when none
 * is), none when there is no such branch. */
static struct db_stmt products_for_order = {
	"order_products",
	"SELECT b.id, p.id, p.price_cents, coalesce(s.stock, 0), p.active, p.name FROM branches b"
	" LEFT JOIN products p ON p.id = ANY($1::bigint[])"
	" LEFT JOIN branch_stock s ON s.product_id = p.id AND s.branch_id = b.id"
	" WHERE b.id = $2::bigint OR ($2 = 0 AND b.is_default)",
	2, 1, 0
};

/* The whole placement in one statement, so one round trip, one snapshot
 * and one transaction: the order priced from the products it names (all of
 * them active, else no row), its pickup slot ($9, or the next free one),
 * its items at those same prices and names, and the first history event.
 * Fails with SQLSTATE BK001 (slot full) or BK002 (not a bookable slot)
 * from slot_for_order(), BK003 when no order was stored: the idempotency
 * key is taken, or a product is gone. */
static struct db_stmt place_order = {
	"order_place",
	"WITH q AS (SELECT p.id, p.name, p.price_cents, l.qty"
	"  FROM unnest($6::bigint[], $7::int[]) AS l(pid, qty)"
	"  JOIN products p ON p.id = l.pid AND p.active),"
	" o AS (INSERT INTO orders (customer_name, customer_email, total_cents, access_token,"
	"  idempotency_key, request_hash, branch_id, pickup_at)"
	"  SELECT $1, $2, sum(q.price_cents::bigint * q.qty), $3, $4, $5, $8::bigint,"
	"  slot_for_order($8, $9::timestamptz, $10, $11, $12, $13, $14) FROM q"
	"  HAVING count(*) = cardinality($6::bigint[])"
	"  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, total_cents, branch_id, pickup_at),"
	" i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, product_name)"
	"  SELECT o.id, q.id, q.qty, q.price_cents, q.name FROM o, q),"
	HISTORY_CTE("o.id, NULL, 'pending', 'order placed'", "o")
	" SELECT coalesce(o.id, bakery_no_order()), o.total_cents, o.branch_id,"
	"  bakery_iso(o.pickup_at, $10) FROM (VALUES (1)) AS one (x) LEFT JOIN o ON true",
	14, 0, 0
};

/* The order an idempotency key already names. */
static struct db_stmt order_by_key = {
	"order_by_key",
	"SELECT id, total_cents, status, access_token, request_hash IS NOT DISTINCT FROM $2,"
	" branch_id, coalesce(bakery_iso(pickup_at, $3), '')"
	" FROM orders WHERE idempotency_key = $1",
	3, 1, 0
};

/* Confirmed by the broker: the relay need not send them. Only orders still
 * pending and not locked: the relay sends no other, one a worker has taken
 * already (its message arrived) is left as it is, which spares the write
 * (a new row version, never HOT: queued is in orders_unqueued_idx's
 * predicate), and one locked is being taken or settled (a worker's batch
 * holds many: waiting for it could deadlock). An order left unmarked that
 * stays pending is only sent once more by the relay. The ids are found by
 * the primary key: the status test is written "(...) IS TRUE" so that it
 * cannot become an index condition (why: lock_batch_products in fulfil.c). */
static struct db_stmt mark_queued = {
	"order_mark_queued",
	"UPDATE orders SET queued = true WHERE id IN (SELECT id FROM orders"
	" WHERE id = ANY($1::bigint[]) AND (NOT queued AND status = 'pending') IS TRUE"
	" FOR NO KEY UPDATE SKIP LOCKED)",
	1, 0, 0
};

/* An order, its items and its history in one statement (one executor run,
 * one snapshot): rows of kind 0 (the order; n its id), 1 (an item; n its
 * product id) and 2 (a history event; n its id), in that order. */
static struct db_stmt select_order = {
	"order_select",
	"SELECT 0 AS k, o.id AS n, o.status, o.total_cents::text, o.customer_name, o.customer_email,"
	" o.access_token, o.failure_reason, " TS("o.created_at") ", " TS("o.updated_at") ","
	" b.id::text, b.name, b.address, bakery_iso(o.pickup_at, $2)"
	" FROM orders o JOIN branches b ON b.id = o.branch_id WHERE o.id = $1"
	" UNION ALL SELECT 1, product_id, product_name, quantity::text, unit_price_cents::text,"
	"  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM order_items WHERE order_id = $1"
	" UNION ALL SELECT 2, id, coalesce(from_status, ''), to_status, reason, " TS("created_at") ","
	"  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM order_history WHERE order_id = $1"
	" ORDER BY 1, 2",
	2, 1, 0
};

/* The move itself, for the orders named by ids (an expression of $1):
 * status $2 -> $3 (only from $2) with its history event (reason $4, also
 * the failure reason of a failed order) and $5 more attempts. The UPDATE
 * locks each row and re-checks the status after any wait. */
#define MOVE_CTE(ids)                                                              \
	"WITH o AS (UPDATE orders SET status = $3,"                                  \
	"  failure_reason = CASE WHEN $3 = 'failed' THEN $4 ELSE failure_reason END," \
	"  attempts = attempts + $5::int, updated_at = now()"                        \
	"  WHERE id = " ids " AND status = $2 RETURNING id),"                        \
	HISTORY_CTE("id, $2, $3, $4", "o")

/* One order ($1): answers how many moved and the status before (NULL: no
 * such order). One statement, named for each mover. */
#define MOVE_SQL MOVE_CTE("$1") " SELECT (SELECT count(*) FROM o), (SELECT status FROM orders WHERE id = $1)"

static struct db_stmt move_order[MOVER_COUNT] = {
	[MOVER_CUSTOMER] = { "order_cancel", MOVE_SQL, 5, 0, 0 },
	[MOVER_WORKER] = { "w_transition", MOVE_SQL, 5, 0, 0 },
};

/* The worker's move of several orders ($1, an array) at once: answers the
 * ids of those that moved. */
static struct db_stmt move_orders = {
	"w_move_orders", MOVE_CTE("ANY($1::bigint[])") " SELECT id FROM o", 5, 0, 0
};

/* A reserved order's quantities back on its branch's stock. */
static struct db_stmt restock = {
	"order_restock",
	"INSERT INTO branch_stock (branch_id, product_id, stock)"
	" SELECT o.branch_id, i.product_id, i.quantity FROM order_items i"
	" JOIN orders o ON o.id = i.order_id WHERE i.order_id = $1"
	" ON CONFLICT (branch_id, product_id) DO UPDATE SET stock = branch_stock.stock + EXCLUDED.stock",
	1, 0, 0
};

/* The backlog: pending orders and the age of the oldest, both from the
 * (status, created_at) index; the health check's PostgreSQL ping too. */
static struct db_stmt pending_backlog = {
	"order_backlog",
	"SELECT count(*), coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint"
	" FROM orders WHERE status = 'pending'",
	0, 1, 0
};

/* Every status's count and oldest order, from the (status, created_at)
 * index. */
static struct db_stmt census = {
	"order_census",
	"SELECT status, count(*),"
	" coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint"
	" FROM orders GROUP BY status",
	0, 1, 0
};

const char *order_status_name(enum order_status s)
{
	return (unsigned)s < ORDER_STATUS_COUNT ? status_names[s] : "unknown";
}

int order_status_parse(const char *name, enum order_status *out)
{
	for (int i = 0; i < ORDER_STATUS_COUNT; i++) {
		if (strcmp(name, status_names[i]) == 0) {
			*out = (enum order_status)i;
			return 0;
		}
	}
	log_error("unknown order status \"%s\"", name);
	return -1;
}

int order_status_final(enum order_status s)
{
	return s != ORDER_PENDING && s != ORDER_PROCESSING;
}

/* The lines' product ids, and their quantities when qtys is non-NULL, as
 * array literals (caller frees). 0 or -1 (out of memory, logged). */
static int line_arrays(const struct order_line *lines, int n, char **ids, char **qtys)
{
	long long *v = malloc(sizeof(*v) * ((size_t)n * 2 + 1));

	*ids = NULL;
	if (qtys)
		*qtys = NULL;
	if (v == NULL) {
		log_error("out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		v[i] = lines[i].product_id;
		v[n + i] = lines[i].quantity;
	}
	*ids = db_array_literal(v, n);
	if (*ids && qtys && (*qtys = db_array_literal(v + n, n)) == NULL) {
		free(*ids);
		*ids = NULL;
	}
	free(v);
	return *ids ? 0 : -1;
}

/* Row r of products_for_order into the out[] entries of its product. */
static void product_row(PGresult *res, int r, const struct order_line *lines, int n,
			struct order_product *out)
{
	long long id = db_ll(res, r, 1);

	for (int i = 0; i < n; i++) {
		if (PQgetisnull(res, r, 1) || lines[i].product_id != id)
			continue;
		out[i].id = id;
		out[i].price_cents = db_ll(res, r, 2);
		out[i].stock = db_ll(res, r, 3);
		out[i].active = PQgetvalue(res, r, 4)[0] == 't';
		snprintf(out[i].name, sizeof(out[i].name), "%s", PQgetvalue(res, r, 5));
	}
}

enum lookup order_products(struct db *db, long long asked, const struct order_line *lines, int n,
			   struct order_product *out, long long *branch)
{
	char *ids, bbuf[24];
	const char *params[] = { NULL, bbuf };
	PGresult *res;

	*branch = 0;
	memset(out, 0, sizeof(*out) * (size_t)n);
	if (line_arrays(lines, n, &ids, NULL) < 0)
		return LOOKUP_ERROR;
	snprintf(bbuf, sizeof(bbuf), "%lld", asked);
	params[0] = ids;
	res = db_exec(db, &products_for_order, params, NULL);
	free(ids);
	if (res == NULL)
		return LOOKUP_ERROR;
	if (PQntuples(res) > 0)
		*branch = db_ll(res, 0, 0);
	for (int r = 0; r < PQntuples(res); r++)
		product_row(res, r, lines, n, out);
	PQclear(res);
	return *branch ? LOOKUP_FOUND : LOOKUP_NONE;
}

enum lookup order_find_by_key(struct db *db, const char *key, const char *request_hash,
			      const char *tz, struct order_placed *out)
{
	char key_hash[SHA256_HEX_LEN + 1];
	const char *params[] = { key_hash, request_hash, tz };
	PGresult *res;
	enum lookup r = LOOKUP_NONE;

	memset(out, 0, sizeof(*out));
	sha256_hex(key, strlen(key), key_hash);
	res = db_exec(db, &order_by_key, params, NULL);
	if (res == NULL)
		return LOOKUP_ERROR;
	if (PQntuples(res) == 1) {
		out->id = db_ll(res, 0, 0);
		out->total_cents = db_ll(res, 0, 1);
		out->replayed = 1;
		out->hash_mismatch = PQgetvalue(res, 0, 4)[0] != 't';
		out->branch_id = db_ll(res, 0, 5);
		snprintf(out->pickup_at, sizeof(out->pickup_at), "%s", PQgetvalue(res, 0, 6));
		/* Same key and request: the same derived token, unless the order
		 * predates derived tokens (then it cannot be told again). */
		if (!out->hash_mismatch && (order_token_new(key, request_hash, out->token) < 0 ||
					    !order_token_matches(out->token, PQgetvalue(res, 0, 3))))
			out->hash_mismatch = 1;
		if (out->hash_mismatch)
			out->token[0] = '\0';
		r = order_status_parse(PQgetvalue(res, 0, 2), &out->status) < 0 ? LOOKUP_ERROR
										  : LOOKUP_FOUND;
	}
	PQclear(res);
	return r;
}

/* No order came back from placement: either a concurrent retry with the
 * same key committed first, or a product was withdrawn since it was
 * checked. */
static enum order_place_result place_lost(struct db *db, const struct order_new *req,
					  struct order_placed *out)
{
	if (req->idempotency_key == NULL)
		return PLACE_WITHDRAWN;
	switch (order_find_by_key(db, req->idempotency_key, req->request_hash, req->slots->tz, out)) {
	case LOOKUP_FOUND:
		return PLACE_DONE;
	case LOOKUP_NONE:
		return PLACE_WITHDRAWN;
	case LOOKUP_ERROR:
		break;
	}
	return PLACE_ERROR;
}

/* What a failed placement statement's SQLSTATE says (schema 005). */
static enum order_place_result place_failed(const char *state)
{
	if (strcmp(state, "BK001") == 0)
		return PLACE_SLOT_FULL;
	if (strcmp(state, "BK002") == 0)
		return PLACE_SLOT_UNAVAILABLE;
	if (strcmp(state, "BK003") == 0)
		return PLACE_WITHDRAWN;
	return PLACE_ERROR; /* logged by db_exec */
}

/* The order itself, with its slot: PLACE_DONE with out's id, total and
 * slot, PLACE_WITHDRAWN when nothing was stored, PLACE_SLOT_* or
 * PLACE_ERROR. */
static enum order_place_result insert(struct db *db, const struct order_new *req,
				      struct order_placed *out)
{
	char branch[24], token_hash[SHA256_HEX_LEN + 1], key_hash[SHA256_HEX_LEN + 1], state[6];
	struct slot_rule_texts t;
	const char *params[] = { req->customer_name, req->customer_email, token_hash,
				 req->idempotency_key ? key_hash : NULL, req->request_hash, NULL, NULL,
				 branch, req->pickup_at, req->slots->tz, t.minutes, t.capacity,
				 t.lead, t.days };
	char *ids, *qtys;
	PGresult *res;

	/* Neither is stored in clear: a copy of the table gives no access. */
	sha256_hex(req->token, strlen(req->token), token_hash);
	if (req->idempotency_key)
		sha256_hex(req->idempotency_key, strlen(req->idempotency_key), key_hash);
	if (line_arrays(req->lines, req->nlines, &ids, &qtys) < 0)
		return PLACE_ERROR;
	snprintf(branch, sizeof(branch), "%lld", req->branch_id);
	slot_rule_texts(req->slots, &t);
	params[5] = ids;
	params[6] = qtys;
	res = db_exec(db, &place_order, params, state);
	free(ids);
	free(qtys);
	if (res == NULL)
		return place_failed(state);
	if (PQntuples(res) != 1) { /* one row by construction, or an error */
		log_error("postgres %s: %d rows", place_order.name, PQntuples(res));
		PQclear(res);
		return PLACE_ERROR;
	}
	out->id = db_ll(res, 0, 0);
	out->total_cents = db_ll(res, 0, 1);
	out->branch_id = db_ll(res, 0, 2);
	snprintf(out->pickup_at, sizeof(out->pickup_at), "%s", PQgetvalue(res, 0, 3));
	PQclear(res);
	return PLACE_DONE;
}

enum order_place_result order_place(struct db *db, const struct order_new *req,
				    struct order_placed *out)
{
	enum order_place_result r;

	memset(out, 0, sizeof(*out));
	r = insert(db, req, out);
	if (r == PLACE_WITHDRAWN) /* no order: the key's, or a product gone */
		return place_lost(db, req, out);
	if (r != PLACE_DONE)
		return r;
	out->status = ORDER_PENDING;
	snprintf(out->token, sizeof(out->token), "%s", req->token);
	return PLACE_DONE;
}

int order_mark_queued(struct db *db, const long long *ids, int n)
{
	char *list = db_array_literal(ids, n);
	const char *params[1] = { list };
	PGresult *res;

	if (list == NULL)
		return -1;
	res = db_exec(db, &mark_queued, params, NULL);
	free(list);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static const char *opt_str(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Rows of kind k from *row on: how many. */
static int rows_of_kind(PGresult *res, int row, char k)
{
	int n = 0;

	while (row + n < PQntuples(res) && PQgetvalue(res, row + n, 0)[0] == k)
		n++;
	return n;
}

/* Row 0 is the order (kind 0), then its items, then its history. */
static int map_order(struct order *o, PGresult *res)
{
	int first_event;

	o->id = db_ll(res, 0, 1);
	o->total_cents = db_ll(res, 0, 3);
	o->customer_name = PQgetvalue(res, 0, 4);
	o->customer_email = PQgetvalue(res, 0, 5);
	o->token_hash = PQgetvalue(res, 0, 6);
	o->failure_reason = opt_str(res, 0, 7);
	o->created_at = PQgetvalue(res, 0, 8);
	o->updated_at = PQgetvalue(res, 0, 9);
	o->branch_id = db_ll(res, 0, 10);
	o->branch_name = PQgetvalue(res, 0, 11);
	o->branch_address = PQgetvalue(res, 0, 12);
	o->pickup_at = opt_str(res, 0, 13);
	o->nitems = rows_of_kind(res, 1, '1');
	first_event = 1 + o->nitems;
	o->nhistory = rows_of_kind(res, first_event, '2');
	o->items = calloc((size_t)o->nitems + 1, sizeof(*o->items));
	o->history = calloc((size_t)o->nhistory + 1, sizeof(*o->history));
	if (o->items == NULL || o->history == NULL || first_event + o->nhistory != PQntuples(res) ||
	    order_status_parse(PQgetvalue(res, 0, 2), &o->status) < 0)
		return -1;
	for (int i = 0; i < o->nitems; i++) {
		o->items[i].product_id = db_ll(res, 1 + i, 1);
		o->items[i].name = PQgetvalue(res, 1 + i, 2);
		o->items[i].quantity = (int)db_ll(res, 1 + i, 3);
		o->items[i].price_cents = db_ll(res, 1 + i, 4);
	}
	for (int i = 0; i < o->nhistory; i++) {
		o->history[i].from = PQgetvalue(res, first_event + i, 2);
		o->history[i].to = PQgetvalue(res, first_event + i, 3);
		o->history[i].reason = PQgetvalue(res, first_event + i, 4);
		o->history[i].at = PQgetvalue(res, first_event + i, 5);
	}
	return 0;
}

enum lookup order_get(struct db *db, long long id, const char *tz, struct order *o)
{
	char idbuf[24];
	const char *params[] = { idbuf, tz };
	PGresult *res;

	memset(o, 0, sizeof(*o));
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	res = db_exec(db, &select_order, params, NULL);
	if (res == NULL)
		return LOOKUP_ERROR;
	o->owned = res;
	if (PQntuples(res) == 0 || PQgetvalue(res, 0, 0)[0] != '0') {
		order_release(o);
		return LOOKUP_NONE;
	}
	if (map_order(o, res) < 0) {
		log_error("order %lld: unexpected row shape", id);
		order_release(o);
		return LOOKUP_ERROR;
	}
	return LOOKUP_FOUND;
}

void order_release(struct order *o)
{
	PQclear(o->owned);
	free(o->items);
	free(o->history);
	memset(o, 0, sizeof(*o));
}

/* A move's parameters after the order(s), first: into params[0..5). */
static void move_params(const struct order_move *m, const char *first, char *add, size_t addlen,
			const char **params)
{
	snprintf(add, addlen, "%d", m->add_attempts);
	params[0] = first;
	params[1] = order_status_name(m->from);
	params[2] = order_status_name(m->to);
	params[3] = m->reason;
	params[4] = add;
}

void order_move_step(const struct order_move *m, struct order_move_args *a, struct db_step *step)
{
	snprintf(a->id, sizeof(a->id), "%lld", m->id);
	move_params(m, a->id, a->add, sizeof(a->add), a->params);
	step->stmt = &move_order[m->by];
	step->params = a->params;
}

int order_moves_step(const struct order_move *m, const long long *ids, int n,
		     struct order_moves_args *a, struct db_step *step)
{
	a->ids = db_array_literal(ids, n);
	move_params(m, a->ids, a->add, sizeof(a->add), a->params);
	step->stmt = &move_orders;
	step->params = a->params;
	return a->ids ? 0 : -1;
}

enum order_move_result order_move_result(const PGresult *res, const struct order_move *m,
					 enum order_status *now)
{
	enum order_move_result r;

	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 1))
		r = MOVE_UNKNOWN;
	else
		r = db_ll(res, 0, 0) == 1 ? MOVE_DONE : MOVE_ELSEWHERE;
	if (r == MOVE_DONE && now)
		*now = m->from;
	else if (r == MOVE_ELSEWHERE && now && order_status_parse(PQgetvalue(res, 0, 1), now) < 0)
		r = MOVE_ERROR;
	return r;
}

enum order_move_result order_move(struct db *db, const struct order_move *m,
				  enum order_status *now, char sqlstate[6])
{
	struct order_move_args a;
	struct db_step step;
	enum order_move_result r;
	PGresult *res;

	order_move_step(m, &a, &step);
	res = db_exec(db, step.stmt, step.params, sqlstate);
	if (res == NULL)
		return MOVE_ERROR;
	r = order_move_result(res, m, now);
	PQclear(res);
	return r;
}

enum order_move_result order_cancel(struct db *db, long long id, const char *reason,
				    enum order_status *now)
{
	const struct order_move m = { id, ORDER_PENDING, ORDER_CANCELLED, reason, 0,
				      MOVER_CUSTOMER };

	return order_move(db, &m, now, NULL);
}

int order_restock(struct db *db, long long id, char sqlstate[6])
{
	PGresult *res = db_exec_id(db, &restock, id, sqlstate);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int order_backlog(struct db *db, struct order_backlog *out)
{
	PGresult *res = db_exec(db, &pending_backlog, NULL, NULL);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		out->waiting = db_ll(res, 0, 0);
		out->oldest_s = db_ll(res, 0, 1);
	}
	PQclear(res);
	return 0;
}

int order_census(struct db *db, struct order_census *out)
{
	PGresult *res = db_exec(db, &census, NULL, NULL);
	enum order_status s;

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++) {
		/* A status this binary does not know (a newer schema's) is left out. */
		if (order_status_parse(PQgetvalue(res, i, 0), &s) < 0)
			continue;
		out->count[s] = db_ll(res, i, 1);
		out->oldest_s[s] = db_ll(res, i, 2);
	}
	PQclear(res);
	return 0;
}

/* 1 when a and b are equal, compared in constant time. */
static int equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int order_token_matches(const char *presented, const char *token_hash)
{
	char hash[SHA256_HEX_LEN + 1];

	sha256_hex(presented, strlen(presented), hash);
	return equal_ct(hash, token_hash);
}

/* Bytes as lowercase hex; out has room for 2 * n + 1. */
static void to_hex(const unsigned char *raw, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

int order_token_new(const char *idempotency_key, const char *request_hash,
		    char out[ORDER_TOKEN_LEN + 1])
{
	unsigned char raw[ORDER_TOKEN_LEN / 2];
	char seed[512], hash[SHA256_HEX_LEN + 1];

	if (idempotency_key == NULL) {
		if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
			log_error("getrandom failed");
			return -1;
		}
		to_hex(raw, sizeof(raw), out);
		return 0;
	}
	/* As secret as the key (16 to 200 characters, random in the
	 * storefront); the table holds only hashes of key and token. */
	snprintf(seed, sizeof(seed), "bakery order token\n%s\n%s", idempotency_key, request_hash);
	sha256_hex(seed, strlen(seed), hash);
	snprintf(out, ORDER_TOKEN_LEN + 1, "%.*s", ORDER_TOKEN_LEN, hash);
	return 0;
}
