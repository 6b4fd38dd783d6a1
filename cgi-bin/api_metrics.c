/* api_metrics.c - GET /api/metrics: the Prometheus text format (0.0.4).
 *
 * The responders' own counters come from shared memory (lib/metrics.c), so
 * one scrape of any responder sees the whole pool; the workers' from the
 * file they keep under BAKERY_METRICS_DIR. Orders by status are one
 * statement, queue depths two passive declares on one connection. A
 * backing service that does not answer leaves its series out and sets
 * bakery_up{service} to 0, so a scrape always succeeds.
 *
 * Access is nginx's business (loopback only by default: nginx/bakery.conf.in);
 * the FastCGI socket itself is reachable by the web server alone. */
#include <stdio.h>
#include <stdlib.h>

#include "api.h"
#include "metrics.h"
#include "mq.h"
#include "order.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static void write_up(FILE *out, const char *service, int up)
{
	fprintf(out, "bakery_up{service=\"%s\"} %d\n", service, up);
}

static void write_orders(FILE *out, const struct order_census *c)
{
	fprintf(out, "# HELP bakery_orders Orders in the database, by status.\n"
		"# TYPE bakery_orders gauge\n");
	for (int s = 0; s < ORDER_STATUS_COUNT; s++)
		fprintf(out, "bakery_orders{status=\"%s\"} %lld\n",
			order_status_name((enum order_status)s), c->count[s]);
	fprintf(out, "# HELP bakery_orders_pending_oldest_seconds Age of the oldest order"
		" waiting for a worker; 0 when none waits.\n"
		"# TYPE bakery_orders_pending_oldest_seconds gauge\n"
		"bakery_orders_pending_oldest_seconds %lld\n", c->oldest_s[ORDER_PENDING]);
}

static void write_queues(FILE *out, const struct mq_queue_info *orders,
			 const struct mq_queue_info *dead)
{
	fprintf(out, "# HELP bakery_queue_messages Messages ready in a RabbitMQ queue.\n"
		"# TYPE bakery_queue_messages gauge\n"
		"bakery_queue_messages{queue=\"orders\"} %lu\n"
		"bakery_queue_messages{queue=\"dead\"} %lu\n"
		"# HELP bakery_queue_consumers Consumers of the order queue: running workers.\n"
		"# TYPE bakery_queue_consumers gauge\n"
		"bakery_queue_consumers{queue=\"orders\"} %lu\n",
		orders->messages, dead->messages, orders->consumers);
}

/* The backing services' part: orders, queues, and whether each answered. */
static void write_backends(FILE *out, struct app *app)
{
	struct order_census census;
	struct mq_queue_info orders, dead;
	int pg = order_census(app->db, &census) == 0;
	int mq = mq_queues_info(app->mq, &orders, &dead) == 0;

	fprintf(out, "# HELP bakery_up Whether a backing service answered this scrape.\n"
		"# TYPE bakery_up gauge\n");
	write_up(out, "postgres", pg);
	write_up(out, "rabbitmq", mq);
	if (pg)
		write_orders(out, &census);
	if (mq)
		write_queues(out, &orders, &dead);
}

/* GET /api/metrics: 200 text/plain in the Prometheus text format, whatever
 * is down; 500 out of memory. */
void api_metrics(struct app *app, const struct request *req, struct response *res,
		 const struct route_args *args)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	int rc;

	(void)req;
	(void)args;
	if (out == NULL) {
		api_out_of_memory(res);
		return;
	}
	rc = metrics_write_http(out, router_route_label);
	write_backends(out, app);
	if (metrics_write_worker(out, app->cfg->metrics_dir) < 0)
		rc = -1;
	if (fclose(out) != 0 || rc < 0) {
		free(text);
		api_out_of_memory(res);
		return;
	}
	response_text(res, 200, CONTENT_TYPE, text, len);
}
