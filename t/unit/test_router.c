/* Unit tests of cgi-bin/router.c and http.c that need no backing service:
 * unknown paths, wrong methods with Allow, id parsing, oversized bodies,
 * query decoding, the error body shape, and the access flags (over a table
 * of this file's own, since the bakery's has no staff route yet). */
#include <stdlib.h>

#include "api.h"
#include "router.h"
#include "tap.h"

static int dispatch(const char *method, const char *path, const char *extra, struct response *res)
{
	char m[64], p[512], e[256];
	char *envp[] = { m, p, e, NULL };
	struct request req;
	struct app app = { 0 };

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(p, sizeof(p), "PATH_INFO=%s", path);
	snprintf(e, sizeof(e), "%s", extra ? extra : "X=1");
	response_init(res);
	if (request_init(&req, NULL, envp) < 0)
		return -1;
	router_dispatch(&app, &req, res);
	request_release(&req);
	return res->status;
}

static void expect(const char *method, const char *path, int status, const char *code)
{
	struct response res;
	char want[64];

	snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
	ok(dispatch(method, path, NULL, &res) == status && res.body && strstr(res.body, want),
	   "%s %s -> %d %s", method, path, status, code);
	response_release(&res);
}

static void test_query(void)
{
	char q[] = "QUERY_STRING=category=caf%C3%A9+cr%c3%a8me&x&bad=%zz&cut=%4";
	char *envp[] = { q, NULL };
	struct request req;
	char out[64];

	request_init(&req, NULL, envp);
	ok(request_query(&req, "category", out, sizeof(out)) == 1 &&
	   strcmp(out, "caf\xc3\xa9 cr\xc3\xa8me") == 0, "query value decoded (%%XX and +)");
	ok(request_query(&req, "x", out, sizeof(out)) == 1 && out[0] == '\0', "bare key is empty");
	is_int(request_query(&req, "missing", out, sizeof(out)), 0, "absent key");
	is_int(request_query(&req, "bad", out, sizeof(out)), -1, "bad escape refused");
	is_int(request_query(&req, "cut", out, sizeof(out)), -1, "truncated escape refused");
	is_int(request_query(&req, "category", out, 4), -1, "too long for the buffer refused");
	request_release(&req);
}

static struct route_args seen; /* what the last recording handler was handed */

static void record(struct app *app, const struct request *req, struct response *res,
		   const struct route_args *args)
{
	(void)app;
	(void)req;
	seen = *args;
	response_json(res, 200, NULL, 0);
}

static const struct route access_routes[] = {
	{ "GET", "/order/{id}", record, ROUTE_ORDER_ACCESS },
	{ "GET", "/open/{id}", record, 0 },
	{ "GET", "/staff", record, ROUTE_STAFF },
};

static int dispatch_access(const char *path, char *query, char *header)
{
	char m[] = "REQUEST_METHOD=GET", p[64];
	char *envp[] = { m, p, query, header, NULL };
	struct request req;
	struct response res;
	struct app app = { 0 };
	int status;

	snprintf(p, sizeof(p), "PATH_INFO=%s", path);
	memset(&seen, 0x55, sizeof(seen));
	response_init(&res);
	request_init(&req, NULL, envp);
	router_dispatch_table(access_routes, 3, &app, &req, &res);
	status = res.status;
	if (status == 401)
		ok(res.body && strstr(res.body, "\"code\":\"unauthorized\"") &&
		   strstr(res.headers, "WWW-Authenticate: Bearer\r\n"),
		   "401 is the unauthorized JSON error with WWW-Authenticate");
	request_release(&req);
	response_release(&res);
	return status;
}

static void test_access(void)
{
	char q[] = "QUERY_STRING=token=from-query", h[] = "HTTP_X_ORDER_TOKEN=from-header";
	char x[] = "X=1", longh[128] = "HTTP_X_ORDER_TOKEN=";

	memset(longh + strlen(longh), 'a', 80);
	is_int(dispatch_access("/order/7", q, h), 200, "order-access route runs its handler");
	is_str(seen.access.token, "from-header", "the X-Order-Token header is read first");
	ok(seen.nids == 1 && seen.id[0] == 7 && !seen.access.staff, "with the id and no staff session");
	dispatch_access("/order/7", q, x);
	is_str(seen.access.token, "from-query", "?token= when there is no header");
	dispatch_access("/order/7", q, longh);
	is_str(seen.access.token, "from-query", "a header too long to be a token is none");
	dispatch_access("/order/7", x, x);
	is_str(seen.access.token, "", "no token presented: empty");
	dispatch_access("/open/7", q, h);
	is_str(seen.access.token, "", "a route without the flag is handed no token");
	is_int(dispatch_access("/staff", q, h), 401, "a staff route without a session is refused");
}

int main(void)
{
	struct response res;

	expect("GET", "/api/nothing", 404, "not_found");
	expect("GET", "/", 404, "not_found");
	expect("GET", "/api/products/abc", 404, "not_found");
	expect("GET", "/api/products/0", 404, "not_found");
	expect("GET", "/api/products/-1", 404, "not_found");
	expect("GET", "/api/products/99999999999999999999", 404, "not_found");
	expect("GET", "/api/products/1/extra", 404, "not_found");
	expect("DELETE", "/api/products", 405, "method_not_allowed");
	expect("POST", "/api/health", 405, "method_not_allowed");

	dispatch("PUT", "/api/products", NULL, &res);
	ok(strstr(res.headers, "Allow: GET, HEAD\r\n") != NULL, "405 carries Allow: %s", res.headers);
	response_release(&res);

	dispatch("GET", "/api/products", "CONTENT_LENGTH=70000", &res);
	is_int(res.status, 413, "a body over 64 KiB is refused with 413");
	response_release(&res);

	test_query();
	test_access();
	return done_testing();
}
