/* api_health.c - GET /api/health: really asks each backing service, and
 * whether orders are moving.
 *
 * One round trip per service, as cheap as a ping: one PostgreSQL statement
 * (the backlog of pending orders, which is the PostgreSQL ping too), one
 * Redis PING, one passive declare of the order queue (its answer carries
 * the number of consumers, i.e. of running workers).
 *
 * "down" (503): PostgreSQL does not answer, no order can be taken.
 * "degraded" (200): orders are still accepted, but Redis or RabbitMQ does
 * not answer (the relay queues orders later), no worker consumes the order
 * queue, or the oldest pending order is older than BAKERY_BACKLOG_WARN_S.
 * "ok": none of these. */
#include <stdlib.h>

#include "api.h"
#include "cache.h"
#include "json.h"
#include "mq.h"
#include "order.h"

struct health {
	int postgres, redis, rabbitmq; /* 1: answered */
	struct order_backlog backlog;  /* valid when postgres */
	struct mq_queue_info queue;    /* valid when rabbitmq */
};

static void health_probe(struct app *app, struct health *h)
{
	h->postgres = order_backlog(app->db, &h->backlog) == 0;
	h->redis = cache_ping(app->cache) == 0;
	h->rabbitmq = mq_order_queue_info(app->mq, &h->queue) == 0;
}

/* Whether a worker consumes the order queue; "unknown" without a broker. */
static const char *health_worker(const struct health *h)
{
	if (!h->rabbitmq)
		return "unknown";
	return h->queue.consumers > 0 ? "ok" : "down";
}

static const char *health_status(const struct health *h, int backlog_warn_s)
{
	if (!h->postgres)
		return "down";
	if (!h->redis || !h->rabbitmq || h->queue.consumers == 0 ||
	    h->backlog.oldest_s > backlog_warn_s)
		return "degraded";
	return "ok";
}

/* "queue": {"waiting", "oldest_s"}, or null when PostgreSQL is down. */
static int health_add_queue(cJSON *checks, const struct health *h)
{
	cJSON *q;

	if (!h->postgres)
		return cJSON_AddNullToObject(checks, "queue") ? 0 : -1;
	q = cJSON_AddObjectToObject(checks, "queue");
	if (q == NULL ||
	    !cJSON_AddNumberToObject(q, "waiting", (double)h->backlog.waiting) ||
	    !cJSON_AddNumberToObject(q, "oldest_s", (double)h->backlog.oldest_s))
		return -1;
	return 0;
}

/* The response body: a cJSON root (caller deletes) or NULL (out of memory). */
static cJSON *health_json(const struct health *h, const char *status)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *checks = NULL;

	if (root && cJSON_AddStringToObject(root, "status", status) &&
	    (checks = cJSON_AddObjectToObject(root, "checks")) != NULL &&
	    cJSON_AddStringToObject(checks, "postgres", h->postgres ? "ok" : "down") &&
	    cJSON_AddStringToObject(checks, "redis", h->redis ? "ok" : "down") &&
	    cJSON_AddStringToObject(checks, "rabbitmq", h->rabbitmq ? "ok" : "down") &&
	    cJSON_AddStringToObject(checks, "worker", health_worker(h)) &&
	    health_add_queue(checks, h) == 0)
		return root;
	cJSON_Delete(root);
	return NULL;
}

/* GET /api/health: 200 with "ok" or "degraded", 503 with "down"; 500 out of
 * memory. */
void api_health(struct app *app, const struct request *req, struct response *res,
		const struct route_args *args)
{
	struct health h;

	(void)req;
	(void)args;
	health_probe(app, &h);
	api_send_json(res, h.postgres ? 200 : 503,
		      health_json(&h, health_status(&h, app->cfg->backlog_warn_s)));
}
