/* metrics.h - counters for GET /api/metrics, kept in shared memory so they
 * add up across processes (docs/design-decisions.md, "Metrics").
 *
 * Responders: requests by route and status, a latency histogram by route,
 * requests per process, product-cache hits and misses. The pre-fork
 * supervisor maps them (metrics_share) before it forks, so its children
 * write to the same pages; a responder with no such parent (spawn-fcgi,
 * CGI) maps a file under BAKERY_METRICS_DIR, or, without one, keeps them
 * for itself alone.
 * Workers: orders in flight and settled, in BAKERY_METRICS_DIR's
 * worker-metrics file, which the responders read.
 *
 * Recording is a few relaxed atomic adds; nothing here makes a system call
 * per request. */
#ifndef BAKERY_METRICS_H
#define BAKERY_METRICS_H

#include <stddef.h>
#include <stdio.h>

#include "order.h"

/* Rows the route table may have; the last index counts requests no row
 * took (404, 405). */
#define METRICS_ROUTES_MAX 96

/* How the responder counters are shared (bakery_metrics_scope). */
enum metrics_scope {
	METRICS_NONE,    /* not opened: nothing is counted */
	METRICS_POOL,    /* anonymous mapping of the pre-fork supervisor */
	METRICS_FILE,    /* BAKERY_METRICS_DIR/api-metrics-<layout> */
	METRICS_PROCESS, /* this process only */
	METRICS_SCOPE_COUNT
};

/* The supervisor, before it forks: maps the counters shared with its
 * children (they are lost with it: a reload starts them at zero). 0 or -1
 * (logged). */
int metrics_share(void);

/* A responder process at start: uses the supervisor's mapping if there is
 * one, else maps dir's file for this route-table layout (a hash from the
 * router; dir "" = none: counters of this process only). With track_process, takes a per-process slot for
 * bakery_responder_requests_total{pid}. 0 or -1 (logged; nothing counted). */
int metrics_open(const char *dir, unsigned long layout, int track_process);

/* One request answered: route index (< METRICS_ROUTES_MAX), HTTP status,
 * time taken in nanoseconds. */
void metrics_request(size_t route, int status, long long ns);

/* One product listing answered from Redis (hit) or not. */
void metrics_cache(int hit);

/* Labels of route i for the text format, both borrowed: method and route
 * pattern. Returns 0 when there is no row i. */
typedef int metrics_route_label(size_t i, const char **method, const char **route);

/* Writes the responder counters in the Prometheus text format. 0 or -1. */
int metrics_write_http(FILE *out, metrics_route_label *label);

/* A worker process at start: maps dir/worker-metrics ("" = none) and takes
 * a slot for its in-flight gauge. 0 or -1 (logged; nothing counted). */
int metrics_worker_open(const char *dir);

/* The worker's liveness in the file, and its orders in flight now. */
void metrics_worker_beat(int in_flight);

/* A worker committed an order's move to status to. */
void metrics_worker_moved(enum order_status to);

/* Writes the workers' counters read from dir/worker-metrics; nothing when
 * dir is "" or no worker made the file yet. 0 or -1. */
int metrics_write_worker(FILE *out, const char *dir);

#endif
