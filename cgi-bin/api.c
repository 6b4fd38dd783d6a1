/* api.c - what handlers share: the per-process context (connections made
 * lazily, after fork) and the helpers that write common answers, so every
 * handler answers a down service or an out-of-memory the same way. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "database.h"
#include "log.h"
#include "mq.h"
#include "order_input.h"

int app_init(struct app *app, const struct config *cfg)
{
	char err[256];

	memset(app, 0, sizeof(*app));
	app->cfg = cfg;
	app->db = database_new(cfg->database_url, "bakery-api", cfg->connect_timeout_ms);
	if (app->db == NULL) {
		log_error("out of memory");
		return -1;
	}
	app->cache = cache_new(cfg->redis_url, cfg->connect_timeout_ms, err, sizeof(err));
	if (app->cache == NULL)
		goto fail;
	app->mq = mq_new(cfg->amqp_url, cfg->connect_timeout_ms, cfg->max_deliveries,
			 err, sizeof(err));
	if (app->mq == NULL)
		goto fail;
	return 0;
fail:
	log_error("%s", err);
	app_release(app);
	return -1;
}

void app_release(struct app *app)
{
	database_free(app->db);
	cache_free(app->cache);
	mq_free(app->mq);
	memset(app, 0, sizeof(*app));
}

void api_unavailable(struct response *res, const char *service)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "The service is temporarily unavailable (%s is down); "
		 "please try again shortly.", service);
	response_header(res, "Retry-After", "2");
	response_error(res, 503, "service_unavailable", NULL, msg);
}

void api_input_error(struct response *res, const struct input_error *err)
{
	response_error(res, err->status, err->code, err->field[0] ? err->field : NULL, err->message);
}

void api_out_of_memory(struct response *res)
{
	response_error(res, 500, "internal", NULL, "Out of memory.");
}

void api_send_json(struct response *res, int status, cJSON *root)
{
	size_t len = 0;
	char *text = root ? json_print(root, &len) : NULL;

	cJSON_Delete(root);
	if (text == NULL) {
		api_out_of_memory(res);
		return;
	}
	response_json(res, status, text, len);
}
