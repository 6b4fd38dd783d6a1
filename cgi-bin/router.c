/* router.c - the one route table, and the checks every route shares.
 *
 * A row is method, path pattern, handler and flags. The dispatcher finds the
 * rows whose pattern matches; if none has the request's method it answers
 * 405 with Allow listing those that do. Flags are checked here once, so
 * handlers only see requests they can serve: a JSON body, a staff session,
 * and for order routes who is asking (the order token or a staff session),
 * read here and handed to the handler in its args. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "log.h"

static const struct route routes[] = {
	{ "GET", "/api/health", api_health, 0 },
	{ "GET", "/api/products", api_products_list, 0 },
	{ "GET", "/api/products/{id}", api_products_get, 0 },
	{ "GET", "/api/branches", api_branches_list, 0 },
	{ "GET", "/api/pickup-slots", api_pickup_slots, 0 },
	{ "POST", "/api/orders", api_orders_create, ROUTE_JSON },
	{ "GET", "/api/orders/{id}", api_orders_get, ROUTE_ORDER_ACCESS },
	{ "POST", "/api/orders/{id}/cancel", api_orders_cancel, ROUTE_ORDER_ACCESS },
	{ "POST", "/api/order", api_order_seed_create, ROUTE_JSON },
	{ "GET", "/api/order/{id}", api_order_seed_get, 0 },
	/* Seed-000 paths without the prefix; nginx forwards them here. */
	{ "GET", "/products", api_products_list, 0 },
	{ "POST", "/order", api_order_seed_create, ROUTE_JSON },
	{ "GET", "/order/{id}", api_order_seed_get, 0 },
	/* Staff (SPEC §6.2). */
	{ "POST", "/api/staff/login", api_staff_login, ROUTE_JSON },
	{ "POST", "/api/staff/logout", api_staff_logout, ROUTE_STAFF },
	{ "GET", "/api/staff/me", api_staff_me, ROUTE_STAFF },
	{ "GET", "/api/staff/audit", api_staff_audit, ROUTE_STAFF },
	{ "GET", "/api/staff/products", api_staff_products_list, ROUTE_STAFF },
	{ "POST", "/api/staff/products", api_staff_products_create, ROUTE_STAFF | ROUTE_JSON },
	{ "PATCH", "/api/staff/products/{id}", api_staff_products_update, ROUTE_STAFF | ROUTE_JSON },
	{ "GET", "/api/staff/orders", api_staff_orders_list, ROUTE_STAFF },
	{ "GET", "/api/staff/orders/{id}", api_orders_get, ROUTE_STAFF },
	{ "POST", "/api/staff/orders/{id}/cancel", api_staff_orders_cancel, ROUTE_STAFF },
	{ "POST", "/api/staff/orders/{id}/refund", api_staff_orders_refund, ROUTE_STAFF },
	{ "POST", "/api/staff/orders/{id}/collect", api_staff_orders_collect, ROUTE_STAFF },
	/* Branches and the bakers' day (SPEC §10). */
	{ "GET", "/api/staff/branches", api_staff_branches_list, ROUTE_STAFF },
	{ "POST", "/api/staff/branches", api_staff_branches_create, ROUTE_STAFF | ROUTE_JSON },
	{ "PATCH", "/api/staff/branches/{id}", api_staff_branches_update, ROUTE_STAFF | ROUTE_JSON },
	{ "GET", "/api/staff/branches/{id}/stock", api_staff_branch_stock, ROUTE_STAFF },
	{ "PUT", "/api/staff/branches/{id}/stock/{id}", api_staff_branch_stock_set,
	  ROUTE_STAFF | ROUTE_JSON },
	{ "GET", "/api/staff/production", api_staff_production, ROUTE_STAFF },
	{ "GET", "/api/staff/pickups", api_staff_pickups, ROUTE_STAFF },
	{ "GET", "/api/staff/summary", api_staff_summary, ROUTE_STAFF },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Parses a path segment of 1..18 digits into a positive id. */
static int parse_id(const char *s, size_t len, long long *out)
{
	long long v = 0;

	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v <= 0)
		return -1;
	*out = v;
	return 0;
}

/* Matches path against pattern segment by segment, collecting ids. */
static int route_match(const char *pattern, const char *path, struct route_args *args)
{
	args->nids = 0;
	while (*pattern && *path) {
		size_t plen = strcspn(pattern + 1, "/") + 1;
		size_t slen = strcspn(path + 1, "/") + 1;

		if (pattern[0] != '/' || path[0] != '/')
			return 0;
		if (strncmp(pattern, "/{id}", plen) == 0 && plen == 5) {
			if (args->nids == ROUTE_MAX_IDS ||
			    parse_id(path + 1, slen - 1, &args->id[args->nids]) < 0)
				return 0;
			args->nids++;
		} else if (plen != slen || strncmp(pattern, path, plen) != 0) {
			return 0;
		}
		pattern += plen;
		path += slen;
	}
	/* A trailing slash is tolerated: /api/products/ is /api/products. */
	return *pattern == '\0' && (*path == '\0' || strcmp(path, "/") == 0);
}

static int method_is(const struct route *r, const char *method)
{
	return strcmp(r->method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0);
}

static int is_json(const char *content_type)
{
	size_t len = strlen("application/json");

	if (content_type == NULL || strncasecmp(content_type, "application/json", len) != 0)
		return 0;
	return content_type[len] == '\0' || content_type[len] == ';' || content_type[len] == ' ';
}

/* Answers 405 with every method the path does support. */
static void method_not_allowed(const struct route *table, size_t n,
			       const struct request *req, struct response *res)
{
	char allow[128] = "";
	struct route_args args;

	for (size_t i = 0; i < n; i++) {
		if (!route_match(table[i].pattern, req->path, &args) ||
		    strstr(allow, table[i].method))
			continue;
		if (allow[0])
			strncat(allow, ", ", sizeof(allow) - strlen(allow) - 1);
		strncat(allow, table[i].method, sizeof(allow) - strlen(allow) - 1);
		if (strcmp(table[i].method, "GET") == 0)
			strncat(allow, ", HEAD", sizeof(allow) - strlen(allow) - 1);
	}
	response_header(res, "Allow", allow);
	response_error(res, 405, "method_not_allowed", NULL,
		       "This method is not allowed here; see the Allow header.");
}

/* The order token the caller presents: X-Order-Token, else ?token=; ""
 * when none or too long to be one. */
static void presented_token(const struct request *req, char out[ROUTE_TOKEN_MAX])
{
	const char *h = request_param(req, "HTTP_X_ORDER_TOKEN");

	out[0] = '\0';
	if (h && strlen(h) < ROUTE_TOKEN_MAX)
		snprintf(out, ROUTE_TOKEN_MAX, "%s", h);
	else if (request_query(req, "token", out, ROUTE_TOKEN_MAX) != 1)
		out[0] = '\0';
}

/* Length of the host name at the start of s, without a ":port". */
static size_t host_len(const char *s)
{
	return s[0] == '[' ? strcspn(s, "]") + 1 : strcspn(s, ":/");
}

/* Whether a cookie-carried session may change state (SPEC §6.2): the
 * request must be one a cross-site page cannot forge without CORS, i.e. a
 * JSON body or X-Requested-With, and its Origin must name this host. Only
 * host names are compared: nginx's fastcgi_params pass HTTP_HOST as $host,
 * without the port. */
static int same_origin_write(const struct request *req)
{
	const char *origin = request_param(req, "HTTP_ORIGIN");
	const char *host = request_param(req, "HTTP_HOST");
	const char *sep;
	size_t n;

	if (!is_json(request_param(req, "CONTENT_TYPE")) &&
	    request_param(req, "HTTP_X_REQUESTED_WITH") == NULL)
		return 0;
	if (origin == NULL || host == NULL || (sep = strstr(origin, "://")) == NULL)
		return 0;
	sep += 3;
	n = host_len(sep);
	return n > 0 && n == host_len(host) && strncasecmp(sep, host, n) == 0 &&
	       (sep[n] == '\0' || sep[n] == ':');
}

static int changes_state(const struct request *req)
{
	return strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
}

enum staff_check {
	STAFF_VALID,      /* access->session filled */
	STAFF_NONE,       /* no session, or not a valid one */
	STAFF_CROSS_SITE, /* a cookie session on a cross-site write */
	STAFF_DB_DOWN,
};

/* Whether the request carries a valid staff session (SPEC §6.2). The one
 * place the session check goes, for ROUTE_STAFF and ROUTE_ORDER_ACCESS rows
 * alike. */
static enum staff_check staff_session(struct app *app, const struct request *req,
				      struct route_access *access)
{
	char token[STAFF_TOKEN_LEN + 1];
	int cookie;

	if (api_staff_token(req, token, &cookie) <= 0)
		return STAFF_NONE;
	switch (staff_session_find(app->db, token, &access->session)) {
	case LOOKUP_ERROR:
		return STAFF_DB_DOWN;
	case LOOKUP_NONE:
		return STAFF_NONE;
	case LOOKUP_FOUND:
		break;
	}
	if (cookie && changes_state(req) && !same_origin_write(req))
		return STAFF_CROSS_SITE;
	return STAFF_VALID;
}

/* Reads the staff session into access; 0, or -1 with res filled (401, 403
 * or 503) when the row needs one. */
static int admit_staff(const struct route *r, struct app *app, const struct request *req,
		       struct response *res, struct route_access *access)
{
	enum staff_check rc = staff_session(app, req, access);

	access->staff = rc == STAFF_VALID;
	if (!(r->flags & ROUTE_STAFF))
		return 0;
	switch (rc) {
	case STAFF_VALID:
		return 0;
	case STAFF_DB_DOWN:
		api_unavailable(res, "postgres");
		break;
	case STAFF_CROSS_SITE:
		response_error(res, 403, "cross_site", NULL,
			       "A cookie-authenticated change must come from this site "
			       "(same Origin, JSON body or X-Requested-With).");
		break;
	case STAFF_NONE:
		response_header(res, "WWW-Authenticate", "Bearer");
		response_error(res, 401, "unauthorized", NULL,
			       "This needs a staff session; please log in.");
		break;
	}
	return -1;
}

/* Checks the route's flags and reads who is asking into access; 0 when the
 * handler may run, -1 with res filled (413, 401 or 415). */
static int route_admit(const struct route *r, struct app *app, const struct request *req,
		       struct response *res, struct route_access *access)
{
	memset(access, 0, sizeof(*access));
	if (req->body_too_large) {
		response_error(res, 413, "body_too_large", NULL,
			       "The request body is larger than 64 KiB.");
		return -1;
	}
	if ((r->flags & (ROUTE_STAFF | ROUTE_ORDER_ACCESS)) &&
	    admit_staff(r, app, req, res, access) < 0)
		return -1;
	if (r->flags & ROUTE_ORDER_ACCESS)
		presented_token(req, access->token);
	if ((r->flags & ROUTE_JSON) && !is_json(request_param(req, "CONTENT_TYPE"))) {
		response_error(res, 415, "unsupported_media_type", NULL,
			       "The request body must be JSON (Content-Type: application/json).");
		return -1;
	}
	return 0;
}

void router_dispatch_table(const struct route *table, size_t n, struct app *app,
			   const struct request *req, struct response *res)
{
	struct route_args args;
	int path_known = 0;

	for (size_t i = 0; i < n; i++) {
		if (!route_match(table[i].pattern, req->path, &args))
			continue;
		path_known = 1;
		if (!method_is(&table[i], req->method))
			continue;
		if (route_admit(&table[i], app, req, res, &args.access) == 0)
			table[i].handler(app, req, res, &args);
		return;
	}
	if (path_known)
		method_not_allowed(table, n, req, res);
	else
		response_error(res, 404, "not_found", NULL, "There is no such resource.");
}

void router_dispatch(struct app *app, const struct request *req, struct response *res)
{
	router_dispatch_table(routes, NROUTES, app, req, res);
}
