/* api.c - what handlers share: the per-process context (connections made
 * lazily, after fork) and the helpers that write common answers, so every
 * handler answers a down service or an out-of-memory the same way. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "branch.h"
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

void api_slot_rules(const struct app *app, struct slot_rules *r)
{
	r->tz = app->cfg->tz;
	r->minutes = app->cfg->slot_minutes;
	r->capacity = app->cfg->slot_capacity;
	r->lead = app->cfg->lead_minutes;
	r->days = app->cfg->book_days;
}

int api_valid_date(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

int api_branch_query(const struct request *req, struct response *res, const char *code,
		     long long *id)
{
	char buf[24];
	int rc = request_query(req, "branch", buf, sizeof(buf));

	*id = 0;
	if (rc == 0)
		return 0;
	if (rc < 0 || buf[0] == '\0' || strlen(buf) > 18 || strspn(buf, "0123456789") != strlen(buf) ||
	    (*id = strtoll(buf, NULL, 10)) <= 0) {
		response_error(res, 400, code, "branch", "branch must be a branch id.");
		return -1;
	}
	return 0;
}

int api_branch_exists(struct app *app, long long asked, long long *id, struct response *res)
{
	struct branch b;

	switch (branch_get(app->db, asked, &b)) {
	case LOOKUP_FOUND:
		*id = b.id;
		return 0;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", "branch", "There is no such branch.");
		break;
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		break;
	}
	return -1;
}

int api_day_params(struct app *app, const struct request *req, struct response *res,
		   const char *code, long long *branch, char date[16], const char **pdate)
{
	int rc;

	*pdate = NULL;
	if (api_branch_query(req, res, code, branch) < 0)
		return -1;
	rc = request_query(req, "date", date, 16);
	if (rc < 0 || (rc == 1 && !api_valid_date(date))) {
		response_error(res, 400, code, "date", "date must be YYYY-MM-DD.");
		return -1;
	}
	if (rc == 1)
		*pdate = date;
	return api_branch_exists(app, *branch, branch, res);
}
