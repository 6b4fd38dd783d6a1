/* http.c - request parsing and response writing for FastCGI and CGI.
 *
 * The same handler code serves both: in FastCGI mode the parameters come
 * from FCGX_Request and the streams are libfcgi's; in CGI mode they are the
 * process environment and stdin/stdout. */
#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "log.h"

const char *request_param(const struct request *req, const char *name)
{
	return FCGX_GetParam(name, req->envp);
}

static int read_body(struct request *req, size_t len)
{
	size_t got = 0;

	req->body = malloc(len + 1);
	if (req->body == NULL)
		return -1;
	while (got < len) {
		int n;

		if (req->fcgi) {
			n = FCGX_GetStr(req->body + got, (int)(len - got), req->fcgi->in);
		} else {
			ssize_t r = read(STDIN_FILENO, req->body + got, len - got);

			if (r < 0 && errno == EINTR)
				continue;
			n = (int)r;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	req->body[got] = '\0';
	req->body_len = got;
	/* A body shorter than its Content-Length is a truncated request; the
	 * JSON parser then rejects it as malformed. */
	return 0;
}

static const char *route_path(char **envp)
{
	const char *p = FCGX_GetParam("PATH_INFO", envp);

	if (p && *p)
		return p;
	p = FCGX_GetParam("DOCUMENT_URI", envp);
	if (p && *p)
		return p;
	p = FCGX_GetParam("REQUEST_URI", envp);
	return p && *p ? p : "/";
}

int request_init(struct request *req, FCGX_Request *fcgi, char **envp)
{
	const char *cl, *q, *path;
	size_t plen;

	memset(req, 0, sizeof(*req));
	req->fcgi = fcgi;
	req->envp = envp;
	req->method = request_param(req, "REQUEST_METHOD");
	if (req->method == NULL)
		req->method = "GET";
	q = request_param(req, "QUERY_STRING");
	req->query = q ? q : "";

	path = route_path(envp);
	plen = strcspn(path, "?");
	req->path_buf = strndup(path, plen);
	if (req->path_buf == NULL)
		return -1;
	req->path = req->path_buf;
	log_debug("request %s %s", req->method, req->path);

	cl = request_param(req, "CONTENT_LENGTH");
	if (cl && *cl) {
		char *end;
		unsigned long long len;

		errno = 0;
		len = strtoull(cl, &end, 10);
		if (errno || *end || cl[0] == '-' || len > HTTP_MAX_BODY) {
			req->body_too_large = 1;
			return 0;
		}
		if (len > 0)
			return read_body(req, (size_t)len);
	}
	return 0;
}

void request_release(struct request *req)
{
	free(req->body);
	free(req->path_buf);
	memset(req, 0, sizeof(*req));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX and '+' of src[0..len) into out; -1 on bad escape or overflow. */
static int url_decode(const char *src, size_t len, char *out, size_t outlen)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)src[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -1;
			hi = hexval((unsigned char)src[i + 1]);
			lo = hexval((unsigned char)src[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c == 0 || n + 1 >= outlen)
			return -1;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return 0;
}

int request_query(const struct request *req, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name);
	const char *p = req->query;

	while (*p) {
		size_t len = strcspn(p, "&");

		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=')
			return url_decode(p + nlen + 1, len - nlen - 1, out, outlen) < 0 ? -1 : 1;
		if (len == nlen && strncmp(p, name, nlen) == 0) {
			out[0] = '\0';
			return 1;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	return 0;
}

void response_init(struct response *res)
{
	memset(res, 0, sizeof(*res));
	res->status = 200;
}

void response_release(struct response *res)
{
	if (!res->body_static)
		free(res->body);
	res->body = NULL;
}

int response_header(struct response *res, const char *name, const char *value)
{
	size_t room = sizeof(res->headers) - res->headers_len;
	int n;

	if (strpbrk(value, "\r\n")) {
		log_error("refusing header %s with a line break", name);
		return -1;
	}
	n = snprintf(res->headers + res->headers_len, room, "%s: %s\r\n", name, value);
	if (n < 0 || (size_t)n >= room) {
		res->headers[res->headers_len] = '\0';
		log_error("response headers full, dropped %s", name);
		return -1;
	}
	res->headers_len += (size_t)n;
	return 0;
}

void response_json(struct response *res, int status, char *body, size_t len)
{
	response_release(res);
	res->status = status;
	res->body = body;
	res->body_len = len;
	res->body_static = 0;
	res->content_type = NULL;
}

void response_text(struct response *res, int status, const char *content_type,
		   char *body, size_t len)
{
	response_json(res, status, body, len);
	res->content_type = content_type;
}

void response_error(struct response *res, int status, const char *code,
		    const char *field, const char *message)
{
	static char fallback[] = "{\"error\":\"Out of memory.\",\"code\":\"internal\"}";
	cJSON *root = cJSON_CreateObject();
	char *text = NULL;

	if (root && cJSON_AddStringToObject(root, "error", message) &&
	    cJSON_AddStringToObject(root, "code", code) &&
	    (field == NULL || cJSON_AddStringToObject(root, "field", field)))
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (text == NULL) {
		response_release(res);
		res->status = 500;
		res->content_type = NULL;
		res->body = fallback;
		res->body_len = sizeof(fallback) - 1;
		res->body_static = 1;
		return;
	}
	response_json(res, status, text, strlen(text));
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

int response_send(struct response *res, const struct request *req)
{
	char head[1400];
	int n, has_body = res->status != 304 && res->status != 204;
	const char *method = req->method;

	n = snprintf(head, sizeof(head),
		     "Status: %d %s\r\n"
		     "Content-Type: %s\r\n"
		     "%s%.*s",
		     res->status, status_text(res->status),
		     res->content_type ? res->content_type : "application/json; charset=utf-8",
		     strstr(res->headers, "Cache-Control:") ? "" : "Cache-Control: no-store\r\n",
		     (int)res->headers_len, res->headers);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	if (has_body) {
		int m = snprintf(head + n, sizeof(head) - (size_t)n,
				 "Content-Length: %zu\r\n", res->body_len);
		if (m < 0 || (size_t)m >= sizeof(head) - (size_t)n)
			return -1;
		n += m;
	}
	head[n++] = '\r';
	head[n++] = '\n';
	has_body = has_body && res->body && strcmp(method, "HEAD") != 0;

	if (req->fcgi) {
		if (FCGX_PutStr(head, n, req->fcgi->out) < 0)
			return -1;
		if (has_body && FCGX_PutStr(res->body, (int)res->body_len, req->fcgi->out) < 0)
			return -1;
		return 0;
	}
	if (fwrite(head, 1, (size_t)n, stdout) != (size_t)n)
		return -1;
	if (has_body && fwrite(res->body, 1, res->body_len, stdout) != res->body_len)
		return -1;
	return fflush(stdout) == 0 ? 0 : -1;
}
