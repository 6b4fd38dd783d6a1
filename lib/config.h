/* config.h - settings read once from the environment (SPEC §4). */
#ifndef BAKERY_CONFIG_H
#define BAKERY_CONFIG_H

#include <stdio.h>

#include "log.h"

struct config {
	const char *database_url;   /* libpq conninfo or URI; "" = PG* vars */
	const char *redis_url;      /* redis://host:port/db or unix:/path */
	const char *amqp_url;       /* amqp://user:pass@host:port/vhost */
	const char *listen;         /* FastCGI socket path or host:port */
	int processes;              /* responder pool size */
	int cache_ttl;              /* product listing TTL, seconds */
	int payment_delay_ms;       /* simulated payment time */
	int connect_timeout_ms;     /* connect/IO timeout to backing services */
	int max_deliveries;         /* attempts before a message is dead-lettered */
	int worker_inflight;        /* orders in flight per worker process = prefetch */
	int backlog_warn_s;         /* health: oldest waiting order older = degraded */
	const char *heartbeat_file; /* worker liveness file, "" = none */
	int staff_session_s;        /* staff sessions last this long, seconds */
	const char *tz;             /* the bakery's time zone (IANA name) */
	int slot_minutes;           /* length of a pickup slot */
	int slot_capacity;          /* orders per slot unless the branch says */
	int lead_minutes;           /* earliest slot: this long from now */
	int book_days;              /* latest slot: on a day this many days ahead */
	enum log_level log_level;
};

/* Reads every variable of the table and checks it (a URL must parse as its
 * client library will read it). On a bad value writes one clear message,
 * naming the variable and never a password, to err and returns -1; the
 * caller stops start-up. */
int config_load(char *err, size_t errlen);

/* The loaded configuration; valid after config_load() succeeded. */
const struct config *config_get(void);

/* Prints the table (name, value with secrets masked, default, help). */
void config_print(FILE *out);

/* Prints the table as the Markdown table of the README: variable, default,
 * meaning (`make readme-config` puts it there). */
void config_print_markdown(FILE *out);

#endif
