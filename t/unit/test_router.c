/* Unit tests of cgi-bin/router.c and http.c that need no backing service:
 * unknown paths, wrong methods with Allow, id parsing, oversized bodies,
 * query decoding, and the error body shape. */
#include <stdlib.h>

#include "app.h"
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
	return done_testing();
}
