/* api_branches.c - branches and pickup slots (SPEC §10): the public list
 * and slots, and the staff's management of branches, their hours,
 * capacity and stock. Every staff change is audited by lib/branch.c; a
 * stock change drops the cached listings once committed. */
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "branch.h"
#include "cache.h"
#include "log.h"
#include "staff_input.h"

static const char *const day_keys[BRANCH_DAYS] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int add_hours(cJSON *o, const struct branch *b)
{
	cJSON *h = cJSON_AddObjectToObject(o, "opening_hours");

	for (int d = 0; h && d < BRANCH_DAYS; d++) {
		cJSON *day;

		if (!b->week[d].open) {
			if (!cJSON_AddNullToObject(h, day_keys[d]))
				return 0;
			continue;
		}
		day = cJSON_AddObjectToObject(h, day_keys[d]);
		if (!day || !cJSON_AddStringToObject(day, "open", b->week[d].opens) ||
		    !cJSON_AddStringToObject(day, "close", b->week[d].closes))
			return 0;
	}
	return h != NULL;
}

static cJSON *branch_json(const struct app *app, const struct branch *b)
{
	cJSON *o = cJSON_CreateObject();
	int cap = b->slot_capacity >= 0 ? b->slot_capacity : app->cfg->slot_capacity;

	if (o && cJSON_AddNumberToObject(o, "id", (double)b->id) &&
	    cJSON_AddStringToObject(o, "name", b->name) &&
	    cJSON_AddStringToObject(o, "address", b->address) && add_hours(o, b) &&
	    cJSON_AddNumberToObject(o, "slot_capacity", cap) &&
	    cJSON_AddBoolToObject(o, "default", b->is_default) &&
	    cJSON_AddStringToObject(o, "timezone", app->cfg->tz))
		return o;
	cJSON_Delete(o);
	return NULL;
}

/* GET /api/branches (and /api/staff/branches): 200 every branch by id;
 * 503 PostgreSQL down; 500 out of memory. */
void api_branches_list(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	struct branch *list;
	cJSON *root;
	int n;

	(void)req;
	(void)args;
	if (branch_list(app->db, &list, &n) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	root = cJSON_CreateArray();
	for (int i = 0; root && i < n; i++) {
		cJSON *it = branch_json(app, &list[i]);

		if (it == NULL || !cJSON_AddItemToArray(root, it)) {
			cJSON_Delete(it);
			cJSON_Delete(root);
			root = NULL;
		}
	}
	free(list);
	api_send_json(res, 200, root);
}

static cJSON *slots_json(const struct slot *s, int n)
{
	cJSON *root = cJSON_CreateArray();

	for (int i = 0; root && i < n; i++) {
		cJSON *it = cJSON_CreateObject();

		if (it == NULL || !cJSON_AddItemToArray(root, it) ||
		    !cJSON_AddStringToObject(it, "start", s[i].start) ||
		    !cJSON_AddStringToObject(it, "end", s[i].end) ||
		    !cJSON_AddNumberToObject(it, "remaining", s[i].remaining)) {
			cJSON_Delete(root); /* it, when made, is root's */
			root = NULL;
		}
	}
	return root;
}

/* GET /api/pickup-slots?branch=&date=: 200 the bookable slots of the day
 * ([] closed, past or beyond the horizon); 400 invalid_query; 404 unknown
 * branch; 503; 500. */
void api_pickup_slots(struct app *app, const struct request *req, struct response *res,
		      const struct route_args *args)
{
	struct slot_rules rules;
	struct slot *slots;
	char date[16];
	const char *pdate;
	long long branch;
	int n;

	(void)args;
	if (api_day_params(app, req, res, "invalid_query", &branch, date, &pdate) < 0)
		return;
	api_slot_rules(app, &rules);
	if (slot_list(app->db, &rules, branch, pdate, &slots, &n) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	api_send_json(res, 200, slots_json(slots, n));
	free(slots);
}

/* GET /api/staff/branches: as GET /api/branches, for staff. */
void api_staff_branches_list(struct app *app, const struct request *req, struct response *res,
			     const struct route_args *args)
{
	api_branches_list(app, req, res, args);
}

static void input_error_respond(struct response *res, const struct input_error *err)
{
	response_error(res, err->status, err->code, err->field[0] ? err->field : NULL, err->message);
}

/* Answers status with branch id as read back after a change. */
static void send_branch(struct app *app, struct response *res, int status, long long id)
{
	struct branch b;

	switch (branch_get(app->db, id, &b)) {
	case LOOKUP_FOUND:
		api_send_json(res, status, branch_json(app, &b));
		return;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", NULL, "There is no such branch.");
		return;
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return;
	}
}

/* POST /api/staff/branches: 201 the branch with Location; 400 malformed,
 * wrong type or missing field; 401; 403 cross-site; 415; 422 invalid value,
 * hours or capacity (with field); 503. */
void api_staff_branches_create(struct app *app, const struct request *req, struct response *res,
			       const struct route_args *args)
{
	struct branch_edit e;
	struct input_error err;
	char location[48];
	cJSON *root;
	long long id;

	if (staff_branch_parse(req->body, req->body_len, 1, &e, &root, &err) < 0) {
		input_error_respond(res, &err);
		return;
	}
	id = branch_create(app->db, &args->access.session, &e);
	cJSON_Delete(root);
	if (id < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	log_info("branch %lld created by %s", id, args->access.session.username);
	snprintf(location, sizeof(location), "/api/staff/branches/%lld", id);
	response_header(res, "Location", location);
	send_branch(app, res, 201, id);
}

/* PATCH /api/staff/branches/{id}: 200 the branch; 400; 401; 403; 404;
 * 415; 422 (with field); 503. */
void api_staff_branches_update(struct app *app, const struct request *req, struct response *res,
			       const struct route_args *args)
{
	struct branch_edit e;
	struct input_error err;
	cJSON *root;
	enum lookup done;

	if (staff_branch_parse(req->body, req->body_len, 0, &e, &root, &err) < 0) {
		input_error_respond(res, &err);
		return;
	}
	done = branch_update(app->db, &args->access.session, args->id[0], &e);
	cJSON_Delete(root);
	switch (done) {
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", NULL, "There is no such branch.");
		return;
	case LOOKUP_FOUND:
		break;
	}
	cache_orders_invalidate_all(app->cache); /* its orders show its name and address */
	log_info("branch %lld changed by %s", args->id[0], args->access.session.username);
	send_branch(app, res, 200, args->id[0]);
}

/* GET /api/staff/branches/{id}/stock: 200 [{"product_id","name","stock"}]
 * every product; 401; 404; 503. */
void api_staff_branch_stock(struct app *app, const struct request *req, struct response *res,
			    const struct route_args *args)
{
	struct branch_stock *s;
	long long id;
	cJSON *root;
	int n;

	(void)req;
	if (api_branch_exists(app, args->id[0], &id, res) < 0)
		return;
	if (branch_stock_list(app->db, id, &s, &n) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	root = cJSON_CreateArray();
	for (int i = 0; root && i < n; i++) {
		cJSON *it = cJSON_CreateObject();

		if (it == NULL || !cJSON_AddItemToArray(root, it) ||
		    !cJSON_AddNumberToObject(it, "product_id", (double)s[i].product_id) ||
		    !cJSON_AddStringToObject(it, "name", s[i].name) ||
		    !cJSON_AddNumberToObject(it, "stock", (double)s[i].stock)) {
			cJSON_Delete(root); /* it, when made, is root's */
			root = NULL;
		}
	}
	free(s);
	api_send_json(res, 200, root);
}

/* PUT /api/staff/branches/{id}/stock/{product_id} {"stock": N}: 200
 * {"branch_id","product_id","stock"}; 400; 401; 403; 404 no such branch
 * or product; 415; 422 invalid_stock; 503. */
void api_staff_branch_stock_set(struct app *app, const struct request *req, struct response *res,
				const struct route_args *args)
{
	struct input_error err;
	long long stock;
	cJSON *root;

	if (staff_stock_parse(req->body, req->body_len, &stock, &err) < 0) {
		input_error_respond(res, &err);
		return;
	}
	switch (branch_stock_set(app->db, &args->access.session, args->id[0], args->id[1], stock)) {
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", NULL, "There is no such branch or product.");
		return;
	case LOOKUP_FOUND:
		break;
	}
	cache_listing_invalidate(app->cache);
	log_info("stock of product %lld at branch %lld set to %lld by %s", args->id[1], args->id[0],
		 stock, args->access.session.username);
	root = cJSON_CreateObject();
	if (root && (!cJSON_AddNumberToObject(root, "branch_id", (double)args->id[0]) ||
		     !cJSON_AddNumberToObject(root, "product_id", (double)args->id[1]) ||
		     !cJSON_AddNumberToObject(root, "stock", (double)stock))) {
		cJSON_Delete(root);
		root = NULL;
	}
	api_send_json(res, 200, root);
}
