/* api_products.c - GET /api/products[?category=] and GET /api/products/{id}.
 *
 * The listing is cached in Redis as the exact response bytes; its ETag is a
 * hash of those bytes, so a client revalidating gets 304 without a body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cache.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "order_input.h"
#include "product.h"

#define CATEGORY_MAX 50
#define REFILL_LOCK_MS 2000 /* longest a refill may take before another may */
#define REFILL_WAIT_MS 1000 /* how long others wait for it before asking PostgreSQL */
#define REFILL_POLL_MS 10

static cJSON *product_to_json(const struct product *p)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    !cJSON_AddNumberToObject(o, "id", (double)p->id) ||
	    !cJSON_AddStringToObject(o, "name", p->name) ||
	    !cJSON_AddStringToObject(o, "description", p->description) ||
	    !cJSON_AddStringToObject(o, "category", p->category) ||
	    !json_add_money(o, "price", p->price_cents) ||
	    !cJSON_AddNumberToObject(o, "stock", (double)p->stock)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Renders the listing from PostgreSQL. malloc'd JSON, or NULL (db down or
 * out of memory; *db_down tells which). */
static char *listing_from_db(struct app *app, const char *category, size_t *len, int *db_down)
{
	struct product_list list;
	cJSON *arr;
	char *text = NULL;

	*db_down = product_list_active(app->db, category, &list) < 0;
	if (*db_down)
		return NULL;
	arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < list.n; i++) {
		cJSON *o = product_to_json(&list.items[i]);

		if (o == NULL) {
			cJSON_Delete(arr);
			arr = NULL;
			break;
		}
		cJSON_AddItemToArray(arr, o);
	}
	if (arr)
		text = json_print(arr, len);
	cJSON_Delete(arr);
	product_list_release(&list);
	return text;
}

/* The last listing this process hashed and its ETag: the listing changes
 * rarely, and comparing the bytes costs a fraction of hashing them (the
 * hash was a third of a cache hit's instructions). Lives as long as the
 * process. */
static struct {
	char *body;
	size_t len;
	char etag[24];
} etag_memo;

/* Strong validator: FNV-1a 64 of the exact bytes, quoted. */
static void etag_of(const char *body, size_t len, char out[24])
{
	char *copy;

	if (etag_memo.body && etag_memo.len == len && memcmp(etag_memo.body, body, len) == 0) {
		memcpy(out, etag_memo.etag, 24);
		return;
	}
	snprintf(out, 24, "\"%016llx\"",
		 (unsigned long long)hash_fnv1a(HASH_FNV1A_INIT, body, len));
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return; /* no memo this time; the ETag is right all the same */
	memcpy(copy, body, len);
	free(etag_memo.body);
	etag_memo.body = copy;
	etag_memo.len = len;
	memcpy(etag_memo.etag, out, 24);
}

static int etag_matches(const char *if_none_match, const char *etag)
{
	if (if_none_match == NULL)
		return 0;
	return strcmp(if_none_match, "*") == 0 || strstr(if_none_match, etag) != NULL;
}

/* Waits up to REFILL_WAIT_MS for another process's refill of category.
 * 1 with the body on a hit, 0 when it did not come. */
static int wait_for_refill(struct app *app, const char *category, char **body, size_t *len)
{
	for (int waited = 0; waited < REFILL_WAIT_MS; waited += REFILL_POLL_MS) {
		struct timespec ts = { 0, REFILL_POLL_MS * 1000000L };

		nanosleep(&ts, NULL);
		if (cache_listing_get(app->cache, category, body, len) == 1)
			return 1;
	}
	return 0;
}

/* The listing body for category: from Redis, else from PostgreSQL (and
 * then cached by the one process holding the refill lock). NULL with res
 * filled on failure. */
static char *listing(struct app *app, const char *category, size_t *len, int *hit,
		     struct response *res)
{
	int ttl = app->cfg->cache_ttl, lock = -1, db_down = 0;
	long long gen = 0;
	char *body = NULL;

	*hit = 0;
	if (ttl > 0 && cache_listing_get(app->cache, category, &body, len) == 0) {
		lock = cache_listing_lock(app->cache, category, REFILL_LOCK_MS, &gen);
		if (lock == 0 && wait_for_refill(app, category, &body, len))
			lock = -1;
	}
	if (body) {
		*hit = 1;
		return body;
	}
	body = listing_from_db(app, category, len, &db_down);
	if (body == NULL) {
		if (db_down)
			api_unavailable(res, "postgres");
		else
			api_out_of_memory(res);
		return NULL;
	}
	if (lock == 1)
		cache_listing_put(app->cache, category, body, *len, ttl, gen);
	return body;
}

/* GET /api/products[?category=]: 200 the listing (from Redis or
 * PostgreSQL), 304 when If-None-Match names its ETag; 400 malformed
 * category; 503 PostgreSQL down and nothing cached; 500 out of memory. */
void api_products_list(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	char category[CATEGORY_MAX * 4 + 1] = "", etag[24];
	char *body;
	size_t len = 0;
	int hit;

	(void)args;
	if (request_query(req, "category", category, sizeof(category)) < 0 ||
	    !utf8_valid(category, strlen(category))) {
		response_error(res, 400, "invalid_query", "category",
			       "The category filter is malformed or too long.");
		return;
	}
	body = listing(app, category, &len, &hit, res);
	if (body == NULL)
		return;
	etag_of(body, len, etag);
	response_header(res, "X-Cache", hit ? "HIT" : "MISS");
	response_header(res, "ETag", etag);
	response_header(res, "Cache-Control", "no-cache");
	if (etag_matches(request_param(req, "HTTP_IF_NONE_MATCH"), etag)) {
		free(body);
		res->status = 304;
		return;
	}
	response_json(res, 200, body, len);
}

/* GET /api/products/{id}: 200 the product; 404 unknown or not on sale;
 * 503 PostgreSQL down; 500 out of memory. */
void api_products_get(struct app *app, const struct request *req, struct response *res,
		      const struct route_args *args)
{
	struct product_list list;
	cJSON *o;
	enum lookup found;

	(void)req;
	found = product_get(app->db, args->id[0], &list);
	if (found == LOOKUP_FOUND && !list.items[0].active) {
		/* Withdrawn from sale: not there for customers. */
		product_list_release(&list);
		found = LOOKUP_NONE;
	}
	switch (found) {
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", NULL, "There is no such product.");
		return;
	case LOOKUP_FOUND:
		break;
	}
	o = product_to_json(&list.items[0]);
	product_list_release(&list);
	api_send_json(res, 200, o);
}
