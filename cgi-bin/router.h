/* router.h - the route table: what a row is, what the dispatcher hands a
 * handler (path ids and who is asking), and the dispatcher itself. */
#ifndef BAKERY_ROUTER_H
#define BAKERY_ROUTER_H

#include <stddef.h>

#include "http.h"
#include "staff.h"

struct app;

#define ROUTE_MAX_IDS   2
#define ROUTE_TOKEN_MAX 80 /* a presented order token this long or longer is none */

/* What the dispatcher checks once for a row, before its handler runs. */
enum route_flag {
	ROUTE_JSON = 1 << 0,         /* needs a JSON request body, else 415 */
	ROUTE_ORDER_ACCESS = 1 << 1, /* order token or staff: both read into args->access */
	ROUTE_STAFF = 1 << 2,        /* needs a staff session, else 401 */
};

/* Who is asking, as the dispatcher found it for ROUTE_ORDER_ACCESS and
 * ROUTE_STAFF rows; zero for the others. Whether a token is the order's own
 * is the handler's to tell: only it has loaded the order. */
struct route_access {
	char token[ROUTE_TOKEN_MAX]; /* ?token= or X-Order-Token (SPEC §6.1), "" when none */
	int staff;                   /* 1: the request carries a valid staff session */
	struct staff_session session; /* who, when staff is 1 */
};

/* What the dispatcher found: numeric {id} segments in order, and access. */
struct route_args {
	long long id[ROUTE_MAX_IDS];
	int nids;
	struct route_access access;
};

typedef void route_handler(struct app *app, const struct request *req,
			   struct response *res, const struct route_args *args);

/* A row of the table: method, path pattern (literal segments and {id}),
 * handler, route_flag bits. */
struct route {
	const char *method;
	const char *pattern;
	route_handler *handler;
	unsigned flags;
};

/* Routes one request through the bakery's table (router.c) and fills res:
 * 404 and 405 (with Allow) for no row, 413, 401 and 415 for a row whose
 * checks fail, otherwise whatever the row's handler answers. */
void router_dispatch(struct app *app, const struct request *req, struct response *res);

/* The same over a given table of n rows (the unit tests drive their own).
 * Returns the index of the row that took the request, n when none did. */
size_t router_dispatch_table(const struct route *table, size_t n, struct app *app,
			     const struct request *req, struct response *res);

/* Method and pattern of row i of the bakery's table (borrowed); 0 when
 * there is no row i. The metrics' labels. */
int router_route_label(size_t i, const char **method, const char **pattern);

/* A hash of the table's rows: names the shared metrics file of this layout. */
unsigned long router_layout(void);

#endif
