/* api_staff_orders.c - orders as staff see and act on them (SPEC §6.2):
 * the filtered, keyset-paginated list, cancel, refund, and the summary.
 * One order in full is api_orders_get itself: on a ROUTE_STAFF row the
 * caller is staff, so it includes the customer. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "backoffice.h"
#include "cache.h"
#include "log.h"

#define ORDERS_LIMIT_DEFAULT 50
#define ORDERS_LIMIT_MAX 200
#define SUMMARY_MAX_DAYS 366

static const char *const statuses[] = { "pending", "processing", "completed", "failed",
					"cancelled", "refunded", "collected" };

/* Days since 1970-01-01 of a valid YYYY-MM-DD (civil calendar). */
static long day_number(const char *s)
{
	int y, m, d;
	long era, yoe, doy;

	sscanf(s, "%4d-%2d-%2d", &y, &m, &d);
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* Reads query parameter name into buf: 1 present, 0 absent, -1 res filled. */
static int query_param(const struct request *req, struct response *res, const char *name,
		       char *buf, size_t len)
{
	int rc = request_query(req, name, buf, len);

	if (rc < 0) {
		char msg[80];

		snprintf(msg, sizeof(msg), "The %s parameter is malformed or too long.", name);
		response_error(res, 400, "invalid_parameter", name, msg);
	}
	return rc;
}

/* ?from=&to= as valid dates, NULL when absent. 0 or -1 (res filled). */
static int date_range(const struct request *req, struct response *res, char from[16], char to[16],
		      const char **pf, const char **pt)
{
	const char *names[] = { "from", "to" };
	char *bufs[] = { from, to };
	const char **outs[] = { pf, pt };

	for (int i = 0; i < 2; i++) {
		int rc = query_param(req, res, names[i], bufs[i], 16);

		*outs[i] = NULL;
		if (rc < 0)
			return -1;
		if (rc == 1 && !api_valid_date(bufs[i])) {
			response_error(res, 400, "invalid_parameter", names[i], "Dates are YYYY-MM-DD.");
			return -1;
		}
		if (rc == 1)
			*outs[i] = bufs[i];
	}
	if (*pf && *pt && strcmp(*pf, *pt) > 0) {
		response_error(res, 400, "invalid_parameter", "to", "to must not be before from.");
		return -1;
	}
	return 0;
}

/* The list's filters from the query. 0, or -1 with res filled (400). */
static int order_filter(const struct request *req, struct response *res, struct backoffice_filter *f,
			char status[16], char from[16], char to[16], char email[256])
{
	int rc, known = 0;

	memset(f, 0, sizeof(*f));
	if (api_page_params(req, res, ORDERS_LIMIT_DEFAULT, ORDERS_LIMIT_MAX, &f->limit, &f->after) < 0 ||
	    date_range(req, res, from, to, &f->from, &f->to) < 0)
		return -1;
	if ((rc = query_param(req, res, "status", status, 16)) < 0)
		return -1;
	for (size_t i = 0; rc == 1 && i < sizeof(statuses) / sizeof(statuses[0]); i++)
		known |= strcmp(status, statuses[i]) == 0;
	if (rc == 1 && !known) {
		response_error(res, 400, "invalid_parameter", "status", "Unknown order status.");
		return -1;
	}
	f->status = rc == 1 ? status : NULL;
	if ((rc = query_param(req, res, "email", email, 256)) < 0)
		return -1;
	f->email = rc == 1 && email[0] ? email : NULL;
	return 0;
}

static cJSON *order_row_json(const struct backoffice_order *o)
{
	cJSON *it = cJSON_CreateObject();

	if (it && cJSON_AddNumberToObject(it, "order_id", (double)o->id) &&
	    cJSON_AddStringToObject(it, "status", o->status) &&
	    json_add_money(it, "total_amount", o->total_cents) &&
	    cJSON_AddStringToObject(it, "customer_name", o->customer_name) &&
	    cJSON_AddStringToObject(it, "customer_email", o->customer_email) &&
	    cJSON_AddStringToObject(it, "created_at", o->created_at) &&
	    cJSON_AddStringToObject(it, "updated_at", o->updated_at) &&
	    cJSON_AddNumberToObject(it, "branch_id", (double)o->branch_id) &&
	    (o->pickup_at ? cJSON_AddStringToObject(it, "pickup_at", o->pickup_at)
			  : cJSON_AddNullToObject(it, "pickup_at")))
		return it;
	cJSON_Delete(it);
	return NULL;
}

/* GET /api/staff/orders ?status=&from=&to=&email=&limit=&after=: 200
 * {"orders":[...],"next"} newest first; 400 bad parameter (with field);
 * 401; 503 PostgreSQL down. */
void api_staff_orders_list(struct app *app, const struct request *req, struct response *res,
			   const struct route_args *args)
{
	char status[16], from[16], to[16], email[256];
	struct backoffice_filter f;
	struct backoffice_page page;
	cJSON *root, *arr;
	int ok;

	(void)args;
	if (order_filter(req, res, &f, status, from, to, email) < 0)
		return;
	f.tz = app->cfg->tz;
	if (backoffice_orders(app->db, &f, &page) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	root = cJSON_CreateObject();
	arr = root ? cJSON_AddArrayToObject(root, "orders") : NULL;
	ok = arr != NULL;
	for (int i = 0; ok && i < page.n; i++) {
		cJSON *it = order_row_json(&page.items[i]);

		ok = it && cJSON_AddItemToArray(arr, it);
	}
	ok = ok && api_add_cursor(root, page.n == f.limit, page.n ? page.items[page.n - 1].id : 0);
	backoffice_page_release(&page);
	if (!ok) {
		cJSON_Delete(root);
		root = NULL;
	}
	api_send_json(res, 200, root);
}

typedef enum order_move_result order_change(struct db *db, const struct staff_session *who, long long id,
			 char status_out[16]);

/* Runs a state change and answers the order, or 404/409/503. */
static void change_order(struct app *app, const struct request *req, struct response *res,
			 const struct route_args *args, order_change *change, const char *verb)
{
	char status[16], msg[128];

	switch (change(app->db, &args->access.session, args->id[0], status)) {
	case MOVE_ERROR:
		api_unavailable(res, "postgres");
		return;
	case MOVE_UNKNOWN:
		response_error(res, 404, "not_found", NULL, "There is no such order.");
		return;
	case MOVE_ELSEWHERE:
		snprintf(msg, sizeof(msg), "The order is %s and cannot be %s.", status, verb);
		response_error(res, 409, "invalid_state", NULL, msg);
		return;
	case MOVE_DONE:
		cache_orders_invalidate(app->cache, &args->id[0], 1);
		log_msg(LL_INFO, args->id[0], "order %s by %s", verb, args->access.session.username);
		api_orders_get(app, req, res, args);
		return;
	}
}

/* POST /api/staff/orders/{id}/cancel: 200 the order, now cancelled; 401;
 * 403 cross-site; 404; 409 not pending; 503. */
void api_staff_orders_cancel(struct app *app, const struct request *req, struct response *res,
			     const struct route_args *args)
{
	change_order(app, req, res, args, backoffice_order_cancel, "cancelled");
}

/* POST /api/staff/orders/{id}/refund: 200 the order, now refunded, its
 * stock restored; 401; 403 cross-site; 404; 409 not completed (also for
 * the loser of two concurrent refunds); 503. */
void api_staff_orders_refund(struct app *app, const struct request *req, struct response *res,
			     const struct route_args *args)
{
	change_order(app, req, res, args, backoffice_order_refund, "refunded");
	if (res->status == 200)
		cache_listing_invalidate(app->cache); /* stock came back */
}

/* POST /api/staff/orders/{id}/collect: 200 the order, now collected
 * (final); 401; 403 cross-site; 404; 409 not completed; 503. */
void api_staff_orders_collect(struct app *app, const struct request *req, struct response *res,
			      const struct route_args *args)
{
	change_order(app, req, res, args, backoffice_order_collect, "collected");
}

static cJSON *summary_json(const struct backoffice_summary *s)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *days = root ? cJSON_AddArrayToObject(root, "days") : NULL;
	cJSON *top = days ? cJSON_AddArrayToObject(root, "top_products") : NULL;
	int ok = top != NULL;

	for (int i = 0; ok && i < s->ndays; i++) {
		cJSON *d = cJSON_CreateObject();

		ok = d && cJSON_AddItemToArray(days, d) && cJSON_AddStringToObject(d, "date", s->days[i].date) &&
		     cJSON_AddNumberToObject(d, "orders", (double)s->days[i].orders) &&
		     json_add_money(d, "revenue", s->days[i].revenue_cents);
	}
	for (int i = 0; ok && i < s->ntop; i++) {
		cJSON *t = cJSON_CreateObject();

		ok = t && cJSON_AddItemToArray(top, t) &&
		     cJSON_AddNumberToObject(t, "product_id", (double)s->top[i].product_id) &&
		     cJSON_AddStringToObject(t, "name", s->top[i].name) &&
		     cJSON_AddNumberToObject(t, "quantity", (double)s->top[i].quantity) &&
		     json_add_money(t, "revenue", s->top[i].revenue_cents);
	}
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* GET /api/staff/summary ?from=&to= (default: the last 7 UTC days): 200
 * {"days":[...],"top_products":[...]} of completed orders; 400 bad date or
 * a range over 366 days; 401; 503. */
void api_staff_summary(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	char from[16], to[16];
	const char *pf, *pt;
	struct backoffice_summary s;

	(void)args;
	if (date_range(req, res, from, to, &pf, &pt) < 0)
		return;
	if (pf && pt && day_number(to) - day_number(from) > SUMMARY_MAX_DAYS) {
		response_error(res, 400, "invalid_parameter", "to", "The range is at most a year.");
		return;
	}
	if (backoffice_summary(app->db, pf, pt, &s) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	api_send_json(res, 200, summary_json(&s));
	backoffice_summary_release(&s);
}
