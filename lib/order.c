/* order.c - order statements and their mapping to structs.
 *
 * Placement runs in one transaction: the order row (idempotency key unique,
 * ON CONFLICT DO NOTHING so concurrent retries wait for the first and then
 * find its order), the items priced from the products table, the total
 * summed from those items, and the first history event. */
#include "order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Products named by an order, for validation before placement. */
static struct db_stmt products_for_order = {
	"order_products",
	"SELECT id, price_cents, stock, active, name FROM products WHERE id = ANY($1::bigint[])",
	1, 1, 0
};

/* The whole placement in one statement, so one round trip and one snapshot:
 * the order priced from the products it names (all of them active, else no
 * row), its items at those same prices and names, and the first history
 * event. No row back: the idempotency key is taken, or a product is gone. */
static struct db_stmt place_order = {
	"order_place",
	"WITH q AS (SELECT p.id, p.name, p.price_cents, l.qty"
	"  FROM unnest($6::bigint[], $7::int[]) AS l(pid, qty)"
	"  JOIN products p ON p.id = l.pid AND p.active),"
	" o AS (INSERT INTO orders (customer_name, customer_email, total_cents, access_token,"
	"  idempotency_key, request_hash)"
	"  SELECT $1, $2, sum(q.price_cents::bigint * q.qty), $3, $4, $5 FROM q"
	"  HAVING count(*) = cardinality($6::bigint[])"
	"  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, total_cents),"
	" i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, product_name)"
	"  SELECT o.id, q.id, q.qty, q.price_cents, q.name FROM o, q),"
	" h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)"
	"  SELECT o.id, NULL, 'pending', 'order placed' FROM o)"
	" SELECT id, total_cents FROM o",
	7, 0, 0
};

/* The order an idempotency key already names. */
static struct db_stmt order_by_key = {
	"order_by_key",
	"SELECT id, total_cents, status, access_token, request_hash IS NOT DISTINCT FROM $2"
	" FROM orders WHERE idempotency_key = $1",
	2, 1, 0
};

static struct db_stmt mark_queued = {
	"order_mark_queued",
	"UPDATE orders SET queued = true WHERE id = $1 AND NOT queued",
	1, 0, 0
};

static struct db_stmt select_order = {
	"order_select",
	"SELECT id, status, total_cents, customer_name, customer_email, access_token,"
	" failure_reason, " TS("created_at") ", " TS("updated_at")
	" FROM orders WHERE id = $1",
	1, 1, 0
};

static struct db_stmt select_items = {
	"order_select_items",
	"SELECT product_id, product_name, quantity, unit_price_cents FROM order_items"
	" WHERE order_id = $1 ORDER BY product_id",
	1, 1, 0
};

static struct db_stmt select_history = {
	"order_select_history",
	"SELECT coalesce(from_status, ''), to_status, reason, " TS("created_at")
	" FROM order_history WHERE order_id = $1 ORDER BY id",
	1, 1, 0
};

/* pending -> cancelled, with its history event, in one statement. */
static struct db_stmt cancel_order = {
	"order_cancel",
	"WITH c AS (UPDATE orders SET status = 'cancelled', updated_at = now()"
	"  WHERE id = $1 AND status = 'pending' RETURNING id),"
	" h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)"
	"  SELECT id, 'pending', 'cancelled', $2 FROM c)"
	" SELECT (SELECT count(*) FROM c), (SELECT status FROM orders WHERE id = $1)",
	2, 0, 0
};

/* The backlog: pending orders and the age of the oldest, both from the
 * (status, created_at) index; the health check's PostgreSQL ping too. */
static struct db_stmt pending_backlog = {
	"order_backlog",
	"SELECT count(*), coalesce(floor(extract(epoch FROM now() - min(created_at))), 0)::bigint"
	" FROM orders WHERE status = 'pending'",
	0, 1, 0
};

/* Formats ids or quantities as a PostgreSQL array literal "{1,2,3}". */
static void array_literal(char *buf, size_t len, const struct order_line *lines, int n, int qty)
{
	size_t off = 0;

	buf[off++] = '{';
	for (int i = 0; i < n && off < len - 24; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%lld", i ? "," : "",
					qty ? (long long)lines[i].quantity : lines[i].product_id);
	snprintf(buf + off, len - off, "}");
}

static long long ll_at(PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int order_products(struct db *db, const struct order_line *lines, int n, struct order_product *out)
{
	char ids[64 * 24];
	const char *params[] = { ids };
	PGresult *res;

	array_literal(ids, sizeof(ids), lines, n, 0);
	res = db_exec(db, &products_for_order, params, NULL);
	if (res == NULL)
		return -1;
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		for (int r = 0; r < PQntuples(res); r++) {
			if (ll_at(res, r, 0) != lines[i].product_id)
				continue;
			out[i].id = lines[i].product_id;
			out[i].price_cents = ll_at(res, r, 1);
			out[i].stock = ll_at(res, r, 2);
			out[i].active = PQgetvalue(res, r, 3)[0] == 't';
			snprintf(out[i].name, sizeof(out[i].name), "%s", PQgetvalue(res, r, 4));
		}
	}
	PQclear(res);
	return 0;
}

int order_find_by_key(struct db *db, const char *key, const char *request_hash,
		      struct order_placed *out)
{
	const char *params[] = { key, request_hash };
	PGresult *res = db_exec(db, &order_by_key, params, NULL);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return 0;
	}
	out->id = ll_at(res, 0, 0);
	out->total_cents = ll_at(res, 0, 1);
	snprintf(out->status, sizeof(out->status), "%s", PQgetvalue(res, 0, 2));
	snprintf(out->token, sizeof(out->token), "%s", PQgetvalue(res, 0, 3));
	out->replayed = 1;
	out->hash_mismatch = PQgetvalue(res, 0, 4)[0] != 't';
	PQclear(res);
	return 1;
}

int order_place(struct db *db, const struct order_new *req, struct order_placed *out)
{
	char ids[64 * 24], qtys[64 * 24];
	const char *params[] = { req->customer_name, req->customer_email, req->token,
				 req->idempotency_key, req->request_hash, ids, qtys };
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	array_literal(ids, sizeof(ids), req->lines, req->nlines, 0);
	array_literal(qtys, sizeof(qtys), req->lines, req->nlines, 1);
	res = db_exec(db, &place_order, params, NULL);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		out->id = ll_at(res, 0, 0);
		out->total_cents = ll_at(res, 0, 1);
		snprintf(out->status, sizeof(out->status), "pending");
		snprintf(out->token, sizeof(out->token), "%s", req->token);
		PQclear(res);
		return 0;
	}
	PQclear(res);
	/* Either a concurrent retry with the same key committed first, or a
	 * product was withdrawn since it was checked. */
	rc = req->idempotency_key ? order_find_by_key(db, req->idempotency_key,
						      req->request_hash, out) : 0;
	return rc == 1 ? 0 : rc < 0 ? -1 : -2;
}

int order_mark_queued(struct db *db, long long id)
{
	char idbuf[24];
	const char *params[] = { idbuf };
	PGresult *res;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	res = db_exec(db, &mark_queued, params, NULL);
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static const char *opt_str(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int map_order(struct order *o, PGresult *head, PGresult *items, PGresult *hist)
{
	o->id = ll_at(head, 0, 0);
	o->status = PQgetvalue(head, 0, 1);
	o->total_cents = ll_at(head, 0, 2);
	o->customer_name = PQgetvalue(head, 0, 3);
	o->customer_email = PQgetvalue(head, 0, 4);
	o->token = PQgetvalue(head, 0, 5);
	o->failure_reason = opt_str(head, 0, 6);
	o->created_at = PQgetvalue(head, 0, 7);
	o->updated_at = PQgetvalue(head, 0, 8);
	o->nitems = PQntuples(items);
	o->nhistory = PQntuples(hist);
	o->items = calloc((size_t)o->nitems + 1, sizeof(*o->items));
	o->history = calloc((size_t)o->nhistory + 1, sizeof(*o->history));
	if (o->items == NULL || o->history == NULL)
		return -1;
	for (int i = 0; i < o->nitems; i++) {
		o->items[i].product_id = ll_at(items, i, 0);
		o->items[i].name = PQgetvalue(items, i, 1);
		o->items[i].quantity = (int)ll_at(items, i, 2);
		o->items[i].price_cents = ll_at(items, i, 3);
	}
	for (int i = 0; i < o->nhistory; i++) {
		o->history[i].from = PQgetvalue(hist, i, 0);
		o->history[i].to = PQgetvalue(hist, i, 1);
		o->history[i].reason = PQgetvalue(hist, i, 2);
		o->history[i].at = PQgetvalue(hist, i, 3);
	}
	return 0;
}

int order_get(struct db *db, long long id, struct order *o)
{
	char idbuf[24];
	const char *params[] = { idbuf };
	PGresult *head, *items = NULL, *hist = NULL;

	memset(o, 0, sizeof(*o));
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	head = db_exec(db, &select_order, params, NULL);
	if (head == NULL)
		return -1;
	if (PQntuples(head) != 1) {
		PQclear(head);
		return 0;
	}
	o->owned[0] = head;
	items = db_exec(db, &select_items, params, NULL);
	o->owned[1] = items;
	hist = items ? db_exec(db, &select_history, params, NULL) : NULL;
	o->owned[2] = hist;
	if (hist == NULL || map_order(o, head, items, hist) < 0) {
		order_release(o);
		return -1;
	}
	return 1;
}

void order_release(struct order *o)
{
	for (int i = 0; i < 3; i++)
		PQclear(o->owned[i]);
	free(o->items);
	free(o->history);
	memset(o, 0, sizeof(*o));
}

int order_cancel(struct db *db, long long id, const char *reason, char status_out[16])
{
	char idbuf[24];
	const char *params[] = { idbuf, reason };
	PGresult *res;
	int rc;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	res = db_exec(db, &cancel_order, params, NULL);
	if (res == NULL)
		return -1;
	if (PQgetisnull(res, 0, 1))
		rc = 0;
	else if (ll_at(res, 0, 0) == 1)
		rc = 1;
	else
		rc = -2;
	snprintf(status_out, 16, "%s", PQgetisnull(res, 0, 1) ? "" : PQgetvalue(res, 0, 1));
	PQclear(res);
	return rc;
}

int order_backlog(struct db *db, struct order_backlog *out)
{
	PGresult *res = db_exec(db, &pending_backlog, NULL, NULL);

	memset(out, 0, sizeof(*out));
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		out->waiting = ll_at(res, 0, 0);
		out->oldest_s = ll_at(res, 0, 1);
	}
	PQclear(res);
	return 0;
}

int order_token_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}
