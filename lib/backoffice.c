/* backoffice.c - staff statements on products and orders.
 *
 * Each change is one statement (or, for a refund, one transaction) that
 * also writes its audit entry, so an edit is never visible without its
 * record nor recorded without happening. A refund locks the order first,
 * then its products in id order, the same order the worker takes them in,
 * so a refund and a worker never deadlock; the second of two concurrent
 * refunds waits for the first and then finds the order refunded. */
#include "backoffice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "staff.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define AUDIT_INSERT "INSERT INTO staff_audit (staff_id, username, action, entity, entity_id, before, after)"
#define PRODUCT_AUDIT_COLS "id, name, description, category, price_cents, stock, active, allergens, dietary"

static struct db_stmt product_create = {
	"bo_product_create",
	"WITH n AS (INSERT INTO products (name, description, category, price_cents, stock, active,"
	"  allergens, dietary)"
	"  VALUES ($1, coalesce($2, ''), $3, $4::int, $5::int, coalesce($6::boolean, true),"
	"  coalesce($7::text[], '{}'), coalesce($8::text[], '{}'))"
	"  RETURNING " PRODUCT_AUDIT_COLS "),"
	" a AS (" AUDIT_INSERT " SELECT $9::bigint, $10, 'product.create', 'product', n.id, NULL,"
	"  to_jsonb(n) FROM n)"
	" SELECT id FROM n",
	10, 0, 0
};

/* The edit: NULL parameters keep the column; the row is locked first so
 * "before" is the version the edit replaced. */
static struct db_stmt product_update = {
	"bo_product_update",
	"WITH o AS (SELECT " PRODUCT_AUDIT_COLS " FROM products WHERE id = $1 FOR UPDATE),"
	" n AS (UPDATE products p SET name = coalesce($2, p.name),"
	"  description = coalesce($3, p.description), category = coalesce($4, p.category),"
	"  price_cents = coalesce($5::int, p.price_cents), stock = coalesce($6::int, p.stock),"
	"  active = coalesce($7::boolean, p.active), allergens = coalesce($8::text[], p.allergens),"
	"  dietary = coalesce($9::text[], p.dietary), updated_at = now()"
	"  FROM o WHERE p.id = o.id"
	"  RETURNING p.id, p.name, p.description, p.category, p.price_cents, p.stock, p.active,"
	"  p.allergens, p.dietary),"
	" a AS (" AUDIT_INSERT " SELECT $10::bigint, $11, 'product.update', 'product', n.id,"
	"  to_jsonb(o), to_jsonb(n) FROM o, n)"
	" SELECT count(*) FROM n",
	11, 0, 0
};

/* A staff status change from -> to in one statement, with its history
 * event and audit entry. */
#define STAFF_MOVE_SQL(from, to, reason, action)                                          \
	"WITH c AS (UPDATE orders SET status = '" to "', updated_at = now()"                \
	"  WHERE id = $1 AND status = '" from "' RETURNING id),"                             \
	" h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)"        \
	"  SELECT id, '" from "', '" to "', '" reason "' FROM c),"                           \
	" a AS (" AUDIT_INSERT " SELECT $2::bigint, $3, '" action "', 'order', id,"          \
	"  '{\"status\":\"" from "\"}', '{\"status\":\"" to "\"}' FROM c)"                   \
	" SELECT (SELECT count(*) FROM c), (SELECT status FROM orders WHERE id = $1)"

static struct db_stmt staff_cancel_stmt = {
	"bo_order_cancel",
	STAFF_MOVE_SQL("pending", "cancelled", "cancelled by staff", "order.cancel"),
	3, 0, 0
};

/* Handed over at the counter. */
static struct db_stmt staff_collect_stmt = {
	"bo_order_collect",
	STAFF_MOVE_SQL("completed", "collected", "collected at the counter", "order.collect"),
	3, 0, 0
};

/* First step of a refund: the order's row, locked for the transaction. */
static struct db_stmt staff_lock_stmt = {
	"bo_order_lock",
	"SELECT status FROM orders WHERE id = $1 FOR UPDATE",
	1, 0, 0
};

/* Second step, the order locked and completed: products locked in id
 * order (the stock goes back after, order_restock), the order refunded,
 * history and audit. */
static struct db_stmt staff_refund_stmt = {
	"bo_order_refund",
	"WITH l AS (SELECT p.id, i.quantity FROM order_items i JOIN products p ON p.id = i.product_id"
	"  WHERE i.order_id = $1 ORDER BY p.id FOR NO KEY UPDATE OF p),"
	" o AS (UPDATE orders SET status = 'refunded', updated_at = now() WHERE id = $1 RETURNING id),"
	" h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)"
	"  SELECT id, 'completed', 'refunded', 'refunded by staff, stock restored' FROM o),"
	" a AS (" AUDIT_INSERT " SELECT $2::bigint, $3, 'order.refund', 'order', id,"
	"  '{\"status\":\"completed\"}', jsonb_build_object('status', 'refunded', 'stock_restored',"
	"  (SELECT coalesce(jsonb_agg(jsonb_build_object('product_id', id, 'quantity', quantity)"
	"   ORDER BY id), '[]') FROM l)) FROM o)"
	" SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM o)",
	3, 0, 0
};

/* The staff order list: NULL filters match everything; newest first by id,
 * which is also the keyset cursor. */
static struct db_stmt orders_page = {
	"bo_orders_page",
	"SELECT id, status, total_cents, customer_name, customer_email, "
	TS("created_at") ", " TS("updated_at") ", branch_id, bakery_iso(pickup_at, $7) FROM orders"
	" WHERE ($1::text IS NULL OR status = $1)"
	" AND ($2::date IS NULL OR created_at >= $2::date::timestamp AT TIME ZONE 'UTC')"
	" AND ($3::date IS NULL OR created_at < ($3::date + 1)::timestamp AT TIME ZONE 'UTC')"
	" AND ($4::text IS NULL OR strpos(lower(customer_email), lower($4)) > 0)"
	" AND ($5::bigint = 0 OR id < $5::bigint)"
	" ORDER BY id DESC LIMIT $6",
	7, 1, 0
};

#define RANGE_FROM "coalesce($1::date, (now() AT TIME ZONE 'UTC')::date - 6)"
#define RANGE_TO "coalesce($2::date, (now() AT TIME ZONE 'UTC')::date)"
#define IN_RANGE(col) col " >= " RANGE_FROM "::timestamp AT TIME ZONE 'UTC' AND " \
	col " < (" RANGE_TO " + 1)::timestamp AT TIME ZONE 'UTC'"

/* Completed (and since collected) orders and their revenue per UTC day, every day of the range. */
static struct db_stmt summary_days = {
	"bo_summary_days",
	"SELECT to_char(d.day, 'YYYY-MM-DD'), count(o.id), coalesce(sum(o.total_cents), 0)"
	" FROM generate_series(" RANGE_FROM ", " RANGE_TO ", interval '1 day') AS d(day)"
	" LEFT JOIN orders o ON o.status IN ('completed', 'collected')"
	"  AND (o.created_at AT TIME ZONE 'UTC')::date = d.day::date"
	"  AND " IN_RANGE("o.created_at")
	" GROUP BY d.day ORDER BY d.day",
	2, 1, 0
};

/* The ten products that brought the most revenue in completed orders. */
static struct db_stmt summary_top = {
	"bo_summary_top",
	"SELECT i.product_id, p.name, sum(i.quantity), sum(i.quantity::bigint * i.unit_price_cents)"
	" FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id"
	" WHERE o.status IN ('completed', 'collected') AND " IN_RANGE("o.created_at")
	" GROUP BY i.product_id, p.name ORDER BY 4 DESC, 1 LIMIT 10",
	2, 1, 0
};

static long long ll_at(PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Text parameters of a product's set fields; NULL for the others. */
struct product_params {
	char price[24], stock[24], staff[24];
	const char *v[8];
};

static void product_params(const struct backoffice_product *p, const struct staff_session *who,
			   struct product_params *pp)
{
	memset(pp, 0, sizeof(*pp));
	snprintf(pp->price, sizeof(pp->price), "%lld", p->price_cents);
	snprintf(pp->stock, sizeof(pp->stock), "%lld", p->stock);
	snprintf(pp->staff, sizeof(pp->staff), "%lld", who->staff_id);
	pp->v[0] = p->set & BO_NAME ? p->name : NULL;
	pp->v[1] = p->set & BO_DESCRIPTION ? p->description : NULL;
	pp->v[2] = p->set & BO_CATEGORY ? p->category : NULL;
	pp->v[3] = p->set & BO_PRICE ? pp->price : NULL;
	pp->v[4] = p->set & BO_STOCK ? pp->stock : NULL;
	pp->v[5] = p->set & BO_ACTIVE ? (p->active ? "true" : "false") : NULL;
	pp->v[6] = p->set & BO_ALLERGENS ? p->allergens : NULL;
	pp->v[7] = p->set & BO_DIETARY ? p->dietary : NULL;
}

long long backoffice_product_create(struct db *db, const struct staff_session *who,
				    const struct backoffice_product *p)
{
	struct product_params pp;
	const char *params[10];
	PGresult *res;
	long long id;

	product_params(p, who, &pp);
	memcpy(params, pp.v, sizeof(pp.v));
	params[8] = pp.staff;
	params[9] = who->username;
	res = db_exec(db, &product_create, params, NULL);
	if (res == NULL)
		return -1;
	id = PQntuples(res) == 1 ? ll_at(res, 0, 0) : -1;
	PQclear(res);
	return id;
}

enum lookup backoffice_product_update(struct db *db, const struct staff_session *who, long long id,
				     const struct backoffice_product *p)
{
	struct product_params pp;
	char idbuf[24];
	const char *params[11];
	PGresult *res;
	enum lookup rc;

	product_params(p, who, &pp);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	params[0] = idbuf;
	memcpy(params + 1, pp.v, sizeof(pp.v));
	params[9] = pp.staff;
	params[10] = who->username;
	res = db_exec(db, &product_update, params, NULL);
	if (res == NULL)
		return LOOKUP_ERROR;
	rc = ll_at(res, 0, 0) == 1 ? LOOKUP_FOUND : LOOKUP_NONE;
	PQclear(res);
	return rc;
}

/* The parameters of a staff change to an order: $1 the order, $2 and $3
 * who (for the audit log). */
struct order_params {
	char id[24], staff[24];
	const char *v[3];
};

static void order_params(long long id, const struct staff_session *who, struct order_params *op)
{
	snprintf(op->id, sizeof(op->id), "%lld", id);
	snprintf(op->staff, sizeof(op->staff), "%lld", who->staff_id);
	op->v[0] = op->id;
	op->v[1] = op->staff;
	op->v[2] = who->username;
}

static enum order_move_result staff_move(struct db *db, struct db_stmt *stmt,
					 const struct staff_session *who, long long id,
					 char status_out[16])
{
	struct order_params op;
	PGresult *res;
	enum order_move_result rc;

	order_params(id, who, &op);
	res = db_exec(db, stmt, op.v, NULL);
	if (res == NULL)
		return MOVE_ERROR;
	if (PQgetisnull(res, 0, 1))
		rc = MOVE_UNKNOWN;
	else
		rc = ll_at(res, 0, 0) == 1 ? MOVE_DONE : MOVE_ELSEWHERE;
	snprintf(status_out, 16, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return rc;
}

enum order_move_result backoffice_order_cancel(struct db *db, const struct staff_session *who,
					       long long id, char status_out[16])
{
	return staff_move(db, &staff_cancel_stmt, who, id, status_out);
}

enum order_move_result backoffice_order_collect(struct db *db, const struct staff_session *who,
						long long id, char status_out[16])
{
	return staff_move(db, &staff_collect_stmt, who, id, status_out);
}

/* Locks the order: MOVE_DONE when it is completed (the refund may go on),
 * MOVE_UNKNOWN, MOVE_ELSEWHERE (another status) or MOVE_ERROR. */
static enum order_move_result lock_completed(struct db *db, const char *idbuf,
					     char status_out[16])
{
	const char *params[] = { idbuf };
	PGresult *res = db_exec(db, &staff_lock_stmt, params, NULL);
	enum order_move_result rc;

	if (res == NULL)
		return MOVE_ERROR;
	status_out[0] = '\0';
	if (PQntuples(res) == 1)
		snprintf(status_out, 16, "%s", PQgetvalue(res, 0, 0));
	rc = PQntuples(res) != 1 ? MOVE_UNKNOWN
	     : strcmp(status_out, "completed") == 0 ? MOVE_DONE : MOVE_ELSEWHERE;
	PQclear(res);
	return rc;
}

enum order_move_result backoffice_order_refund(struct db *db, const struct staff_session *who,
					       long long id, char status_out[16])
{
	struct order_params op;
	PGresult *res;
	enum order_move_result rc;

	order_params(id, who, &op);
	if (db_begin(db) < 0)
		return MOVE_ERROR;
	rc = lock_completed(db, op.id, status_out);
	if (rc != MOVE_DONE) {
		db_rollback(db);
		return rc;
	}
	res = db_exec(db, &staff_refund_stmt, op.v, NULL);
	if (res == NULL || ll_at(res, 0, 1) != 1 || order_restock(db, id, NULL) < 0) {
		PQclear(res);
		db_rollback(db);
		return MOVE_ERROR;
	}
	PQclear(res);
	if (db_commit(db) < 0) {
		db_rollback(db);
		return MOVE_ERROR;
	}
	snprintf(status_out, 16, "refunded");
	return MOVE_DONE;
}

int backoffice_orders(struct db *db, const struct backoffice_filter *f, struct backoffice_page *out)
{
	char after[24], limit[12];
	const char *params[] = { f->status, f->from, f->to, f->email, after, limit, f->tz };
	PGresult *res;

	memset(out, 0, sizeof(*out));
	snprintf(after, sizeof(after), "%lld", f->after);
	snprintf(limit, sizeof(limit), "%d", f->limit);
	res = db_exec(db, &orders_page, params, NULL);
	if (res == NULL)
		return -1;
	out->owned = res;
	out->n = PQntuples(res);
	out->items = calloc((size_t)out->n + 1, sizeof(*out->items));
	if (out->items == NULL) {
		backoffice_page_release(out);
		return -1;
	}
	for (int i = 0; i < out->n; i++) {
		struct backoffice_order *o = &out->items[i];

		o->id = ll_at(res, i, 0);
		o->status = PQgetvalue(res, i, 1);
		o->total_cents = ll_at(res, i, 2);
		o->customer_name = PQgetvalue(res, i, 3);
		o->customer_email = PQgetvalue(res, i, 4);
		o->created_at = PQgetvalue(res, i, 5);
		o->updated_at = PQgetvalue(res, i, 6);
		o->branch_id = ll_at(res, i, 7);
		o->pickup_at = PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8);
	}
	return 0;
}

void backoffice_page_release(struct backoffice_page *page)
{
	PQclear(page->owned);
	free(page->items);
	memset(page, 0, sizeof(*page));
}

static int map_summary(struct backoffice_summary *s, PGresult *days, PGresult *top)
{
	s->ndays = PQntuples(days);
	s->ntop = PQntuples(top);
	s->days = calloc((size_t)s->ndays + 1, sizeof(*s->days));
	s->top = calloc((size_t)s->ntop + 1, sizeof(*s->top));
	if (s->days == NULL || s->top == NULL)
		return -1;
	for (int i = 0; i < s->ndays; i++) {
		s->days[i].date = PQgetvalue(days, i, 0);
		s->days[i].orders = ll_at(days, i, 1);
		s->days[i].revenue_cents = ll_at(days, i, 2);
	}
	for (int i = 0; i < s->ntop; i++) {
		s->top[i].product_id = ll_at(top, i, 0);
		s->top[i].name = PQgetvalue(top, i, 1);
		s->top[i].quantity = ll_at(top, i, 2);
		s->top[i].revenue_cents = ll_at(top, i, 3);
	}
	return 0;
}

int backoffice_summary(struct db *db, const char *from, const char *to,
		       struct backoffice_summary *out)
{
	const char *params[] = { from, to };

	memset(out, 0, sizeof(*out));
	out->owned[0] = db_exec(db, &summary_days, params, NULL);
	out->owned[1] = out->owned[0] ? db_exec(db, &summary_top, params, NULL) : NULL;
	if (out->owned[1] == NULL || map_summary(out, out->owned[0], out->owned[1]) < 0) {
		backoffice_summary_release(out);
		return -1;
	}
	return 0;
}

void backoffice_summary_release(struct backoffice_summary *s)
{
	PQclear(s->owned[0]);
	PQclear(s->owned[1]);
	free(s->days);
	free(s->top);
	memset(s, 0, sizeof(*s));
}
