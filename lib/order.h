/* order.h - the order model in PostgreSQL: placement, reading, customer
 * cancellation, queue bookkeeping, the backlog. Status names and
 * transitions live here. */
#ifndef BAKERY_ORDER_H
#define BAKERY_ORDER_H

#include <stddef.h>

struct db;

struct order_line {
	long long product_id;
	int quantity;
	int index; /* position in the request, for error messages */
};

/* What placement needs to know about one product. */
struct order_product {
	long long id;
	char name[404]; /* up to 100 characters of UTF-8 */
	long long price_cents;
	long long stock;
	int active;
};

struct order_item {
	long long product_id;
	const char *name;
	int quantity;
	long long price_cents;
};

struct order_event {
	const char *from; /* "" for the first event */
	const char *to;
	const char *reason;
	const char *at;   /* ISO 8601 UTC */
};

/* An order as read back. Strings point into storage the struct owns:
 * release with order_release(). */
struct order {
	long long id;
	const char *status;
	long long total_cents;
	const char *customer_name;
	const char *customer_email;
	const char *token;
	const char *failure_reason; /* NULL unless set */
	const char *created_at;
	const char *updated_at;
	struct order_item *items;
	int nitems;
	struct order_event *history;
	int nhistory;
	void *owned[3];
};

/* The placement request, validated. */
struct order_new {
	const char *customer_name;
	const char *customer_email;
	const struct order_line *lines; /* distinct products, sorted by id */
	int nlines;
	const char *token;           /* fresh random token */
	const char *idempotency_key; /* NULL when none */
	const char *request_hash;
};

struct order_placed {
	long long id;
	long long total_cents;
	char status[16];
	char token[72];
	int replayed;      /* 1: the idempotency key named an earlier order */
	int hash_mismatch; /* 1: ... placed by a different request */
};

/* Looks up products by id into out[n] (same order as ids); rows not found
 * get id 0. 0 or -1 (database down). */
int order_products(struct db *db, const struct order_line *lines, int n, struct order_product *out);

/* The order an idempotency key already names: 1 found (out filled, with
 * hash_mismatch set when request_hash differs), 0 none, -1 db down. */
int order_find_by_key(struct db *db, const char *key, const char *request_hash,
		      struct order_placed *out);

/* Writes order, items and first history event in one transaction; or, when
 * the idempotency key was used meanwhile, reads that order instead. Returns
 * 0, -1 when the database is down, -2 when a product vanished meanwhile. */
int order_place(struct db *db, const struct order_new *req, struct order_placed *out);

/* Records that the broker confirmed the order's message. 0 or -1. */
int order_mark_queued(struct db *db, long long id);

/* Reads an order with items and history: 1 found, 0 unknown, -1 db down. */
int order_get(struct db *db, long long id, struct order *out);
void order_release(struct order *o);

/* pending -> cancelled with a history event. 1 done, 0 unknown order,
 * -2 not pending any more (status copied to status_out), -1 db down. */
int order_cancel(struct db *db, long long id, const char *reason, char status_out[16]);

/* The orders waiting for a worker. */
struct order_backlog {
	long long waiting;  /* orders still pending */
	long long oldest_s; /* age of the oldest pending one, whole seconds; 0 if none */
};

/* Reads the backlog in one cheap statement, which also serves as the health
 * check's PostgreSQL ping. 0, or -1 when the database does not answer. */
int order_backlog(struct db *db, struct order_backlog *out);

/* 1 when a and b are equal, compared in constant time. */
int order_token_equal(const char *a, const char *b);

#endif
