/* api_staff_day.c - the bakers' day at a branch (SPEC §10): what to have
 * ready per product and slot, and the day's pickups per slot. lib/slot.c
 * gives flat rows in order; they are grouped here. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "log.h"

/* {"branch_id","date"} of a day. NULL out of memory. */
static cJSON *day_root(long long branch, const struct slot_day *d)
{
	cJSON *root = cJSON_CreateObject();

	if (root && cJSON_AddNumberToObject(root, "branch_id", (double)branch) &&
	    cJSON_AddStringToObject(root, "date", d->date))
		return root;
	cJSON_Delete(root);
	return NULL;
}

/* The day's slot starts, in time order, as an array member "slots". */
static int add_slot_starts(cJSON *root, const struct slot_day *d)
{
	cJSON *arr = cJSON_AddArrayToObject(root, "slots");
	int nslots = 0;

	for (int i = 0; i < d->n; i++)
		if (d->lines[i].slot >= nslots)
			nslots = d->lines[i].slot + 1;
	for (int r = 0; arr && r < nslots; r++) {
		int i = 0;

		while (i < d->n && d->lines[i].slot != r)
			i++;
		if (i < d->n && !cJSON_AddItemToArray(arr, cJSON_CreateString(d->lines[i].start)))
			return 0;
	}
	return arr != NULL;
}

/* One product's lines [from, to): {"product_id","name","total","slots"}. */
static cJSON *product_json(const struct slot_day *d, int from, int to)
{
	cJSON *p = cJSON_CreateObject(), *slots;
	long long total = 0;

	for (int i = from; i < to; i++)
		total += d->lines[i].quantity;
	slots = p && cJSON_AddNumberToObject(p, "product_id", (double)d->lines[from].product_id) &&
			cJSON_AddStringToObject(p, "name", d->lines[from].name) &&
			cJSON_AddNumberToObject(p, "total", (double)total)
		? cJSON_AddArrayToObject(p, "slots") : NULL;
	for (int i = from; slots && i < to; i++) {
		cJSON *s = cJSON_CreateObject();

		if (!cJSON_AddItemToArray(slots, s) ||
		    !cJSON_AddStringToObject(s, "start", d->lines[i].start) ||
		    !cJSON_AddNumberToObject(s, "quantity", (double)d->lines[i].quantity))
			slots = NULL;
	}
	if (slots == NULL) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

/* A run of lines that belong together: one product, or one slot. */
typedef int same_run(const struct slot_line *a, const struct slot_line *b);
typedef cJSON *run_json(const struct slot_day *d, int from, int to);

/* Adds run(d, from, to) to root's array name for each run of d's lines
 * that same keeps together. root, or NULL (root freed) when out of memory. */
static cJSON *add_runs(cJSON *root, const char *name, const struct slot_day *d,
		       same_run *same, run_json *run)
{
	cJSON *arr = root ? cJSON_AddArrayToObject(root, name) : NULL;
	int from = 0;

	while (arr && from < d->n) {
		int to = from + 1;

		while (to < d->n && same(&d->lines[to], &d->lines[from]))
			to++;
		if (!cJSON_AddItemToArray(arr, run(d, from, to)))
			arr = NULL;
		from = to;
	}
	if (arr == NULL) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int same_product(const struct slot_line *a, const struct slot_line *b)
{
	return a->product_id == b->product_id;
}

static cJSON *production_json(long long branch, const struct slot_day *d)
{
	cJSON *root = day_root(branch, d);

	if (root && !add_slot_starts(root, d)) {
		cJSON_Delete(root);
		return NULL;
	}
	return add_runs(root, "products", d, same_product, product_json);
}

typedef int day_query(struct db *db, const struct slot_rules *r, long long branch,
		      const char *date, struct slot_day *out);
typedef cJSON *day_render(long long branch, const struct slot_day *d);

/* Reads ?branch=&date=, runs query and answers its rendering. */
static void send_day(struct app *app, const struct request *req, struct response *res,
		     day_query *query, day_render *render)
{
	struct slot_rules rules;
	struct slot_day d;
	char date[16];
	const char *pdate;
	long long branch;

	if (api_day_params(app, req, res, "invalid_parameter", &branch, date, &pdate) < 0)
		return;
	api_slot_rules(app, &rules);
	if (query(app->db, &rules, branch, pdate, &d) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	api_send_json(res, 200, render(branch, &d));
	slot_day_release(&d);
}

/* GET /api/staff/production?branch=&date=: 200 per product the quantity
 * to have ready, by slot, of completed and collected orders; 400
 * invalid_parameter; 401; 404 unknown branch; 503. */
void api_staff_production(struct app *app, const struct request *req, struct response *res,
			  const struct route_args *args)
{
	(void)args;
	send_day(app, req, res, slot_production, production_json);
}

/* One order of the pickups, lines [from, to). */
static cJSON *pickup_order_json(const struct slot_day *d, int from, int to)
{
	const struct slot_line *l = &d->lines[from];
	cJSON *o = cJSON_CreateObject(), *items;

	items = o && cJSON_AddNumberToObject(o, "order_id", (double)l->order_id) &&
			cJSON_AddStringToObject(o, "status", l->status) &&
			cJSON_AddStringToObject(o, "customer_name", l->customer_name) &&
			json_add_money(o, "total_amount", l->total_cents)
		? cJSON_AddArrayToObject(o, "items") : NULL;
	for (int i = from; items && i < to; i++) {
		cJSON *it = cJSON_CreateObject();

		if (!cJSON_AddItemToArray(items, it) ||
		    !cJSON_AddNumberToObject(it, "product_id", (double)d->lines[i].product_id) ||
		    !cJSON_AddStringToObject(it, "name", d->lines[i].name) ||
		    !cJSON_AddNumberToObject(it, "quantity", (double)d->lines[i].quantity))
			items = NULL;
	}
	if (items == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Lines [from, to) of one slot: {"start","end","orders"}. */
static cJSON *pickup_slot_json(const struct slot_day *d, int from, int to)
{
	cJSON *s = cJSON_CreateObject(), *orders;

	orders = s && cJSON_AddStringToObject(s, "start", d->lines[from].start) &&
			 cJSON_AddStringToObject(s, "end", d->lines[from].end)
		 ? cJSON_AddArrayToObject(s, "orders") : NULL;
	while (orders && from < to) {
		int end = from + 1;

		while (end < to && d->lines[end].order_id == d->lines[from].order_id)
			end++;
		if (!cJSON_AddItemToArray(orders, pickup_order_json(d, from, end)))
			orders = NULL;
		from = end;
	}
	if (orders == NULL) {
		cJSON_Delete(s);
		return NULL;
	}
	return s;
}

static int same_slot(const struct slot_line *a, const struct slot_line *b)
{
	return a->slot == b->slot;
}

static cJSON *pickups_json(long long branch, const struct slot_day *d)
{
	return add_runs(day_root(branch, d), "slots", d, same_slot, pickup_slot_json);
}

/* GET /api/staff/pickups?branch=&date=: 200 the day's orders by slot with
 * their status (not cancelled, failed or refunded); 400
 * invalid_parameter; 401; 404 unknown branch; 503. */
void api_staff_pickups(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	(void)args;
	send_day(app, req, res, slot_pickups, pickups_json);
}
