/* order.h - the order model in PostgreSQL: statuses and the one way they
 * change, placement, reading, customer cancellation, queue bookkeeping, the
 * backlog. What the worker does to an order is in fulfil.h. */
#ifndef BAKERY_ORDER_H
#define BAKERY_ORDER_H

#include <stddef.h>

#include "database.h"
#include "sha256.h"
#include "slot.h"

#define ORDER_TOKEN_LEN 32
#define ORDER_FINGERPRINT_LEN SHA256_HEX_LEN

/* An order's status; the names are orders.status's values. */
enum order_status {
	ORDER_PENDING,
	ORDER_PROCESSING,
	ORDER_COMPLETED,
	ORDER_FAILED,
	ORDER_CANCELLED,
	ORDER_REFUNDED,
	ORDER_COLLECTED, /* completed and handed over at the counter: final */
	ORDER_STATUS_COUNT
};

/* The stored and displayed name of s ("pending", ...). */
const char *order_status_name(enum order_status s);

/* The status called name: 0, or -1 when no status has that name. */
int order_status_parse(const char *name, enum order_status *out);

/* 1 when an order in status s is settled: no worker touches it again. */
int order_status_final(enum order_status s);

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
	enum order_status status;
	long long total_cents;
	const char *customer_name;
	const char *customer_email;
	const char *token_hash;     /* SHA-256 hex of the access token */
	const char *failure_reason; /* NULL unless set */
	const char *created_at;
	const char *updated_at;
	long long branch_id;
	const char *branch_name;
	const char *branch_address;
	const char *pickup_at; /* ISO 8601, bakery time; NULL when none */
	struct order_item *items;
	int nitems;
	struct order_event *history;
	int nhistory;
	void *owned; /* the PGresult the strings point into */
};

/* The placement request, validated. */
struct order_new {
	const char *customer_name;
	const char *customer_email;
	const struct order_line *lines; /* distinct products, sorted by id */
	int nlines;
	const char *token;           /* order_token_new(); stored only hashed */
	const char *idempotency_key; /* NULL when none; stored only hashed */
	const char *request_hash;    /* SHA-256 fingerprint of the request */
	long long branch_id;           /* checked to exist by the caller */
	const char *pickup_at;         /* a slot start asked for; NULL = the next free one */
	const struct slot_rules *slots;
};

struct order_placed {
	long long id;
	long long total_cents;
	enum order_status status;
	char token[ORDER_TOKEN_LEN + 1]; /* the clear token, for the customer */
	int replayed;      /* 1: the idempotency key named an earlier order */
	int hash_mismatch; /* 1: ... placed by a different request (or one whose
			    * token cannot be given again: placed before keys
			    * derived tokens) */
	long long branch_id;
	char pickup_at[SLOT_TIME_LEN]; /* "" when placed without a slot */
};

/* The branch asked for (0 = the default one) into *branch, and the
 * lines' products into out[n] (same order as lines), with their stock at
 * that branch; products not found get id 0. LOOKUP_FOUND, LOOKUP_NONE
 * when there is no such branch (*branch 0), LOOKUP_ERROR (database
 * down). */
enum lookup order_products(struct db *db, long long asked, const struct order_line *lines, int n,
			   struct order_product *out, long long *branch);

/* The order an idempotency key already names: LOOKUP_FOUND (out filled,
 * with hash_mismatch set when request_hash differs; pickup_at in zone
 * tz), LOOKUP_NONE, or LOOKUP_ERROR (db down). */
enum lookup order_find_by_key(struct db *db, const char *key, const char *request_hash,
			      const char *tz, struct order_placed *out);

enum order_place_result {
	PLACE_DONE,      /* out filled: the new order, or the one the key names */
	PLACE_WITHDRAWN, /* a product was withdrawn since it was checked */
	PLACE_SLOT_FULL, /* the slot asked for has no place left */
	PLACE_SLOT_UNAVAILABLE, /* ... is not a bookable slot of the branch */
	PLACE_ERROR,     /* the database is down */
};

/* Books the pickup slot (the one asked for, else the next free one, else
 * none) and writes order, items and first history event, all in one
 * transaction; or, when the idempotency key was used meanwhile, reads that
 * order instead. */
enum order_place_result order_place(struct db *db, const struct order_new *req,
				    struct order_placed *out);

/* Records that the broker confirmed the messages of orders ids[0..n), of
 * those still pending (one a worker took is past the relay's concern). 0
 * or -1. */
int order_mark_queued(struct db *db, const long long *ids, int n);

/* Reads an order with items and history, its pickup time in zone tz:
 * LOOKUP_FOUND (release out with order_release()), LOOKUP_NONE, or
 * LOOKUP_ERROR (db down). */
enum lookup order_get(struct db *db, long long id, const char *tz, struct order *out);
void order_release(struct order *o);

/* Who changes a status. Each runs the move statement under a name of its
 * own, so the log line of a failure says whose it was. */
enum order_mover {
	MOVER_CUSTOMER,
	MOVER_WORKER,
	MOVER_COUNT
};

/* A status change. */
struct order_move {
	long long id;
	enum order_status from, to;
	const char *reason; /* of the history event; the failure_reason when to is failed */
	int add_attempts;   /* added to orders.attempts */
	enum order_mover by;
};

enum order_move_result {
	MOVE_DONE,      /* changed, with its history event */
	MOVE_UNKNOWN,   /* no such order */
	MOVE_ELSEWHERE, /* the order was not in status from (*now says where) */
	MOVE_ERROR,     /* the database is down or refused (logged) */
};

/* The one way a status changes after placement: the order row, only if in
 * status m->from, and its history event, in one statement, inside the
 * caller's transaction or as its own. Never retried on a new connection.
 * *now, when non-NULL, gets the status the order had (m->from when
 * MOVE_DONE; not set for MOVE_UNKNOWN or MOVE_ERROR); sqlstate, when non-NULL, the 5-character
 * SQLSTATE of a server error ("" otherwise). */
enum order_move_result order_move(struct db *db, const struct order_move *m,
				  enum order_status *now, char sqlstate[6]);

/* pending -> cancelled with a history event giving reason. */
enum order_move_result order_cancel(struct db *db, long long id, const char *reason,
				    enum order_status *now);

/* In a transaction, the order's products locked: puts a reserved order's
 * quantities back on its branch's stock. 0 or -1 (sqlstate as for
 * order_move). */
int order_restock(struct db *db, long long id, char sqlstate[6]);

/* The orders waiting for a worker. */
struct order_backlog {
	long long waiting;  /* orders still pending */
	long long oldest_s; /* age of the oldest pending one, whole seconds; 0 if none */
};

/* Reads the backlog in one cheap statement, which also serves as the health
 * check's PostgreSQL ping. 0, or -1 when the database does not answer. */
int order_backlog(struct db *db, struct order_backlog *out);

/* Orders per status, and how long the oldest in each has existed. */
struct order_census {
	long long count[ORDER_STATUS_COUNT];
	long long oldest_s[ORDER_STATUS_COUNT]; /* whole seconds; 0 when none */
};

/* Fills out in one statement (metrics). 0, or -1 when the database does
 * not answer. */
int order_census(struct db *db, struct order_census *out);

/* The access token of a new order, ORDER_TOKEN_LEN hex characters: 128
 * bits from the kernel's CSPRNG, or, for a request with an Idempotency-Key,
 * derived from the key and the request's fingerprint, so that a retry can
 * be told its token again although only the token's hash is stored (and
 * only a hash of the key). 0, or -1 when getrandom failed (logged). */
int order_token_new(const char *idempotency_key, const char *request_hash,
		    char out[ORDER_TOKEN_LEN + 1]);

/* 1 when the token a caller presented is the one whose hash is stored
 * (token_hash, SHA-256 hex), compared in constant time. */
int order_token_matches(const char *presented, const char *token_hash);

#endif
