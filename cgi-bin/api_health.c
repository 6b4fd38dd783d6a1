/* api_health.c - GET /api/health: really asks each backing service.
 *
 * "ok": all three answer. "degraded": PostgreSQL answers but Redis or
 * RabbitMQ does not; orders are still accepted (the relay queues them
 * later), so the status is 200. "down": PostgreSQL does not answer, no
 * order can be taken: 503. */
#include <stdlib.h>

#include "app.h"
#include "cache.h"
#include "db.h"
#include "json.h"
#include "mq.h"

void api_health(struct app *app, const struct request *req, struct response *res,
		const struct route_args *args)
{
	int pg = db_ping(app->db) == 0;
	int redis = cache_ping(app->cache) == 0;
	int rabbit = mq_ping(app->mq) == 0;
	const char *status = !pg ? "down" : (redis && rabbit) ? "ok" : "degraded";
	cJSON *root = cJSON_CreateObject();
	cJSON *checks = NULL;
	char *text = NULL;
	size_t len = 0;

	(void)req;
	(void)args;
	if (root && cJSON_AddStringToObject(root, "status", status) &&
	    (checks = cJSON_AddObjectToObject(root, "checks")) != NULL &&
	    cJSON_AddStringToObject(checks, "postgres", pg ? "ok" : "down") &&
	    cJSON_AddStringToObject(checks, "redis", redis ? "ok" : "down") &&
	    cJSON_AddStringToObject(checks, "rabbitmq", rabbit ? "ok" : "down"))
		text = json_print(root, &len);
	cJSON_Delete(root);
	if (text == NULL) {
		response_error(res, 500, "internal", NULL, "Out of memory.");
		return;
	}
	response_json(res, pg ? 200 : 503, text, len);
}
