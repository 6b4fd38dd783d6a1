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
#include "memo.h"
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

/* How an answer kept in Redis came out when it was made from PostgreSQL. */
enum fill_outcome {
	FILL_OK,
	FILL_UNSTORED, /* an answer, but not one to keep */
	FILL_NO_BRANCH,
	FILL_NO_PRODUCT,
	FILL_DB_DOWN,
	FILL_NO_MEMORY
};

/* Makes an answer from PostgreSQL: malloc'd JSON in *text. */
typedef enum fill_outcome (*fill_fn)(struct app *app, const void *what, char **text, size_t *len);

static enum fill_outcome print_json(cJSON *root, char **text, size_t *len)
{
	*text = root ? json_print(root, len) : NULL;
	cJSON_Delete(root);
	return *text ? FILL_OK : FILL_NO_MEMORY;
}

/* Whether branch (0: the default one) exists: FILL_OK, FILL_NO_BRANCH or
 * FILL_DB_DOWN. */
static enum fill_outcome branch_known(struct app *app, long long branch)
{
	struct branch b;

	switch (branch ? branch_get(app->db, branch, &b) : LOOKUP_FOUND) {
	case LOOKUP_FOUND:
		return FILL_OK;
	case LOOKUP_NONE:
		return FILL_NO_BRANCH;
	case LOOKUP_ERROR:
		break;
	}
	return FILL_DB_DOWN;
}

/* The listing of a struct listing_query. No entry for a listing no product
 * is in (any string could be a category). */
static enum fill_outcome listing_from_db(struct app *app, const void *what, char **text,
					 size_t *len)
{
	const struct listing_query *q = what;
	struct product_list list;
	enum fill_outcome rc;
	cJSON *arr;
	int none;

	*text = NULL;
	if ((rc = branch_known(app, q->filter.branch)) != FILL_OK)
		return rc;
	if (product_list(app->db, &q->filter, &list) < 0)
		return FILL_DB_DOWN;
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
	none = list.n == 0;
	product_list_release(&list);
	rc = print_json(arr, text, len);
	return rc == FILL_OK && q->variant[0] && none ? FILL_UNSTORED : rc;
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

/* The answer kept in Redis under field: from Redis, else made by fill
 * (and then stored by the one process holding the refill lock, unless an
 * invalidation came meanwhile). NULL with *rc saying why on failure. */
static char *cached(struct app *app, const char *field, fill_fn fill, const void *what,
		    size_t *len, int *hit, enum fill_outcome *rc)
{
	int ttl = app->cfg->cache_ttl, lock = -1;
	long long gen = 0;
	char *body = NULL;

	*hit = 0;
	*rc = FILL_OK;
	if (ttl > 0) {
		/* Taken before the read: a change after it bumps the epoch. */
		unsigned epoch = cache_epoch(app->cache);

		body = memo_get(field, epoch, len);
		if (body == NULL) {
			int got = cache_listing_get(app->cache, field, &body, len);

			if (got == 1)
				memo_put(field, epoch, body, *len);
			if (got == 0)
				lock = cache_listing_lock(app->cache, field, REFILL_LOCK_MS, &gen);
		}
		if (lock == 0 && wait_for_refill(app, field, &body, len))
			lock = -1;
	}
	if (body) {
		*hit = 1;
		return body;
	}
	*rc = fill(app, what, &body, len);
	if (lock == 1 && *rc == FILL_OK)
		cache_listing_put(app->cache, field, body, *len, ttl, gen);
	else if (lock == 1)
		cache_listing_unlock(app->cache, field);
	if (*rc == FILL_UNSTORED)
		*rc = FILL_OK;
	return *rc == FILL_OK ? body : NULL;
}

/* Answers a failed fill. */
static void fill_failed(struct response *res, enum fill_outcome rc)
{
	switch (rc) {
	case FILL_OK:
	case FILL_UNSTORED:
		break;
	case FILL_NO_BRANCH:
		response_error(res, 404, "not_found", "branch", "There is no such branch.");
		break;
	case FILL_NO_PRODUCT:
		response_error(res, 404, "not_found", NULL, "There is no such product.");
		break;
	case FILL_DB_DOWN:
		api_unavailable(res, "postgres");
		break;
	case FILL_NO_MEMORY:
		api_out_of_memory(res);
		break;
	}
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
	enum fill_outcome rc;
	char etag[24];
	char *body;
	size_t len = 0;
	int hit;

	(void)args;
	if (listing_query(req, res, &q) < 0)
		return;
	body = cached(app, q.variant, listing_from_db, &q, &len, &hit, &rc);
	if (body == NULL) {
		fill_failed(res, rc);
		return;
	}
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

/* One product as a customer sees it. */
struct product_query {
	long long id;
	long long branch; /* as asked; 0 = the default branch */
	char field[64];
};

/* The product of a struct product_query, if on sale, with that branch's
 * stock. */
static enum fill_outcome product_from_db(struct app *app, const void *what, char **text,
					 size_t *len)
{
	const struct product_query *q = what;
	struct product_list list;
	enum fill_outcome rc;
	enum lookup found;
	cJSON *o;

	*text = NULL;
	if ((rc = branch_known(app, q->branch)) != FILL_OK)
		return rc;
	found = product_get(app->db, q->id, q->branch, &list);
	if (found == LOOKUP_ERROR)
		return FILL_DB_DOWN;
	if (found == LOOKUP_NONE)
		return FILL_NO_PRODUCT;
	/* Withdrawn from sale: not there for customers. */
	o = list.items[0].active ? api_product_json(&list.items[0], 0) : NULL;
	rc = list.items[0].active ? print_json(o, text, len) : FILL_NO_PRODUCT;
	product_list_release(&list);
	return rc;
}

/* GET /api/products/{id}[?branch=]: 200 the product with that branch's
 * stock (else the default branch's), kept in Redis beside the listings and
 * dropped with them on every change of stock or product; 400 malformed
 * branch; 404 unknown or not on sale, or unknown branch; 503 PostgreSQL
 * down and nothing cached; 500 out of memory. */
void api_products_get(struct app *app, const struct request *req, struct response *res,
		      const struct route_args *args)
{
	struct product_query q = { .id = args->id[0] };
	enum fill_outcome rc;
	size_t len = 0;
	char *body;
	int hit;

	if (api_branch_query(req, res, "invalid_query", &q.branch) < 0)
		return;
	/* 0xff is no UTF-8 byte: no listing's field (a category) is like it. */
	snprintf(q.field, sizeof(q.field), "\xff" "product:%lld:%lld", q.id, q.branch);
	body = cached(app, q.field, product_from_db, &q, &len, &hit, &rc);
	if (body == NULL) {
		fill_failed(res, rc);
		return;
	}
	response_json(res, 200, body, len);
}
