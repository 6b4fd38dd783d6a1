/* config.c - the one table of environment variables (STYLE 7).
 *
 * Every setting is a row: name, type, where it lands in struct config,
 * default, bounds, whether it holds a secret, the check its value must pass
 * and a line of help. A value that fails stops start-up here, before any
 * process is forked: a URL that cannot be parsed would otherwise make every
 * child of the pool die and be replaced once a second, forever.
 * `bakery-api --config` prints the table with the current values; the
 * README's table is printed from it too (`make readme-config`). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <amqp.h>
#include <libpq-fe.h>

#include "redis_url.h"

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_LOGLEVEL };

/* Checks a value beyond its type. On a bad one writes why, a phrase that
 * follows the variable's name and never quotes the value, and returns -1. */
typedef int config_check_fn(const char *value, char *why, size_t whylen);

struct config_param {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;
	long min, max;
	int secret;             /* value may hold a password: masked when shown */
	config_check_fn *check; /* NULL: any value of the type */
	const char *help;       /* Markdown: `code` allowed, no | */
};

static config_check_fn check_database_url, check_redis_url, check_amqp_url, check_tz;

#define FIELD(f) offsetof(struct config, f)

static const struct config_param params[] = {
	{ "DATABASE_URL", CONFIG_STRING, FIELD(database_url),
	  "postgresql://bakery@127.0.0.1:5433/bakery", 0, 0, 1, check_database_url,
	  "libpq URI or conninfo; `\"\"` uses the standard `PG*` variables;"
	  " no GSSAPI encryption unless it sets `gssencmode`" },
	{ "REDIS_URL", CONFIG_STRING, FIELD(redis_url),
	  "redis://127.0.0.1:6380/0", 0, 0, 1, check_redis_url,
	  "Redis for the product and order cache: `redis://[:pass@]host:port/db` or `unix:/path`" },
	{ "AMQP_URL", CONFIG_STRING, FIELD(amqp_url),
	  "amqp://bakery:bakery@127.0.0.1:5673/bakery", 0, 0, 1, check_amqp_url,
	  "RabbitMQ: `amqp://user:pass@host:port/vhost`" },
	{ "BAKERY_LISTEN", CONFIG_STRING, FIELD(listen), "var/run/api.sock", 0, 0, 0, NULL,
	  "FastCGI socket of the responder pool: a path or `host:port`" },
	{ "BAKERY_PROCESSES", CONFIG_INT, FIELD(processes), "8", 1, 256, 0, NULL,
	  "responder processes in the pre-fork pool" },
	{ "BAKERY_CACHE_TTL", CONFIG_INT, FIELD(cache_ttl), "300", 0, 86400, 0, NULL,
	  "seconds the product listing stays cached in Redis (an order: at most 10); 0 = no caching" },
	{ "BAKERY_PAYMENT_DELAY_MS", CONFIG_INT, FIELD(payment_delay_ms), "500", 0, 60000, 0, NULL,
	  "simulated payment time in the worker, milliseconds" },
	{ "BAKERY_CONNECT_TIMEOUT_MS", CONFIG_INT, FIELD(connect_timeout_ms), "2000", 100, 60000, 0, NULL,
	  "connect and I/O timeout towards PostgreSQL, Redis and RabbitMQ, milliseconds" },
	{ "BAKERY_MAX_DELIVERIES", CONFIG_INT, FIELD(max_deliveries), "5", 1, 100, 0, NULL,
	  "deliveries of one order message before it is dead-lettered" },
	{ "BAKERY_WORKER_INFLIGHT", CONFIG_INT, FIELD(worker_inflight), "64", 1, 1024, 0, NULL,
	  "orders one worker process has in flight at once; also its prefetch" },
	{ "BAKERY_BACKLOG_WARN_S", CONFIG_INT, FIELD(backlog_warn_s), "60", 1, 86400, 0, NULL,
	  "`/api/health` is \"degraded\" when the oldest waiting order is older than this, seconds" },
	{ "BAKERY_HEARTBEAT_FILE", CONFIG_STRING, FIELD(heartbeat_file), "", 0, 0, 0, NULL,
	  "file the worker touches every second while it consumes (container health checks);"
	  " `\"\"` = none" },
	{ "BAKERY_METRICS_DIR", CONFIG_STRING, FIELD(metrics_dir), "", 0, 0, 0, NULL,
	  "directory of the shared counters of `/api/metrics`: the workers' (`worker-metrics-v1`)"
	  " and, outside the own pre-fork pool (spawn-fcgi, CGI), the responders'; `\"\"` = none" },
	{ "BAKERY_STAFF_SESSION_S", CONFIG_INT, FIELD(staff_session_s), "28800", 60, 2592000, 0, NULL,
	  "seconds a staff session lasts after login" },
	{ "BAKERY_TZ", CONFIG_STRING, FIELD(tz), "Europe/London", 0, 0, 0, check_tz,
	  "the bakery's time zone (IANA name): opening hours and pickup slots are its local time" },
	{ "BAKERY_SLOT_MINUTES", CONFIG_INT, FIELD(slot_minutes), "30", 5, 240, 0, NULL,
	  "length of a pickup slot, minutes" },
	{ "BAKERY_SLOT_CAPACITY", CONFIG_INT, FIELD(slot_capacity), "10", 0, 1000, 0, NULL,
	  "orders per pickup slot at a branch that sets no capacity of its own" },
	{ "BAKERY_LEAD_MINUTES", CONFIG_INT, FIELD(lead_minutes), "120", 0, 10080, 0, NULL,
	  "a pickup slot can be booked when it starts at least this many minutes from now" },
	{ "BAKERY_BOOK_DAYS", CONFIG_INT, FIELD(book_days), "14", 0, 365, 0, NULL,
	  "pickup slots can be booked up to this many days after today" },
	{ "BAKERY_LOG_LEVEL", CONFIG_LOGLEVEL, FIELD(log_level), "info", 0, 0, 0, NULL,
	  "`error`, `warn`, `info` or `debug`" },
};

#define NPARAMS (sizeof(params) / sizeof(params[0]))

static struct config loaded;

/* "" is libpq's own default: the PG* variables. */
static int check_database_url(const char *value, char *why, size_t whylen)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(value, &msg);

	/* libpq's message may quote the value, password and all: not shown. */
	PQfreemem(msg);
	if (opts == NULL) {
		snprintf(why, whylen, "is not a libpq connection URI (postgresql://...) or"
			 " key=value conninfo string");
		return -1;
	}
	PQconninfoFree(opts);
	return 0;
}

static int check_redis_url(const char *value, char *why, size_t whylen)
{
	struct redis_url u;

	return redis_url_parse(value, &u, why, whylen);
}

/* As lib/mq.c reads it: amqp_parse_url on a copy, and no TLS. */
static int check_amqp_url(const char *value, char *why, size_t whylen)
{
	struct amqp_connection_info info;
	char *copy = strdup(value);
	int rc = -1;

	if (copy == NULL) {
		snprintf(why, whylen, "could not be checked: out of memory");
		return -1;
	}
	amqp_default_connection_info(&info);
	if (amqp_parse_url(copy, &info) != AMQP_STATUS_OK)
		snprintf(why, whylen, "is not amqp://user:pass@host[:port][/vhost]");
	else if (info.ssl)
		snprintf(why, whylen, "asks for TLS (amqps://), which is not supported");
	else
		rc = 0;
	free(copy);
	return rc;
}

/* An IANA zone name as PostgreSQL takes it ("Europe/London", "UTC"); when
 * the system has a zone database, the zone must be in it. */
static int check_tz(const char *value, char *why, size_t whylen)
{
	char path[320];
	size_t n = strlen(value);

	if (n == 0 || n > 64 || value[0] == '/' || strstr(value, "..") ||
	    strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") != n) {
		snprintf(why, whylen, "is not a time zone name such as Europe/London");
		return -1;
	}
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", value);
	if (access("/usr/share/zoneinfo/UTC", F_OK) == 0 && access(path, F_OK) != 0) {
		snprintf(why, whylen, "is not a time zone of the system's zone database");
		return -1;
	}
	return 0;
}

static int parse_int(const struct config_param *p, const char *value,
		     char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	/* strtol would skip leading blanks and accept a sign: be strict. */
	if (errno || value[0] < '0' || value[0] > '9' || *end != '\0' || v < p->min || v > p->max) {
		snprintf(err, errlen, "%s must be an integer from %ld to %ld, got \"%s\"",
			 p->name, p->min, p->max, value);
		return -1;
	}
	*(int *)((char *)&loaded + p->offset) = (int)v;
	return 0;
}

static int parse_param(const struct config_param *p, const char *value,
		       char *err, size_t errlen)
{
	switch (p->type) {
	case CONFIG_STRING:
		*(const char **)((char *)&loaded + p->offset) = value;
		return 0;
	case CONFIG_INT:
		return parse_int(p, value, err, errlen);
	case CONFIG_LOGLEVEL:
		if (log_level_parse(value, (enum log_level *)((char *)&loaded + p->offset)) == 0)
			return 0;
		snprintf(err, errlen, "%s must be error, warn, info or debug, got \"%s\"",
			 p->name, value);
		return -1;
	}
	return -1;
}

/* The row's check; the message names the variable, and quotes the value
 * only when it holds no secret. */
static int check_param(const struct config_param *p, const char *value,
		       char *err, size_t errlen)
{
	char why[200];

	if (p->check == NULL || p->check(value, why, sizeof(why)) == 0)
		return 0;
	if (p->secret)
		snprintf(err, errlen, "%s %s", p->name, why);
	else
		snprintf(err, errlen, "%s %s, got \"%s\"", p->name, why, value);
	return -1;
}

int config_load(char *err, size_t errlen)
{
	for (size_t i = 0; i < NPARAMS; i++) {
		const char *value = getenv(params[i].name);

		/* Environment strings live as long as the process: borrowing
		 * them is safe because nothing here calls setenv. */
		if (value == NULL || (value[0] == '\0' && params[i].type != CONFIG_STRING))
			value = params[i].def;
		if (parse_param(&params[i], value, err, errlen) < 0 ||
		    check_param(&params[i], value, err, errlen) < 0)
			return -1;
	}
	return 0;
}

const struct config *config_get(void)
{
	return &loaded;
}

/* Appends n bytes of s to out (of outlen, *len used so far), truncating. */
static void put(char *out, size_t outlen, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= outlen)
		return;
	if (n > outlen - 1 - *len)
		n = outlen - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
}

/* Where the value of a password=... keyword (conninfo, or a URI's query)
 * starts in s, or NULL. */
static const char *password_keyword(const char *s)
{
	for (const char *k = strcasestr(s, "password"); k; k = strcasestr(k + 1, "password")) {
		const char *v = k + 8;

		if (k > s && !strchr(" \t?&", k[-1]))
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=')
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		return v;
	}
	return NULL;
}

/* The end of a conninfo or query value: a quoted string or up to a blank/&. */
static const char *value_end(const char *v)
{
	if (*v == '\'') {
		for (v++; *v && *v != '\''; v++)
			if (*v == '\\' && v[1])
				v++;
		return *v ? v + 1 : v;
	}
	return v + strcspn(v, " \t&");
}

/* Copies value into out with every password in it shown as ***: the pass of
 * scheme://user:pass@host (all the user info of redis://pass@host, which
 * redis reads as a password), and the value of any password=... */
static void mask_secret(char *out, size_t outlen, const char *value)
{
	const char *scheme = strstr(value, "://");
	const char *at = strrchr(value, '@');
	const char *p = value, *v;
	size_t len = 0;

	out[0] = '\0';
	if (scheme && at && at > scheme) {
		const char *user = scheme + 3;
		const char *colon = memchr(user, ':', (size_t)(at - user));

		if (colon || strncmp(value, "redis://", 8) == 0) {
			put(out, outlen, &len, value, (size_t)((colon ? colon + 1 : user) - value));
			put(out, outlen, &len, "***", 3);
			p = at;
		}
	}
	while ((v = password_keyword(p)) != NULL) {
		put(out, outlen, &len, p, (size_t)(v - p));
		put(out, outlen, &len, "***", 3);
		p = value_end(v);
	}
	put(out, outlen, &len, p, strlen(p));
}

/* value for showing: masked when the row holds a secret, "" as "". */
static const char *shown(const struct config_param *p, const char *value, char *buf, size_t buflen)
{
	if (value[0] == '\0')
		return "\"\"";
	if (!p->secret)
		return value;
	mask_secret(buf, buflen, value);
	return buf;
}

/* help plus the bounds of an integer, with dash between them. */
static void describe(const struct config_param *p, const char *dash, char *buf, size_t buflen)
{
	if (p->type == CONFIG_INT)
		snprintf(buf, buflen, "%s (%ld%s%ld)", p->help, p->min, dash, p->max);
	else
		snprintf(buf, buflen, "%s", p->help);
}

void config_print(FILE *out)
{
	for (size_t i = 0; i < NPARAMS; i++) {
		const struct config_param *p = &params[i];
		const char *value = getenv(p->name);
		char vbuf[512], dbuf[512], help[512];

		if (value == NULL)
			value = p->def;
		describe(p, "-", help, sizeof(help));
		fprintf(out, "%-26s %-44s (default %s)\n%-26s %s\n", p->name,
			shown(p, value, vbuf, sizeof(vbuf)), shown(p, p->def, dbuf, sizeof(dbuf)),
			"", help);
	}
}

void config_print_markdown(FILE *out)
{
	fprintf(out, "| variable | default | meaning |\n|---|---|---|\n");
	for (size_t i = 0; i < NPARAMS; i++) {
		const struct config_param *p = &params[i];
		char help[512];

		/* The defaults are no secret: they are the local stack's. */
		describe(p, "\xe2\x80\x93", help, sizeof(help));
		fprintf(out, "| `%s` | `%s` | %s |\n", p->name, p->def[0] ? p->def : "\"\"", help);
	}
}
