/* slot.c - pickup slot statements. Every one passes the rules as $1 branch,
 * $2 time zone, $3 slot minutes, $4 default capacity, $5 lead minutes,
 * $6 horizon days, then its own parameters; "today" is the bakery's. */
#include "slot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

#define TODAY "(now() AT TIME ZONE $2)::date"
#define SLOTS(day) "pickup_slots($1, " day ", $2, $3, $4, $5, $6, now())"

/* The bookable slots of day $7 (NULL today). */
static struct db_stmt list_slots = {
	"slot_list",
	"SELECT bakery_iso(slot_start, $2), bakery_iso(slot_end, $2), remaining"
	" FROM " SLOTS("coalesce($7::date, " TODAY ")"),
	7, 1, 0
};

/* The day, and every rule parameter typed (a prepared statement must use
 * each one), whether the statement needs it or not. */
#define DAY_CTE "WITH d AS (SELECT coalesce($7::date, " TODAY ") AS day, $3::int AS mins," \
	" $4::int AS cap, $5::int AS lead, $6::int AS days)"
#define ON_DAY(col) col " >= d.day::timestamp AT TIME ZONE $2 AND " \
	col " < (d.day + 1)::timestamp AT TIME ZONE $2"

/* What to have ready: completed or collected orders, per product and slot;
 * one row of NULLs on an empty day, for the date. */
static struct db_stmt production = {
	"slot_production",
	DAY_CTE ", q AS (SELECT i.product_id, p.name, o.pickup_at, sum(i.quantity) AS qty"
	"  FROM d, orders o JOIN order_items i ON i.order_id = o.id"
	"  JOIN products p ON p.id = i.product_id"
	"  WHERE o.branch_id = $1 AND o.status IN ('completed', 'collected') AND " ON_DAY("o.pickup_at")
	"  GROUP BY i.product_id, p.name, o.pickup_at)"
	" SELECT to_char(d.day, 'YYYY-MM-DD'), bakery_iso(q.pickup_at, $2), NULL, NULL::bigint,"
	"  NULL, NULL, NULL::bigint, q.product_id, q.name, q.qty,"
	"  dense_rank() OVER (ORDER BY q.pickup_at)"
	" FROM d LEFT JOIN q ON true ORDER BY q.name, q.product_id, q.pickup_at",
	7, 1, 0
};

/* The day's orders that hold their place, one row per item. */
static struct db_stmt pickups = {
	"slot_pickups",
	DAY_CTE ", q AS (SELECT o.pickup_at, o.id, o.status, o.customer_name, o.total_cents,"
	"  i.product_id, i.product_name, i.quantity FROM d, orders o"
	"  JOIN order_items i ON i.order_id = o.id"
	"  WHERE o.branch_id = $1 AND o.status NOT IN ('cancelled', 'failed', 'refunded')"
	"  AND " ON_DAY("o.pickup_at") ")"
	" SELECT to_char(d.day, 'YYYY-MM-DD'), bakery_iso(q.pickup_at, $2),"
	"  bakery_iso(q.pickup_at + make_interval(mins => d.mins), $2), q.id, q.status,"
	"  q.customer_name, q.total_cents, q.product_id, q.product_name, q.quantity,"
	"  dense_rank() OVER (ORDER BY q.pickup_at)"
	" FROM d LEFT JOIN q ON true ORDER BY q.pickup_at, q.id, q.product_id",
	7, 1, 0
};

void slot_rule_texts(const struct slot_rules *r, struct slot_rule_texts *t)
{
	snprintf(t->minutes, sizeof(t->minutes), "%d", r->minutes);
	snprintf(t->capacity, sizeof(t->capacity), "%d", r->capacity);
	snprintf(t->lead, sizeof(t->lead), "%d", r->lead);
	snprintf(t->days, sizeof(t->days), "%d", r->days);
}

/* The rule parameters $1..$6 and the statement's own $7. */
struct rule_params {
	char branch[24];
	struct slot_rule_texts t;
	const char *v[7];
};

static void rule_params(struct rule_params *p, const struct slot_rules *r, long long branch,
			const char *seventh)
{
	snprintf(p->branch, sizeof(p->branch), "%lld", branch);
	slot_rule_texts(r, &p->t);
	p->v[0] = p->branch;
	p->v[1] = r->tz;
	p->v[2] = p->t.minutes;
	p->v[3] = p->t.capacity;
	p->v[4] = p->t.lead;
	p->v[5] = p->t.days;
	p->v[6] = seventh;
}

int slot_list(struct db *db, const struct slot_rules *r, long long branch, const char *date,
	      struct slot **out, int *n)
{
	struct rule_params p;
	PGresult *res;

	rule_params(&p, r, branch, date);
	*out = NULL;
	*n = 0;
	res = db_exec(db, &list_slots, p.v, NULL);
	if (res == NULL)
		return -1;
	*out = db_rows_calloc(res, sizeof(**out), n);
	if (*out == NULL)
		return -1;
	for (int i = 0; i < *n; i++) {
		snprintf((*out)[i].start, SLOT_TIME_LEN, "%s", PQgetvalue(res, i, 0));
		snprintf((*out)[i].end, SLOT_TIME_LEN, "%s", PQgetvalue(res, i, 1));
		(*out)[i].remaining = (int)db_ll(res, i, 2);
	}
	PQclear(res);
	return 0;
}

static const char *opt(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

/* Rows of production or pickups (same columns) into d. 0 or -1. */
static int map_day(PGresult *res, struct slot_day *d)
{
	int rows = PQntuples(res);

	d->owned = res;
	d->lines = calloc((size_t)rows + 1, sizeof(*d->lines));
	if (d->lines == NULL || rows < 1) {
		log_error("slot day: out of memory or no row");
		return -1;
	}
	snprintf(d->date, sizeof(d->date), "%s", PQgetvalue(res, 0, 0));
	for (int i = 0; i < rows; i++) {
		struct slot_line *l = &d->lines[d->n];

		if (PQgetisnull(res, i, 7))
			continue; /* the empty day's row */
		l->start = opt(res, i, 1);
		l->end = opt(res, i, 2);
		l->order_id = db_ll(res, i, 3);
		l->status = opt(res, i, 4);
		l->customer_name = opt(res, i, 5);
		l->total_cents = db_ll(res, i, 6);
		l->product_id = db_ll(res, i, 7);
		l->name = opt(res, i, 8);
		l->quantity = db_ll(res, i, 9);
		l->slot = (int)db_ll(res, i, 10) - 1;
		d->n++;
	}
	return 0;
}

static int day_query(struct db *db, struct db_stmt *stmt, const struct slot_rules *r,
		     long long branch, const char *date, struct slot_day *out)
{
	struct rule_params p;
	PGresult *res;

	memset(out, 0, sizeof(*out));
	rule_params(&p, r, branch, date);
	res = db_exec(db, stmt, p.v, NULL);
	if (res == NULL)
		return -1;
	if (map_day(res, out) < 0) {
		slot_day_release(out);
		return -1;
	}
	return 0;
}

int slot_production(struct db *db, const struct slot_rules *r, long long branch,
		    const char *date, struct slot_day *out)
{
	return day_query(db, &production, r, branch, date, out);
}

int slot_pickups(struct db *db, const struct slot_rules *r, long long branch, const char *date,
		 struct slot_day *out)
{
	return day_query(db, &pickups, r, branch, date, out);
}

void slot_day_release(struct slot_day *d)
{
	PQclear(d->owned);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}
