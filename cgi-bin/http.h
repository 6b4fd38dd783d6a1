/* http.h - one HTTP request and its response, independent of whether it
 * arrived over FastCGI or the CGI environment. */
#ifndef BAKERY_HTTP_H
#define BAKERY_HTTP_H

#include <stddef.h>

#include <fcgiapp.h>

#define HTTP_MAX_BODY (64 * 1024)

struct request {
	FCGX_Request *fcgi; /* NULL in CGI mode */
	char **envp;        /* CGI-style parameters, borrowed */
	const char *method;
	const char *path;   /* decoded route path, without the query */
	const char *query;  /* raw query string, "" when absent */
	char *body;         /* NUL-terminated, owned; NULL when none */
	size_t body_len;
	int body_too_large; /* Content-Length over HTTP_MAX_BODY */
	char *path_buf;     /* owned storage behind path */
};

struct response {
	int status;
	char headers[1024]; /* extra header lines, each ending in \r\n */
	size_t headers_len;
	char *body;         /* owned unless body_static */
	size_t body_len;
	int body_static;
	const char *content_type; /* static; NULL: application/json */
};

/* Fills req from the request's parameters and reads its body (at most
 * HTTP_MAX_BODY bytes). Returns 0, or -1 when the body could not be read. */
int request_init(struct request *req, FCGX_Request *fcgi, char **envp);
void request_release(struct request *req);

/* A request parameter (HTTP_X_ORDER_TOKEN, CONTENT_TYPE, ...) or NULL. */
const char *request_param(const struct request *req, const char *name);

/* Copies the decoded value of query parameter name into out (NUL-terminated).
 * Returns 1 when present, 0 when absent, -1 when too long or malformed. */
int request_query(const struct request *req, const char *name, char *out, size_t outlen);

void response_init(struct response *res);
void response_release(struct response *res);

/* Adds "Name: value\r\n"; values must not contain CR or LF. 0 or -1. */
int response_header(struct response *res, const char *name, const char *value);

/* Takes ownership of body (malloc'd). */
void response_json(struct response *res, int status, char *body, size_t len);

/* The same with another Content-Type (a static string). */
void response_text(struct response *res, int status, const char *content_type,
		   char *body, size_t len);

/* Error body {"error","code"[,"field"]} with the given status (SPEC §6). */
void response_error(struct response *res, int status, const char *code,
		    const char *field, const char *message);

/* Writes status line, headers and body to the client. 0 or -1. */
int response_send(struct response *res, const struct request *req);

#endif
