/* api_staff.c - staff sign-in (SPEC §6.2): login, logout, who am I, and
 * the audit log; plus reading the session token from a request, which the
 * dispatcher uses for every ROUTE_STAFF and ROUTE_ORDER_ACCESS row.
 *
 * The token travels as the HttpOnly cookie (browsers) or as
 * Authorization: Bearer (curl, scripts); both name the same session. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "log.h"
#include "order_input.h"
#include "staff.h"

#define COOKIE_NAME "bakery_staff"
#define AUDIT_LIMIT_DEFAULT 50
#define AUDIT_LIMIT_MAX 200

/* Copies a token of exactly STAFF_TOKEN_LEN hex characters ending at a
 * delimiter; 1 copied, 0 not a token. */
static int copy_token(const char *s, size_t len, char *out)
{
	if (len != STAFF_TOKEN_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	memcpy(out, s, len);
	out[len] = '\0';
	return 1;
}

/* The value of cookie COOKIE_NAME in a Cookie header; 1 found, 0 not. */
static int cookie_token(const char *cookies, char *out)
{
	size_t nlen = strlen(COOKIE_NAME);

	for (const char *p = cookies; p && *p;) {
		p += strspn(p, " ;");
		if (strncmp(p, COOKIE_NAME, nlen) == 0 && p[nlen] == '=')
			return copy_token(p + nlen + 1, strcspn(p + nlen + 1, "; "), out);
		p = strchr(p, ';');
	}
	return 0;
}

int api_staff_token(const struct request *req, char *out, int *from_cookie)
{
	const char *auth = request_param(req, "HTTP_AUTHORIZATION");

	*from_cookie = 0;
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
		return copy_token(auth + 7, strlen(auth + 7), out);
	*from_cookie = 1;
	return cookie_token(request_param(req, "HTTP_COOKIE"), out);
}

/* Behind https (nginx's HTTPS=on, or a proxy's X-Forwarded-Proto) the
 * cookie is marked Secure. */
static int behind_https(const struct request *req)
{
	const char *https = request_param(req, "HTTPS");
	const char *proto = request_param(req, "HTTP_X_FORWARDED_PROTO");

	return (https && strcasecmp(https, "on") == 0) || (proto && strcasecmp(proto, "https") == 0);
}

static void set_cookie(struct response *res, const struct request *req, const char *token,
		       int max_age)
{
	char value[256];

	snprintf(value, sizeof(value), COOKIE_NAME "=%s; Path=/; Max-Age=%d; HttpOnly; "
		 "SameSite=Strict%s", token, max_age, behind_https(req) ? "; Secure" : "");
	response_header(res, "Set-Cookie", value);
}

/* The body's {"username","password"}: 0, or -1 with res filled (400). */
static int login_body(const struct request *req, struct response *res, cJSON **root,
		      const char **user, const char **password)
{
	struct input_error err;
	cJSON *u, *p;

	*root = input_parse_object(req->body, req->body_len, &err);
	if (*root == NULL) {
		api_input_error(res, &err);
		return -1;
	}
	u = cJSON_GetObjectItemCaseSensitive(*root, "username");
	p = cJSON_GetObjectItemCaseSensitive(*root, "password");
	if (!cJSON_IsString(u) || !cJSON_IsString(p)) {
		cJSON_Delete(*root);
		response_error(res, 400, "invalid_type", cJSON_IsString(u) ? "password" : "username",
			       "username and password must be strings.");
		return -1;
	}
	*user = u->valuestring;
	*password = p->valuestring;
	return 0;
}

static cJSON *session_json(const struct staff_session *s, const char *token)
{
	cJSON *root = cJSON_CreateObject();

	if (root && ((token && !cJSON_AddStringToObject(root, "token", token)) ||
		     !cJSON_AddStringToObject(root, "username", s->username) ||
		     !cJSON_AddStringToObject(root, "expires_at", s->expires_at))) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* POST /api/staff/login: 200 {token, username, expires_at} with the session
 * cookie; 400 malformed body; 401 invalid_credentials; 429 rate_limited
 * with Retry-After; 503 PostgreSQL down; 500 hashing failed. */
void api_staff_login(struct app *app, const struct request *req, struct response *res,
		     const struct route_args *args)
{
	const char *addr = request_param(req, "REMOTE_ADDR");
	char token[STAFF_TOKEN_LEN + 1], wait[16];
	struct staff_login in = { NULL, NULL, addr ? addr : "", app->cfg->staff_session_s };
	struct staff_session s;
	enum staff_login_result rc;
	int retry_after;
	cJSON *root;

	(void)args;
	if (login_body(req, res, &root, &in.username, &in.password) < 0)
		return;
	rc = staff_login(app->db, &in, token, &s, &retry_after);
	cJSON_Delete(root);
	switch (rc) {
	case STAFF_LOGIN_OK:
		log_info("staff login user=%s", s.username);
		set_cookie(res, req, token, app->cfg->staff_session_s);
		api_send_json(res, 200, session_json(&s, token));
		return;
	case STAFF_LOGIN_INVALID:
		response_error(res, 401, "invalid_credentials", NULL,
			       "The username or password is wrong.");
		return;
	case STAFF_LOGIN_THROTTLED:
		snprintf(wait, sizeof(wait), "%d", retry_after);
		response_header(res, "Retry-After", wait);
		response_error(res, 429, "rate_limited", NULL,
			       "Too many failed logins; please wait before trying again.");
		return;
	default:
		api_unavailable(res, "postgres");
		return;
	}
}

/* POST /api/staff/logout: 204, the session ended and the cookie cleared;
 * 401 without a session; 503 PostgreSQL down. */
void api_staff_logout(struct app *app, const struct request *req, struct response *res,
		      const struct route_args *args)
{
	char token[STAFF_TOKEN_LEN + 1];
	int cookie;

	if (api_staff_token(req, token, &cookie) <= 0 || staff_logout(app->db, token) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	log_info("staff logout user=%s", args->access.session.username);
	set_cookie(res, req, "", 0);
	response_json(res, 204, NULL, 0);
}

/* GET /api/staff/me: 200 {username, expires_at}; 401 without a session. */
void api_staff_me(struct app *app, const struct request *req, struct response *res,
		  const struct route_args *args)
{
	(void)app;
	(void)req;
	api_send_json(res, 200, session_json(&args->access.session, NULL));
}

/* Reads ?limit= (1..max, default def) and ?after= (a cursor: a positive id,
 * 0 when absent). 0, or -1 with res filled (400). */
int api_page_params(const struct request *req, struct response *res, int def, int max,
		    int *limit, long long *after)
{
	char buf[24], *end;
	long long v;
	int rc;

	*limit = def;
	*after = 0;
	if ((rc = request_query(req, "limit", buf, sizeof(buf))) != 0) {
		v = rc == 1 ? strtoll(buf, &end, 10) : 0;
		if (rc < 0 || !isdigit((unsigned char)buf[0]) || *end || v < 1 || v > max) {
			response_error(res, 400, "invalid_parameter", "limit", "limit must be a whole number from 1 to the maximum page size.");
			return -1;
		}
		*limit = (int)v;
	}
	if ((rc = request_query(req, "after", buf, sizeof(buf))) != 0) {
		v = rc == 1 ? strtoll(buf, &end, 10) : 0;
		if (rc < 0 || !isdigit((unsigned char)buf[0]) || *end || v < 1) {
			response_error(res, 400, "invalid_parameter", "after", "after must be a cursor from a previous page's \"next\".");
			return -1;
		}
		*after = v;
	}
	return 0;
}

/* Adds "next": the cursor of the page after this one, or null at the end. */
int api_add_cursor(cJSON *root, int full_page, long long last_id)
{
	char buf[24];

	if (!full_page)
		return cJSON_AddNullToObject(root, "next") != NULL;
	snprintf(buf, sizeof(buf), "%lld", last_id);
	return cJSON_AddStringToObject(root, "next", buf) != NULL;
}

static cJSON *audit_entry_json(const struct staff_audit_entry *e)
{
	cJSON *it = cJSON_CreateObject();

	if (it && cJSON_AddNumberToObject(it, "id", (double)e->id) &&
	    cJSON_AddStringToObject(it, "at", e->at) &&
	    cJSON_AddStringToObject(it, "username", e->username) &&
	    cJSON_AddStringToObject(it, "action", e->action) &&
	    cJSON_AddStringToObject(it, "entity", e->entity) &&
	    (e->entity_id ? cJSON_AddNumberToObject(it, "entity_id", (double)e->entity_id)
			  : cJSON_AddNullToObject(it, "entity_id")) &&
	    cJSON_AddRawToObject(it, "before", e->before) &&
	    cJSON_AddRawToObject(it, "after", e->after))
		return it;
	cJSON_Delete(it);
	return NULL;
}

/* GET /api/staff/audit ?limit=&after=: 200 {"entries":[...],"next"}, newest
 * first; 400 bad limit or cursor; 401 without a session; 503 PostgreSQL down. */
void api_staff_audit(struct app *app, const struct request *req, struct response *res,
		     const struct route_args *args)
{
	struct staff_audit_list list;
	cJSON *root, *arr;
	long long after;
	int limit, ok;

	(void)args;
	if (api_page_params(req, res, AUDIT_LIMIT_DEFAULT, AUDIT_LIMIT_MAX, &limit, &after) < 0)
		return;
	if (staff_audit_list(app->db, after, limit, &list) < 0) {
		api_unavailable(res, "postgres");
		return;
	}
	root = cJSON_CreateObject();
	arr = root ? cJSON_AddArrayToObject(root, "entries") : NULL;
	ok = arr != NULL;
	for (int i = 0; ok && i < list.n; i++) {
		cJSON *it = audit_entry_json(&list.items[i]);

		ok = it && cJSON_AddItemToArray(arr, it);
	}
	ok = ok && api_add_cursor(root, list.n == limit, list.n ? list.items[list.n - 1].id : 0);
	staff_audit_list_release(&list);
	if (!ok) {
		cJSON_Delete(root);
		root = NULL;
	}
	api_send_json(res, 200, root);
}
