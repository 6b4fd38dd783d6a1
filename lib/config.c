/* config.c - the one table of environment variables (STYLE 7).
 *
 * Every setting is a row: name, type, where it lands in struct config,
 * default, bounds, whether it holds a secret, and a line of help. The README
 * shows the same table; `bakery-api --config` prints it. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum config_type { CONFIG_STRING, CONFIG_INT, CONFIG_LOGLEVEL };

struct config_param {
	const char *name;
	enum config_type type;
	size_t offset;
	const char *def;
	long min, max;
	int secret; /* value may hold a password: masked when printed */
	const char *help;
};

#define FIELD(f) offsetof(struct config, f)

static const struct config_param params[] = {
	{ "DATABASE_URL", CONFIG_STRING, FIELD(database_url),
	  "postgresql://bakery@127.0.0.1:5433/bakery", 0, 0, 1,
	  "PostgreSQL conninfo or URI; set to \"\" to use the standard PG* variables" },
	{ "REDIS_URL", CONFIG_STRING, FIELD(redis_url),
	  "redis://127.0.0.1:6380/0", 0, 0, 1,
	  "Redis for the product cache: redis://[:pass@]host:port/db or unix:/path" },
	{ "AMQP_URL", CONFIG_STRING, FIELD(amqp_url),
	  "amqp://bakery:bakery@127.0.0.1:5673/bakery", 0, 0, 1,
	  "RabbitMQ: amqp://user:pass@host:port/vhost" },
	{ "BAKERY_LISTEN", CONFIG_STRING, FIELD(listen), "var/run/api.sock", 0, 0, 0,
	  "FastCGI socket of the responder pool: a path or host:port" },
	{ "BAKERY_PROCESSES", CONFIG_INT, FIELD(processes), "4", 1, 256, 0,
	  "responder processes in the pre-fork pool" },
	{ "BAKERY_CACHE_TTL", CONFIG_INT, FIELD(cache_ttl), "300", 0, 86400, 0,
	  "seconds the product listing stays cached in Redis (0 = no caching)" },
	{ "BAKERY_PAYMENT_DELAY_MS", CONFIG_INT, FIELD(payment_delay_ms), "500", 0, 60000, 0,
	  "simulated payment time in the worker, milliseconds" },
	{ "BAKERY_CONNECT_TIMEOUT_MS", CONFIG_INT, FIELD(connect_timeout_ms), "2000", 100, 60000, 0,
	  "connect and I/O timeout towards PostgreSQL, Redis and RabbitMQ" },
	{ "BAKERY_MAX_DELIVERIES", CONFIG_INT, FIELD(max_deliveries), "5", 1, 100, 0,
	  "deliveries of one order message before it is dead-lettered" },
	{ "BAKERY_WORKER_INFLIGHT", CONFIG_INT, FIELD(worker_inflight), "64", 1, 1024, 0,
	  "orders one worker process has in flight at once; also its prefetch" },
	{ "BAKERY_BACKLOG_WARN_S", CONFIG_INT, FIELD(backlog_warn_s), "60", 1, 86400, 0,
	  "health is degraded when the oldest waiting order is older than this" },
	{ "BAKERY_HEARTBEAT_FILE", CONFIG_STRING, FIELD(heartbeat_file), "", 0, 0, 0,
	  "file the worker touches every second while it consumes (\"\" = none)" },
	{ "BAKERY_STAFF_SESSION_S", CONFIG_INT, FIELD(staff_session_s), "28800", 60, 2592000, 0,
	  "seconds a staff session lasts after login" },
	{ "BAKERY_LOG_LEVEL", CONFIG_LOGLEVEL, FIELD(log_level), "info", 0, 0, 0,
	  "error, warn, info or debug" },
};

static struct config loaded;

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

int config_load(char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const char *value = getenv(params[i].name);

		/* Environment strings live as long as the process: borrowing
		 * them is safe because nothing here calls setenv. */
		if (value == NULL || (value[0] == '\0' && params[i].type != CONFIG_STRING))
			value = params[i].def;
		if (parse_param(&params[i], value, err, errlen) < 0)
			return -1;
	}
	return 0;
}

const struct config *config_get(void)
{
	return &loaded;
}

/* Copies url into out with the password of scheme://user:pass@host masked. */
static void mask_secret(char *out, size_t outlen, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *at = strrchr(url, '@');
	const char *colon;

	snprintf(out, outlen, "%s", url);
	if (scheme == NULL || at == NULL || at < scheme)
		return;
	colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
	if (colon == NULL)
		return;
	snprintf(out, outlen, "%.*s:***%s", (int)(colon - url), url, at);
}

void config_print(FILE *out)
{
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const struct config_param *p = &params[i];
		const char *value = getenv(p->name);
		char shown[512];

		if (value == NULL)
			value = p->def;
		if (p->secret)
			mask_secret(shown, sizeof(shown), value);
		else
			snprintf(shown, sizeof(shown), "%s", value);
		fprintf(out, "%-26s %-44s %s\n", p->name, shown, p->help);
	}
}
