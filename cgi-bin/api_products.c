/* api_products.c - GET /api/products[?category=&branch=&allergen_free=&dietary=]
 * and GET /api/products/{id}.
 *
 * The listing is cached in Redis as the exact response bytes, one entry per
 * combination of the query (the plain category listings keep their field);
 * its ETag is a hash of those bytes, so a client revalidating gets 304
 * without a body. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "branch.h"
#include "cache.h"
#include "hash.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "order_input.h"
#include "product.h"
#include "tags.h"

#define CATEGORY_MAX 50
#define VARIANT_MAX (CATEGORY_MAX * 4 + 2 * TAGS_LITERAL_MAX + 40)
#define REFILL_LOCK_MS 2000 /* longest a refill may take before another may */
#define REFILL_WAIT_MS 1000 /* how long others wait for it before asking PostgreSQL */
#define REFILL_POLL_MS 10

cJSON *api_product_json(const struct product *p, int with_active)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL ||
	    !cJSON_AddNumberToObject(o, "id", (double)p->id) ||
	    !cJSON_AddStringToObject(o, "name", p->name) ||
	    !cJSON_AddStringToObject(o, "description", p->description) ||
	    !cJSON_AddStringToObject(o, "category", p->category) ||
	    !json_add_money(o, "price", p->price_cents) ||
	    !cJSON_AddNumberToObject(o, "stock", (double)p->stock) ||
	    !tags_add_json(o, "allergens", p->allergens) ||
	    !tags_add_json(o, "dietary", p->dietary) ||
	    (with_active && !cJSON_AddBoolToObject(o, "active", p->active))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* What the query asks for, and the cache field naming it. */
struct listing_query {
	char category[CATEGORY_MAX * 4 + 1];
	char allergen_free[TAGS_LITERAL_MAX];
	char dietary[TAGS_LITERAL_MAX];
	struct product_filter filter;
	char variant[VARIANT_MAX];
};

enum listing_outcome { LISTING_OK, LISTING_NO_BRANCH, LISTING_DB_DOWN, LISTING_NO_MEMORY };

/* Renders the listing from PostgreSQL: malloc'd JSON in *text. */
static enum listing_outcome listing_from_db(struct app *app, const struct listing_query *q,
					    char **text, size_t *len)
{
	struct product_list list;
	struct branch b;
	cJSON *arr;

	*text = NULL;
	switch (q->filter.branch ? branch_get(app->db, q->filter.branch, &b) : LOOKUP_FOUND) {
	case LOOKUP_FOUND:
		break;
	case LOOKUP_NONE:
		return LISTING_NO_BRANCH;
	case LOOKUP_ERROR:
		return LISTING_DB_DOWN;
	}
	if (product_list(app->db, &q->filter, &list) < 0)
		return LISTING_DB_DOWN;
	arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < list.n; i++) {
		cJSON *o = api_product_json(&list.items[i], 0);

		if (o == NULL) {
			cJSON_Delete(arr);
			arr = NULL;
			break;
		}
		cJSON_AddItemToArray(arr, o);
	}
	if (arr)
		*text = json_print(arr, len);
	cJSON_Delete(arr);
	product_list_release(&list);
	return *text ? LISTING_OK : LISTING_NO_MEMORY;
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

/* Waits up to REFILL_WAIT_MS for another process's refill of variant.
 * 1 with the body on a hit, 0 when it did not come. */
static int wait_for_refill(struct app *app, const char *variant, char **body, size_t *len)
{
	for (int waited = 0; waited < REFILL_WAIT_MS; waited += REFILL_POLL_MS) {
		struct timespec ts = { 0, REFILL_POLL_MS * 1000000L };

		nanosleep(&ts, NULL);
		if (cache_listing_get(app->cache, variant, body, len) == 1)
			return 1;
	}
	return 0;
}

/* The listing body for q: from Redis, else from PostgreSQL (and then
 * cached by the one process holding the refill lock). NULL with res
 * filled on failure. */
static char *listing(struct app *app, const struct listing_query *q, size_t *len, int *hit,
		     struct response *res)
{
	int ttl = app->cfg->cache_ttl, lock = -1;
	enum listing_outcome rc;
	long long gen = 0;
	char *body = NULL;

	*hit = 0;
	if (ttl > 0 && cache_listing_get(app->cache, q->variant, &body, len) == 0) {
		lock = cache_listing_lock(app->cache, q->variant, REFILL_LOCK_MS, &gen);
		if (lock == 0 && wait_for_refill(app, q->variant, &body, len))
			lock = -1;
	}
	if (body) {
		*hit = 1;
		return body;
	}
	rc = listing_from_db(app, q, &body, len);
	if (rc != LISTING_OK && lock == 1)
		cache_listing_unlock(app->cache, q->variant);
	switch (rc) {
	case LISTING_OK:
		break;
	case LISTING_NO_BRANCH:
		response_error(res, 404, "not_found", "branch", "There is no such branch.");
		return NULL;
	case LISTING_DB_DOWN:
		api_unavailable(res, "postgres");
		return NULL;
	case LISTING_NO_MEMORY:
		api_out_of_memory(res);
		return NULL;
	}
	/* No entry for a listing no product is in (any string could be a
	 * category): the lock goes, nothing is stored. */
	if (lock == 1 && q->variant[0] && strcmp(body, "[]") == 0)
		cache_listing_unlock(app->cache, q->variant);
	else if (lock == 1)
		cache_listing_put(app->cache, q->variant, body, *len, ttl, gen);
	return body;
}

/* ?allergen_free= or ?dietary= into an array literal (NULL filter when
 * absent). 0, or -1 with res filled (400). */
static int tag_query(const struct request *req, struct response *res, const char *name,
		     enum tag_kind kind, char out[TAGS_LITERAL_MAX], const char **filter)
{
	char list[128], msg[96];
	unsigned set = 0;
	int rc = request_query(req, name, list, sizeof(list));

	*filter = NULL;
	if (rc == 0)
		return 0;
	if (rc < 0 || tags_parse_list(kind, list, &set) < 0) {
		snprintf(msg, sizeof(msg), "%s is a comma-separated list of %s.", name, tags_names(kind));
		response_error(res, 400, "invalid_query", name, msg);
		return -1;
	}
	tags_literal(kind, set, out);
	*filter = out;
	return 0;
}

/* The query into q, with its cache field: the category alone (as before
 * branches) when nothing else is asked. 0, or -1 with res filled (400). */
static int listing_query(const struct request *req, struct response *res, struct listing_query *q)
{
	struct product_filter *f = &q->filter;

	memset(q, 0, sizeof(*q));
	/* The database's own limit: nothing longer can name a category. */
	if (request_query(req, "category", q->category, sizeof(q->category)) < 0 ||
	    !utf8_valid(q->category, strlen(q->category)) ||
	    utf8_length(q->category) > CATEGORY_MAX) {
		response_error(res, 400, "invalid_query", "category",
			       "The category filter is malformed or longer than 50 characters.");
		return -1;
	}
	if (api_branch_query(req, res, "invalid_query", &f->branch) < 0 ||
	    tag_query(req, res, "allergen_free", TAGS_ALLERGENS, q->allergen_free, &f->allergen_free) < 0 ||
	    tag_query(req, res, "dietary", TAGS_DIETARY, q->dietary, &f->dietary) < 0)
		return -1;
	f->category = q->category;
	if (f->branch == 0 && f->allergen_free == NULL && f->dietary == NULL)
		snprintf(q->variant, sizeof(q->variant), "%s", q->category);
	else
		snprintf(q->variant, sizeof(q->variant), "%s\x1f%lld\x1f%s\x1f%s", q->category,
			 f->branch, q->allergen_free, q->dietary);
	return 0;
}

/* GET /api/products[?category=&branch=&allergen_free=&dietary=]: 200 the
 * listing (from Redis or PostgreSQL), 304 when If-None-Match names its
 * ETag; 400 a malformed parameter or unknown name; 404 unknown branch;
 * 503 PostgreSQL down and nothing cached; 500 out of memory. */
void api_products_list(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	struct listing_query q;
	char etag[24];
	char *body;
	size_t len = 0;
	int hit;

	(void)args;
	if (listing_query(req, res, &q) < 0)
		return;
	body = listing(app, &q, &len, &hit, res);
	if (body == NULL)
		return;
	etag_of(body, len, etag);
	metrics_cache(hit);
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

/* GET /api/products/{id}[?branch=]: 200 the product with that branch's
 * stock (else the default branch's); 400 malformed branch; 404 unknown or
 * not on sale, or unknown branch; 503 PostgreSQL down; 500 out of memory. */
void api_products_get(struct app *app, const struct request *req, struct response *res,
		      const struct route_args *args)
{
	struct product_list list;
	long long branch;
	cJSON *o;
	enum lookup found;

	if (api_branch_query(req, res, "invalid_query", &branch) < 0 ||
	    (branch && api_branch_exists(app, branch, &branch, res) < 0))
		return;
	found = product_get(app->db, args->id[0], branch, &list);
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
	o = api_product_json(&list.items[0], 0);
	product_list_release(&list);
	api_send_json(res, 200, o);
}
