/* app.h - what every handler may use: the process's connections and the
 * route table's handler signature. */
#ifndef BAKERY_APP_H
#define BAKERY_APP_H

#include "config.h"
#include "http.h"

struct app {
	const struct config *cfg;
	struct db *db;
	struct cache *cache;
	struct mq *mq;
};

#define ROUTE_MAX_IDS 2

/* Numeric path parameters matched by {id} segments, in order. */
struct route_args {
	long long id[ROUTE_MAX_IDS];
	int nids;
};

typedef void route_handler(struct app *app, const struct request *req,
			   struct response *res, const struct route_args *args);

/* Opens nothing yet: connections are made lazily, after fork. 0 or -1. */
int app_init(struct app *app, const struct config *cfg);
void app_release(struct app *app);

/* Routes one request to its handler and fills res (router.c). */
void router_dispatch(struct app *app, const struct request *req, struct response *res);

/* Handlers, one file per API area. */
route_handler api_products_list, api_products_get;
route_handler api_health;
route_handler api_orders_create, api_orders_get, api_orders_cancel;
route_handler api_order_seed_create, api_order_seed_get;

/* Shared by handlers: a 503 naming the service that is down. */
void api_unavailable(struct response *res, const char *service);

#endif
