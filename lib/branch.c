/* branch.c - branch statements and their mapping to structs.
 *
 * A staff change is one transaction: the branch row locked and recorded as
 * it was (branch_snapshot, schema 004), the change, then the audit entry
 * with the branch as it is now. Stock per branch is one statement with its
 * audit entry; the product row is locked first, the order the worker and
 * a refund lock in, so they never deadlock. */
#include "branch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "staff.h"

#define AUDIT_INSERT "INSERT INTO staff_audit (staff_id, username, action, entity, entity_id, before, after)"

/* Branches with their hours as "1=07:00-18:00,2=..."; $1 < 0 all, 0 the
 * default one, else that id. */
static struct db_stmt select_branches = {
	"branch_select",
	"SELECT b.id, b.name, b.address, coalesce(b.slot_capacity, -1), b.is_default,"
	" coalesce((SELECT string_agg(h.weekday || '=' || left(h.opens::text, 5) || '-' ||"
	"  left(h.closes::text, 5), ',' ORDER BY h.weekday) FROM branch_hours h"
	"  WHERE h.branch_id = b.id), '')"
	" FROM branches b WHERE $1::bigint < 0 OR b.id = $1 OR ($1 = 0 AND b.is_default)"
	" ORDER BY b.id",
	1, 1, 0
};

static struct db_stmt insert_branch = {
	"branch_insert",
	"INSERT INTO branches (name, address, slot_capacity) VALUES ($1, $2, nullif($3::int, -1))"
	" RETURNING id",
	3, 0, 0
};

/* The branch locked, as it was. */
static struct db_stmt lock_branch = {
	"branch_lock",
	"SELECT branch_snapshot(id) FROM branches WHERE id = $1 FOR UPDATE",
	1, 0, 0
};

/* NULL name or address keeps it; $4 says whether $5 is the capacity. */
static struct db_stmt update_branch = {
	"branch_update",
	"UPDATE branches SET name = coalesce($2, name), address = coalesce($3, address),"
	" slot_capacity = CASE WHEN $4::boolean THEN nullif($5::int, -1) ELSE slot_capacity END,"
	" updated_at = now() WHERE id = $1",
	5, 0, 0
};

/* The days given: NULL opening = closed that day. */
static struct db_stmt set_hours = {
	"branch_set_hours",
	"WITH u AS (SELECT * FROM unnest($2::int[], $3::text[], $4::text[]) AS u(w, o, c)),"
	" d AS (DELETE FROM branch_hours h USING u"
	"  WHERE h.branch_id = $1 AND h.weekday = u.w AND u.o IS NULL)"
	" INSERT INTO branch_hours (branch_id, weekday, opens, closes)"
	" SELECT $1, w, o::time, c::time FROM u WHERE o IS NOT NULL"
	" ON CONFLICT (branch_id, weekday) DO UPDATE SET opens = EXCLUDED.opens,"
	" closes = EXCLUDED.closes",
	4, 0, 0
};

static struct db_stmt audit_branch = {
	"branch_audit",
	AUDIT_INSERT " VALUES ($1::bigint, $2, $3, 'branch', $4::bigint, $5::jsonb,"
	" branch_snapshot($4::bigint))",
	5, 0, 0
};

static struct db_stmt stock_list = {
	"branch_stock_list",
	"SELECT p.id, p.name, coalesce(s.stock, 0) FROM products p"
	" LEFT JOIN branch_stock s ON s.product_id = p.id AND s.branch_id = $1"
	" ORDER BY p.name, p.id",
	1, 1, 0
};

/* One product's stock at one branch, with its audit entry. */
static struct db_stmt stock_set = {
	"branch_stock_set",
	"WITH p AS (SELECT id FROM products WHERE id = $2 FOR NO KEY UPDATE),"
	" b AS (SELECT id FROM branches WHERE id = $1),"
	" o AS (SELECT stock FROM branch_stock WHERE branch_id = $1 AND product_id = $2),"
	" n AS (INSERT INTO branch_stock (branch_id, product_id, stock)"
	"  SELECT b.id, p.id, $3::int FROM b, p"
	"  ON CONFLICT (branch_id, product_id) DO UPDATE SET stock = EXCLUDED.stock"
	"  RETURNING stock),"
	" a AS (" AUDIT_INSERT " SELECT $4::bigint, $5, 'branch.stock', 'branch', $1,"
	"  jsonb_build_object('product_id', $2::bigint, 'stock', coalesce((SELECT stock FROM o), 0)),"
	"  jsonb_build_object('product_id', $2::bigint, 'stock', n.stock) FROM n)"
	" SELECT count(*) FROM n",
	5, 0, 0
};

/* "1=07:00-18:00,7=08:00-13:00" into week. */
static void parse_hours(const char *s, struct branch_day week[BRANCH_DAYS])
{
	memset(week, 0, sizeof(*week) * BRANCH_DAYS);
	while (*s) {
		int d = s[0] - '1';

		if (d >= 0 && d < BRANCH_DAYS && strlen(s) >= 13) {
			week[d].open = 1;
			memcpy(week[d].opens, s + 2, 5);
			memcpy(week[d].closes, s + 8, 5);
		}
		s += strcspn(s, ",");
		if (*s == ',')
			s++;
	}
}

static void map_branch(PGresult *res, int row, struct branch *b)
{
	memset(b, 0, sizeof(*b));
	b->id = db_ll(res, row, 0);
	snprintf(b->name, sizeof(b->name), "%s", PQgetvalue(res, row, 1));
	snprintf(b->address, sizeof(b->address), "%s", PQgetvalue(res, row, 2));
	b->slot_capacity = (int)db_ll(res, row, 3);
	b->is_default = PQgetvalue(res, row, 4)[0] == 't';
	parse_hours(PQgetvalue(res, row, 5), b->week);
}

int branch_list(struct db *db, struct branch **out, int *n)
{
	PGresult *res = db_exec_id(db, &select_branches, -1, NULL);

	*out = NULL;
	*n = 0;
	if (res == NULL)
		return -1;
	*out = db_rows_calloc(res, sizeof(**out), n);
	if (*out == NULL)
		return -1;
	for (int i = 0; i < *n; i++)
		map_branch(res, i, &(*out)[i]);
	PQclear(res);
	return 0;
}

enum lookup branch_get(struct db *db, long long id, struct branch *out)
{
	PGresult *res = db_exec_id(db, &select_branches, id, NULL);
	enum lookup r = LOOKUP_NONE;

	if (res == NULL)
		return LOOKUP_ERROR;
	if (PQntuples(res) == 1) {
		map_branch(res, 0, out);
		r = LOOKUP_FOUND;
	}
	PQclear(res);
	return r;
}

/* Runs a statement whose result is only "it worked". 0 or -1. */
static int run(struct db *db, struct db_stmt *stmt, const char *const *params)
{
	PGresult *res = db_exec(db, stmt, params, NULL);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The days of e->days_set as three array literals. */
static int write_hours(struct db *db, const char *idbuf, const struct branch_edit *e)
{
	char days[32] = "{", opens[128] = "{", closes[128] = "{";
	const char *params[] = { idbuf, days, opens, closes };

	if (!(e->set & BR_HOURS) || e->days_set == 0)
		return 0;
	for (int d = 0; d < BRANCH_DAYS; d++) {
		const struct branch_day *w = &e->week[d];
		const char *sep = days[1] ? "," : "";

		if (!(e->days_set & (1u << d)))
			continue;
		snprintf(days + strlen(days), sizeof(days) - strlen(days), "%s%d", sep, d + 1);
		snprintf(opens + strlen(opens), sizeof(opens) - strlen(opens), "%s%s", sep,
			 w->open ? w->opens : "NULL");
		snprintf(closes + strlen(closes), sizeof(closes) - strlen(closes), "%s%s", sep,
			 w->open ? w->closes : "NULL");
	}
	strcat(days, "}");
	strcat(opens, "}");
	strcat(closes, "}");
	return run(db, &set_hours, params);
}

/* The audit entry of action on branch idbuf, before as given. */
static int audit(struct db *db, const struct staff_session *who, const char *action,
		 const char *idbuf, const char *before)
{
	char staff[24];
	const char *params[] = { staff, who->username, action, idbuf, before };

	snprintf(staff, sizeof(staff), "%lld", who->staff_id);
	return run(db, &audit_branch, params);
}

static long long finish(struct db *db, long long rc)
{
	if (rc >= 0 && db_commit(db) == 0)
		return rc;
	db_rollback(db);
	return -1;
}

long long branch_create(struct db *db, const struct staff_session *who,
			const struct branch_edit *e)
{
	char cap[12], idbuf[24];
	const char *params[] = { e->name, e->address, cap };
	PGresult *res;
	long long id;

	snprintf(cap, sizeof(cap), "%d", e->set & BR_CAPACITY ? e->slot_capacity : -1);
	if (db_begin(db) < 0)
		return -1;
	res = db_exec(db, &insert_branch, params, NULL);
	if (res == NULL)
		return finish(db, -1);
	id = db_ll(res, 0, 0);
	PQclear(res);
	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	if (write_hours(db, idbuf, e) < 0 || audit(db, who, "branch.create", idbuf, NULL) < 0)
		return finish(db, -1);
	return finish(db, id);
}

/* The edit itself, the branch locked; before is its snapshot. 0 or -1. */
static int apply_edit(struct db *db, const char *idbuf, const struct branch_edit *e)
{
	char cap[12];
	const char *params[] = { idbuf, e->set & BR_NAME ? e->name : NULL,
				 e->set & BR_ADDRESS ? e->address : NULL,
				 e->set & BR_CAPACITY ? "true" : "false", cap };

	snprintf(cap, sizeof(cap), "%d", e->slot_capacity);
	if (run(db, &update_branch, params) < 0)
		return -1;
	return write_hours(db, idbuf, e);
}

enum lookup branch_update(struct db *db, const struct staff_session *who, long long id,
			  const struct branch_edit *e)
{
	char idbuf[24];
	PGresult *res;
	int rc;

	snprintf(idbuf, sizeof(idbuf), "%lld", id);
	if (db_begin(db) < 0)
		return LOOKUP_ERROR;
	res = db_exec_id(db, &lock_branch, id, NULL);
	if (res == NULL || PQntuples(res) != 1) {
		db_rollback(db);
		rc = res == NULL;
		PQclear(res);
		return rc ? LOOKUP_ERROR : LOOKUP_NONE;
	}
	rc = apply_edit(db, idbuf, e) < 0 ||
	     audit(db, who, "branch.update", idbuf, PQgetvalue(res, 0, 0)) < 0 ? -1 : 0;
	PQclear(res);
	return finish(db, rc) < 0 ? LOOKUP_ERROR : LOOKUP_FOUND;
}

int branch_stock_list(struct db *db, long long id, struct branch_stock **out, int *n)
{
	PGresult *res = db_exec_id(db, &stock_list, id, NULL);

	*out = NULL;
	*n = 0;
	if (res == NULL)
		return -1;
	*out = db_rows_calloc(res, sizeof(**out), n);
	if (*out == NULL)
		return -1;
	for (int i = 0; i < *n; i++) {
		(*out)[i].product_id = db_ll(res, i, 0);
		snprintf((*out)[i].name, sizeof((*out)[i].name), "%s", PQgetvalue(res, i, 1));
		(*out)[i].stock = db_ll(res, i, 2);
	}
	PQclear(res);
	return 0;
}

enum lookup branch_stock_set(struct db *db, const struct staff_session *who, long long branch,
			     long long product, long long stock)
{
	char b[24], p[24], s[24], staff[24];
	const char *params[] = { b, p, s, staff, who->username };
	PGresult *res;
	enum lookup r;

	snprintf(b, sizeof(b), "%lld", branch);
	snprintf(p, sizeof(p), "%lld", product);
	snprintf(s, sizeof(s), "%lld", stock);
	snprintf(staff, sizeof(staff), "%lld", who->staff_id);
	res = db_exec(db, &stock_set, params, NULL);
	if (res == NULL)
		return LOOKUP_ERROR;
	r = db_ll(res, 0, 0) == 1 ? LOOKUP_FOUND : LOOKUP_NONE;
	PQclear(res);
	return r;
}
