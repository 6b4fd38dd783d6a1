/* api.h - what handlers share: the process's connections, the handlers the
 * route table names, and the helpers that turn an outcome into a response. */
#ifndef BAKERY_API_H
#define BAKERY_API_H

#include "config.h"
#include "http.h"
#include "json.h"
#include "router.h"
#include "slot.h"

struct product;

#define API_QUEUED_BATCH 32

struct app {
	const struct config *cfg;
	struct db *db;
	struct cache *cache;
	struct mq *mq;
	/* Orders the broker confirmed, not yet marked queued (api_orders_settle). */
	long long queued[API_QUEUED_BATCH];
	int nqueued;
	long long queued_since_ms;
};

/* Opens nothing yet: connections are made lazily, after fork. 0 or -1. */
int app_init(struct app *app, const struct config *cfg);
void app_release(struct app *app);

/* Handlers, one file per API area; the comment above each definition lists
 * the statuses it produces (the dispatcher's own are in router.h). */
route_handler api_products_list, api_products_get;
route_handler api_health, api_metrics;
route_handler api_orders_create, api_orders_get, api_orders_cancel;
route_handler api_order_seed_create, api_order_seed_get;
route_handler api_staff_login, api_staff_logout, api_staff_me, api_staff_audit;
route_handler api_staff_products_list, api_staff_products_create, api_staff_products_update;
route_handler api_staff_orders_list, api_staff_orders_cancel, api_staff_orders_refund;
route_handler api_staff_summary, api_staff_orders_collect;
route_handler api_branches_list, api_pickup_slots;
route_handler api_staff_branches_list, api_staff_branches_create, api_staff_branches_update;
route_handler api_staff_branch_stock, api_staff_branch_stock_set;
route_handler api_staff_production, api_staff_pickups;

/* A product as the API shows it (staff: with "active"). NULL out of memory. */
cJSON *api_product_json(const struct product *p, int with_active);

/* The pickup slot rules of the configuration. */
void api_slot_rules(const struct app *app, struct slot_rules *r);

/* 1 when s is YYYY-MM-DD naming a real day (from 1970). */
int api_valid_date(const char *s);

/* ?branch= as an id, 0 when absent. 0, or -1 with res filled (400 code). */
int api_branch_query(const struct request *req, struct response *res, const char *code,
		     long long *id);

/* Branch asked (0: the default one) as an existing branch's id in *id. 0,
 * or -1 with res filled (404 not_found, field branch; 503). */
int api_branch_exists(struct app *app, long long asked, long long *id, struct response *res);

/* ?branch= (default: the default branch), resolved, and ?date=
 * (YYYY-MM-DD; *pdate NULL when absent). 0, or -1 with res filled (400
 * code, 404, 503). */
int api_day_params(struct app *app, const struct request *req, struct response *res,
		   const char *code, long long *branch, char date[16], const char **pdate);

/* Between requests: takes the broker's confirms of the orders placed, as
 * far as they have come, and marks those orders queued, many in one
 * statement: when idle (nothing else to do), or when a batch is full or
 * old. api_orders_confirm_fd() is the socket to poll for confirms still
 * due, -1 when none is. */
void api_orders_settle(struct app *app, int idle);
int api_orders_confirm_fd(const struct app *app);

/* The staff session token a request presents (SPEC §6.2): Authorization:
 * Bearer first, else the session cookie (*from_cookie = 1). 1 with the
 * token in out (STAFF_TOKEN_LEN + 1 bytes), 0 none or malformed. */
int api_staff_token(const struct request *req, char *out, int *from_cookie);

/* ?limit= (1..max, default def) and ?after= (keyset cursor, 0 = first page)
 * of a staff list. 0, or -1 with res filled (400 invalid_parameter). */
int api_page_params(const struct request *req, struct response *res, int def, int max,
		    int *limit, long long *after);

/* Adds "next" to a page: last_id as the cursor when the page is full, else
 * null. 1, or 0 out of memory. */
int api_add_cursor(cJSON *root, int full_page, long long last_id);

/* 503 service_unavailable naming the service that is down, with Retry-After. */
void api_unavailable(struct response *res, const char *service);

struct input_error;

/* The error a body check filled (its status, code, field and message). */
void api_input_error(struct response *res, const struct input_error *err);

/* 500 internal: memory ran out while building the answer. */
void api_out_of_memory(struct response *res);

/* Answers status with root printed as the body, and deletes root. A NULL
 * root (building it ran out of memory) or a failed print answers 500
 * internal instead. */
void api_send_json(struct response *res, int status, cJSON *root);

#endif
