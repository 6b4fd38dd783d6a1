/* order_input.h - validation of order placement bodies (SPEC §6.1 limits).
 * Pure functions of the request bytes: no I/O, fuzzed by `make fuzz`. */
#ifndef BAKERY_ORDER_INPUT_H
#define BAKERY_ORDER_INPUT_H

#include <stddef.h>

#define ORDER_MAX_ITEMS 50
#define ORDER_MAX_QUANTITY 1000
#define ORDER_NAME_MAX 100   /* characters */
#define ORDER_EMAIL_MAX 254  /* bytes */

struct order_item_input {
	long long product_id;
	int quantity;
	int index; /* first position in the request's items */
};

struct order_input {
	char name[ORDER_NAME_MAX * 4 + 1];
	char email[ORDER_EMAIL_MAX + 1];
	struct order_item_input items[ORDER_MAX_ITEMS];
	int nitems; /* distinct products, duplicates merged, sorted by id */
	long long branch_id; /* 0 = none given */
	char pickup_at[32];  /* "" = none given; else order_instant_valid() */
};

/* Why a body was refused: HTTP status, machine code, the field to blame
 * ("" for the whole body) and a sentence for a human. */
struct input_error {
	int status;
	const char *code;
	char field[40];
	char message[160];
};

/* POST /api/orders: {"customer_name","customer_email","items":[...],
 * "branch_id"?, "pickup_at"?}.
 * 0 with out filled, or -1 with err filled. */
int order_input_parse(const char *body, size_t len, struct order_input *out,
		      struct input_error *err);

/* POST /api/order (seed 000): {"product_id", "quantity"?}; quantity defaults
 * to 1, numeric strings are accepted. Name and email are left empty. */
int order_input_parse_seed(const char *body, size_t len, struct order_input *out,
			   struct input_error *err);

/* Fills err (field NULL = the whole body) and returns -1, so a check can
 * end with `return input_fail(...)`. */
__attribute__((format(printf, 5, 6)))
int input_fail(struct input_error *err, int status, const char *code, const char *field,
	       const char *fmt, ...);

/* Parses body as exactly one JSON object (UTF-8, nothing after it): the
 * root (caller deletes), or NULL with err filled (400). */
struct cJSON *input_parse_object(const char *body, size_t len, struct input_error *err);

/* 1 when s is ISO 8601 date and time (seconds optional) with "Z" or an
 * offset "+HH:MM", naming a real day and time. */
int order_instant_valid(const char *s);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int utf8_valid(const char *s, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t utf8_length(const char *s);

/* A plausible email address: local@domain.tld, no spaces or controls. */
int email_plausible(const char *s);

#endif
