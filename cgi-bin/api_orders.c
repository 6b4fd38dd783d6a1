/* api_orders.c - placing, reading and cancelling orders (SPEC §6.1, §7.1-2).
 *
 * Placement: validate the body, answer a repeated Idempotency-Key with the
 * order it named, check products and stock, write the order in one
 * transaction, then publish it with confirms. A failed publish still
 * accepts the order: it stays "not queued" and the worker's relay sends it.
 *
 * Order ids are sequential, so a reader sees the customer's name and email
 * only with the order's token or a staff session, which the dispatcher reads
 * for these routes (ROUTE_ORDER_ACCESS) and hands over in args->access. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "clock.h"
#include "json.h"
#include "log.h"
#include "memo.h"
#include "mq.h"
#include "order.h"
#include "order_input.h"

#define IDEMPOTENCY_KEY_MIN 16
#define IDEMPOTENCY_KEY_MAX 200
#define SEED_CUSTOMER_NAME "Guest"
#define SEED_CUSTOMER_EMAIL "guest@bakery.invalid"
/* The longest an order is kept in Redis: the bound on a copy whose
 * invalidation was lost (docs/design-decisions.md, "Cache"). */
#define ORDER_CACHE_TTL_MS 10000

/* Fingerprint of what was ordered, to tell a retry from a reused key:
 * SHA-256, as the derived token depends on it (order_token_new). */
static void request_hash(const struct order_input *in, char out[ORDER_FINGERPRINT_LEN + 1])
{
	char text[sizeof(in->name) + sizeof(in->email) + ORDER_MAX_ITEMS * 32 + 64];
	size_t n = (size_t)snprintf(text, sizeof(text), "%s\xff%s", in->name, in->email);

	/* 0xff is no UTF-8 byte: name and email cannot blur. */
	for (int i = 0; i < in->nitems && n < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "|%lld:%d", in->items[i].product_id,
				      in->items[i].quantity);
	if ((in->branch_id || in->pickup_at[0]) && n < sizeof(text))
		n += (size_t)snprintf(text + n, sizeof(text) - n, "@%lld/%s", in->branch_id,
				      in->pickup_at);
	sha256_hex(text, n < sizeof(text) ? n : sizeof(text) - 1, out);
}

/* The Idempotency-Key header: NULL when absent; -1 (res filled) when bad. */
static int idempotency_key(const struct request *req, struct response *res, const char **key)
{
	const char *k = request_param(req, "HTTP_IDEMPOTENCY_KEY");

	*key = NULL;
	if (k == NULL)
		return 0;
	for (const char *p = k; *p; p++) {
		if (*p < 0x21 || *p > 0x7e) {
			response_error(res, 400, "invalid_idempotency_key", NULL,
				       "Idempotency-Key must be printable ASCII without spaces.");
			return -1;
		}
	}
	/* The order's token derives from the key: a short one is guessable. */
	if (strlen(k) < IDEMPOTENCY_KEY_MIN || strlen(k) > IDEMPOTENCY_KEY_MAX) {
		response_error(res, 400, "invalid_idempotency_key", NULL,
			       "Idempotency-Key must be 16 to 200 characters, best a random UUID.");
		return -1;
	}
	*key = k;
	return 0;
}

/* The branch exists (its id into *branch: 0 asks for the default one),
 * and every product exists, is on sale and has the stock asked for there.
 * 0, or -1 with res filled (422, or 503 when the database is down). */
static int check_products(struct app *app, const struct order_input *in, long long *branch,
			  struct order_line *lines, struct response *res)
{
	struct order_product found[ORDER_MAX_ITEMS];
	char field[40], msg[512];

	for (int i = 0; i < in->nitems; i++) {
		lines[i].product_id = in->items[i].product_id;
		lines[i].quantity = in->items[i].quantity;
		lines[i].index = in->items[i].index;
	}
	switch (order_products(app->db, in->branch_id, lines, in->nitems, found, branch)) {
	case LOOKUP_FOUND:
		break;
	case LOOKUP_NONE:
		response_error(res, 422, "unknown_branch", "branch_id", "There is no such branch.");
		return -1;
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return -1;
	}
	for (int i = 0; i < in->nitems; i++) {
		/* The seed shape has no items array: its fields are top-level. */
		char prefix[24] = "";

		if (in->name[0])
			snprintf(prefix, sizeof(prefix), "items[%d].", lines[i].index);
		snprintf(field, sizeof(field), "%sproduct_id", prefix);
		if (found[i].id == 0 || !found[i].active) {
			snprintf(msg, sizeof(msg), "There is no product %lld for sale.", lines[i].product_id);
			response_error(res, 422, "unknown_product", field, msg);
			return -1;
		}
		if (lines[i].quantity > found[i].stock) {
			snprintf(field, sizeof(field), "%squantity", prefix);
			if (found[i].stock == 0)
				snprintf(msg, sizeof(msg), "%s is sold out.", found[i].name);
			else
				snprintf(msg, sizeof(msg), "Only %lld of %s left in stock.",
					 found[i].stock, found[i].name);
			response_error(res, 422, "insufficient_stock", field, msg);
			return -1;
		}
	}
	return 0;
}

/* Writes the order nw: 0 with *placed filled, or -1 with res filled (422
 * when a product was withdrawn since it was checked, 503 db down). */
static int place_new(struct app *app, const struct order_new *nw, struct order_placed *placed,
		     struct response *res)
{
	switch (order_place(app->db, nw, placed)) {
	case PLACE_DONE:
		return 0;
	case PLACE_WITHDRAWN:
		response_error(res, 422, "unknown_product", NULL,
			       "A product in this order was withdrawn meanwhile.");
		break;
	case PLACE_SLOT_FULL:
		response_error(res, 422, "slot_full", "pickup_at",
			       "This pickup slot is full; please choose another one.");
		break;
	case PLACE_SLOT_UNAVAILABLE:
		response_error(res, 422, "slot_unavailable", "pickup_at",
			       "This is not a pickup slot of the branch that can be booked now.");
		break;
	case PLACE_ERROR:
		api_unavailable(res, "postgres");
		break;
	}
	return -1;
}

/* A new order of in: branch, products and stock checked, slot booked, in
 * placed. 0, or -1 with res filled. */
static int place_checked(struct app *app, const struct order_input *in, const char *key,
			 const char *hash, struct order_placed *placed, struct response *res)
{
	struct order_line lines[ORDER_MAX_ITEMS];
	struct slot_rules rules;
	char token[ORDER_TOKEN_LEN + 1];
	struct order_new nw;
	long long branch;

	if (check_products(app, in, &branch, lines, res) < 0)
		return -1;
	if (order_token_new(key, hash, token) < 0) {
		response_error(res, 500, "internal", NULL, "No order token could be made.");
		return -1;
	}
	api_slot_rules(app, &rules);
	nw = (struct order_new){ in->name[0] ? in->name : SEED_CUSTOMER_NAME,
				 in->email[0] ? in->email : SEED_CUSTOMER_EMAIL,
				 lines, in->nitems, token, key, hash, branch,
				 in->pickup_at[0] ? in->pickup_at : NULL, &rules };
	return place_new(app, &nw, placed, res);
}

/* Shared by both placement shapes. 0 with *placed filled, or -1 with res
 * filled. */
static int place(struct app *app, const struct request *req, struct response *res,
		 const struct order_input *in, struct order_placed *placed)
{
	char hash[ORDER_FINGERPRINT_LEN + 1];
	const char *key;

	if (idempotency_key(req, res, &key) < 0)
		return -1;
	request_hash(in, hash);
	/* A retry must get its order even if stock has run out since. */
	switch (key ? order_find_by_key(app->db, key, hash, app->cfg->tz, placed) : LOOKUP_NONE) {
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		return -1;
	case LOOKUP_FOUND:
		break;
	case LOOKUP_NONE:
		if (place_checked(app, in, key, hash, placed, res) < 0)
			return -1;
		break;
	}
	if (placed->replayed && placed->hash_mismatch) {
		response_error(res, 422, "idempotency_key_reused", NULL,
			       "This Idempotency-Key was already used for a different order.");
		return -1;
	}
	if (placed->replayed) {
		response_header(res, "Idempotent-Replayed", "true");
		return 0;
	}
	/* Nothing is kept for an id before its order exists (a 404 is never
	 * stored), so placement has nothing to drop (design-decisions.md). */
	/* The confirm is taken after the answer (api_orders_settle). */
	if (mq_publish_order_nowait(app->mq, placed->id) < 0)
		log_msg(LL_WARN, placed->id, "order accepted but not queued; the relay will send it");
	log_msg(LL_INFO, placed->id, "order placed total_cents=%lld items=%d",
		placed->total_cents, in->nitems);
	return 0;
}

#define QUEUED_MAX_AGE_MS 200 /* far below the relay's grace (worker/worker.c) */

static void flush_queued(struct app *app)
{
	if (app->nqueued == 0)
		return;
	/* Not marked (database down): the relay publishes them once more,
	 * and the worker skips whatever is no longer pending. */
	if (order_mark_queued(app->db, app->queued, app->nqueued) < 0)
		log_warn("%d confirmed orders not marked queued; the relay will send them again",
			 app->nqueued);
	app->nqueued = 0;
}

void api_orders_settle(struct app *app, int idle)
{
	for (;;) {
		int room = API_QUEUED_BATCH - app->nqueued;
		int n = mq_take_confirms(app->mq, app->queued + app->nqueued, room, 0);

		if (n > 0 && app->nqueued == 0)
			app->queued_since_ms = clock_ms();
		if (n > 0)
			app->nqueued += n;
		if (app->nqueued == API_QUEUED_BATCH)
			flush_queued(app);
		else
			break;
	}
	if (idle || clock_ms() - app->queued_since_ms >= QUEUED_MAX_AGE_MS)
		flush_queued(app);
}

int api_orders_confirm_fd(const struct app *app)
{
	return mq_confirm_fd(app->mq);
}

/* One placement shape: how its body is parsed and its answer rendered. */
struct placement_shape {
	int (*parse)(const char *body, size_t len, struct order_input *out,
		     struct input_error *err);
	int (*render)(cJSON *root, const struct order_placed *placed);
};

static int render_full(cJSON *root, const struct order_placed *placed)
{
	return cJSON_AddNumberToObject(root, "order_id", (double)placed->id) &&
	       cJSON_AddStringToObject(root, "status", order_status_name(placed->status)) &&
	       json_add_money(root, "total_amount", placed->total_cents) &&
	       cJSON_AddStringToObject(root, "token", placed->token) &&
	       cJSON_AddNumberToObject(root, "branch_id", (double)placed->branch_id) &&
	       (placed->pickup_at[0] ? cJSON_AddStringToObject(root, "pickup_at", placed->pickup_at)
				     : cJSON_AddNullToObject(root, "pickup_at"));
}

/* Seed 000's answer, exactly: no token, no total. */
static int render_seed(cJSON *root, const struct order_placed *placed)
{
	return cJSON_AddStringToObject(root, "message", "Order placed successfully!") &&
	       cJSON_AddNumberToObject(root, "order_id", (double)placed->id);
}

static const struct placement_shape full_shape = { order_input_parse, render_full };
static const struct placement_shape seed_shape = { order_input_parse_seed, render_seed };

static void create(struct app *app, const struct request *req, struct response *res,
		   const struct placement_shape *shape)
{
	struct order_input in;
	struct input_error err;
	struct order_placed placed;
	char location[48];
	cJSON *root;

	if (shape->parse(req->body, req->body_len, &in, &err) < 0) {
		api_input_error(res, &err);
		return;
	}
	if (place(app, req, res, &in, &placed) < 0)
		return;
	root = cJSON_CreateObject();
	if (root && !shape->render(root, &placed)) {
		cJSON_Delete(root);
		root = NULL;
	}
	snprintf(location, sizeof(location), "/api/orders/%lld", placed.id);
	response_header(res, "Location", location);
	api_send_json(res, 201, root);
}

/* POST /api/orders: 201 with the order and Location (also for a replayed
 * Idempotency-Key); 400 malformed body or Idempotency-Key; 422 invalid
 * input, unknown product or branch, insufficient stock, a full or
 * unavailable slot, or a reused key; 503 PostgreSQL down; 500 out of memory
 * or no token. */
void api_orders_create(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	(void)args;
	create(app, req, res, &full_shape);
}

/* POST /api/order, /order (seed shape): the statuses of api_orders_create. */
void api_order_seed_create(struct app *app, const struct request *req, struct response *res,
			   const struct route_args *args)
{
	(void)args;
	create(app, req, res, &seed_shape);
}

/* Order token or staff (ROUTE_ORDER_ACCESS): whether the caller may see the
 * customer of the order whose token has token_hash, and cancel it. */
static int may_access(const struct route_args *args, const char *token_hash)
{
	const struct route_access *a = &args->access;

	return a->staff || (a->token[0] && order_token_matches(a->token, token_hash));
}

/* Reads order id (release it with order_release): 0, or -1 with res
 * filled (404, 503). */
static int load_order(struct app *app, long long id, struct order *o, struct response *res)
{
	switch (order_get(app->db, id, app->cfg->tz, o)) {
	case LOOKUP_FOUND:
		return 0;
	case LOOKUP_NONE:
		response_error(res, 404, "not_found", NULL, "There is no such order.");
		break;
	case LOOKUP_ERROR:
		api_unavailable(res, "postgres");
		break;
	}
	return -1;
}

/* Where and when: "branch" {"id","name","address"} and "pickup_at". */
static int add_pickup(cJSON *root, const struct order *o)
{
	cJSON *b = cJSON_AddObjectToObject(root, "branch");

	return b && cJSON_AddNumberToObject(b, "id", (double)o->branch_id) &&
	       cJSON_AddStringToObject(b, "name", o->branch_name) &&
	       cJSON_AddStringToObject(b, "address", o->branch_address) &&
	       (o->pickup_at ? cJSON_AddStringToObject(root, "pickup_at", o->pickup_at)
			     : cJSON_AddNullToObject(root, "pickup_at"));
}

static cJSON *order_to_json(const struct order *o, int with_customer)
{
	cJSON *root = cJSON_CreateObject(), *items, *hist;
	int ok = root != NULL;

	ok = ok && cJSON_AddNumberToObject(root, "order_id", (double)o->id) &&
	     cJSON_AddStringToObject(root, "status", order_status_name(o->status)) &&
	     json_add_money(root, "total_amount", o->total_cents) &&
	     cJSON_AddStringToObject(root, "created_at", o->created_at) &&
	     cJSON_AddStringToObject(root, "updated_at", o->updated_at);
	if (ok && o->failure_reason)
		ok = cJSON_AddStringToObject(root, "failure_reason", o->failure_reason) != NULL;
	if (ok && with_customer)
		ok = cJSON_AddStringToObject(root, "customer_name", o->customer_name) &&
		     cJSON_AddStringToObject(root, "customer_email", o->customer_email);
	ok = ok && add_pickup(root, o);
	items = ok ? cJSON_AddArrayToObject(root, "items") : NULL;
	for (int i = 0; items && i < o->nitems; i++) {
		cJSON *it = cJSON_CreateObject();

		cJSON_AddItemToArray(items, it);
		ok = it && cJSON_AddNumberToObject(it, "product_id", (double)o->items[i].product_id) &&
		     cJSON_AddStringToObject(it, "name", o->items[i].name) &&
		     cJSON_AddNumberToObject(it, "quantity", o->items[i].quantity) &&
		     json_add_money(it, "price", o->items[i].price_cents);
		if (!ok)
			items = NULL;
	}
	hist = items ? cJSON_AddArrayToObject(root, "history") : NULL;
	for (int i = 0; hist && i < o->nhistory; i++) {
		cJSON *ev = cJSON_CreateObject();

		cJSON_AddItemToArray(hist, ev);
		ok = ev && (o->history[i].from[0] ? cJSON_AddStringToObject(ev, "from", o->history[i].from)
						  : cJSON_AddNullToObject(ev, "from")) &&
		     cJSON_AddStringToObject(ev, "to", o->history[i].to) &&
		     cJSON_AddStringToObject(ev, "reason", o->history[i].reason) &&
		     cJSON_AddStringToObject(ev, "at", o->history[i].at);
		if (!ok)
			hist = NULL;
	}
	if (hist == NULL) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* An order's answers as kept in Redis: its token's hash, the length of
 * the answer without the customer, then that answer and the one with the
 * customer ("HASH\nLEN\nJSONJSON"), so a copy decides access as the
 * order read from PostgreSQL does, and answers the same bytes. */
struct order_answers {
	const char *token_hash;
	char *plain, *full;
	size_t plain_len, full_len;
};

/* text[0..len) (NUL-terminated, modified) into a: 0, or -1 when it is no
 * order's answers. */
static int answers_parse(char *text, size_t len, struct order_answers *a)
{
	char *nl = memchr(text, '\n', len), *end;
	unsigned long long n;

	if (nl == NULL)
		return -1;
	*nl = '\0';
	n = strtoull(nl + 1, &end, 10);
	if (end == nl + 1 || *end != '\n' || n > len - (size_t)(end + 1 - text))
		return -1;
	a->token_hash = text;
	a->plain = end + 1;
	a->plain_len = (size_t)n;
	a->full = a->plain + n;
	a->full_len = len - (size_t)(a->full - text);
	return 0;
}

/* The JSON of order_to_json(o, with_customer), malloc'd. */
static char *order_text(const struct order *o, int with_customer, size_t *len)
{
	cJSON *root = order_to_json(o, with_customer);
	char *text = root ? json_print(root, len) : NULL;

	cJSON_Delete(root);
	return text;
}

/* Order id's answers made from PostgreSQL, malloc'd, or NULL with res
 * filled. */
static char *answers_from_db(struct app *app, long long id, size_t *len, struct response *res)
{
	struct order o;
	size_t plain_len = 0, full_len = 0, head;
	char *plain, *full, *text = NULL;

	if (load_order(app, id, &o, res) < 0)
		return NULL;
	plain = order_text(&o, 0, &plain_len);
	full = order_text(&o, 1, &full_len);
	head = strlen(o.token_hash) + 24;
	if (plain && full && (text = malloc(head + plain_len + full_len + 1)) != NULL) {
		*len = (size_t)snprintf(text, head, "%s\n%zu\n", o.token_hash, plain_len);
		memcpy(text + *len, plain, plain_len);
		memcpy(text + *len + plain_len, full, full_len);
		*len += plain_len + full_len;
		text[*len] = '\0';
	}
	free(plain);
	free(full);
	order_release(&o);
	if (text == NULL)
		api_out_of_memory(res);
	return text;
}

static int order_ttl_ms(const struct app *app)
{
	long long ttl = app->cfg->cache_ttl * 1000LL;

	return ttl < ORDER_CACHE_TTL_MS ? (int)ttl : ORDER_CACHE_TTL_MS;
}

/* Order id's answers: from this process's copy, from Redis, else from
 * PostgreSQL (then stored by the one fill that marked the key, unless an
 * invalidation came meanwhile). NULL with res filled. */
static char *order_answers(struct app *app, long long id, size_t *len, struct response *res)
{
	char field[MEMO_FIELD_MAX], mark[CACHE_MARK_LEN];
	int ttl_ms = order_ttl_ms(app), marked = -1;
	long long gen = 0;
	char *body = NULL;

	if (ttl_ms > 0) {
		/* Taken before the read: a change after it bumps the epoch. */
		unsigned epoch = cache_epoch(app->cache);
		int got;

		/* 0xfe is no UTF-8 byte: no listing's field is like it. */
		snprintf(field, sizeof(field), "\xfe" "order:%lld", id);
		if ((body = memo_get(field, epoch, len)) != NULL)
			return body;
		got = cache_order_get(app->cache, id, &body, len, &gen);
		if (got == 1) {
			memo_put(field, epoch, body, *len);
			return body;
		}
		if (got == 0)
			marked = cache_order_mark(app->cache, id, mark);
	}
	body = answers_from_db(app, id, len, res);
	if (body && marked == 1)
		cache_order_put(app->cache, id, mark, gen, body, *len, ttl_ms);
	return body;
}

/* GET /api/orders/{id}: 200 the order (with the customer for its token or
 * staff), kept in Redis and dropped by every change of it; 404 no such
 * order; 503 PostgreSQL down and nothing kept; 500 out of memory. */
void api_orders_get(struct app *app, const struct request *req, struct response *res,
		    const struct route_args *args)
{
	struct order_answers a;
	size_t len = 0, n;
	char *text = order_answers(app, args->id[0], &len, res), *json;

	(void)req;
	if (text && answers_parse(text, len, &a) < 0) {
		log_error("order %lld: malformed answers in redis; reading postgres", args->id[0]);
		free(text);
		text = answers_from_db(app, args->id[0], &len, res);
		if (text && answers_parse(text, len, &a) < 0) {
			free(text);
			text = NULL;
			api_out_of_memory(res);
		}
	}
	if (text == NULL)
		return;
	json = may_access(args, a.token_hash) ? a.full : a.plain;
	n = json == a.full ? a.full_len : a.plain_len;
	memmove(text, json, n);
	text[n] = '\0';
	response_json(res, 200, text, n);
}

/* GET /api/order/{id}, /order/{id} (seed shape): 200 {order_id, status};
 * 404 no such order; 503 PostgreSQL down; 500 out of memory. */
void api_order_seed_get(struct app *app, const struct request *req, struct response *res,
			const struct route_args *args)
{
	struct order o;
	cJSON *root;

	(void)req;
	if (load_order(app, args->id[0], &o, res) < 0)
		return;
	root = cJSON_CreateObject();
	if (root && (!cJSON_AddNumberToObject(root, "order_id", (double)o.id) ||
		     !cJSON_AddStringToObject(root, "status", order_status_name(o.status)))) {
		cJSON_Delete(root);
		root = NULL;
	}
	order_release(&o);
	api_send_json(res, 200, root);
}

/* POST /api/orders/{id}/cancel: 200 the cancelled order; 403 without its
 * token or staff; 404 no such order; 409 no longer pending; 503 PostgreSQL
 * down; 500 out of memory. */
void api_orders_cancel(struct app *app, const struct request *req, struct response *res,
		       const struct route_args *args)
{
	struct order o;
	enum order_status now;
	char msg[96];
	int rc;

	if (load_order(app, args->id[0], &o, res) < 0)
		return;
	rc = may_access(args, o.token_hash);
	order_release(&o);
	if (!rc) {
		response_error(res, 403, "forbidden", "token",
			       "Cancelling needs the order's token (?token= or X-Order-Token).");
		return;
	}
	switch (order_cancel(app->db, args->id[0], "cancelled by the customer", &now)) {
	case MOVE_ERROR:
		api_unavailable(res, "postgres");
		return;
	case MOVE_ELSEWHERE:
		snprintf(msg, sizeof(msg), "The order is %s and can no longer be cancelled.",
			 order_status_name(now));
		response_error(res, 409, "invalid_state", NULL, msg);
		return;
	case MOVE_DONE:
		cache_orders_invalidate(app->cache, &args->id[0], 1);
		log_msg(LL_INFO, args->id[0], "order cancelled by the customer");
		break;
	case MOVE_UNKNOWN:
		break; /* deleted meanwhile: the read below answers 404 */
	}
	api_orders_get(app, req, res, args);
}
