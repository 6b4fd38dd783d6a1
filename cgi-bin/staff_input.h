/* staff_input.h - validation of staff product bodies (SPEC §6.2 limits):
 * pure functions of the request bytes, like order_input. */
#ifndef BAKERY_STAFF_INPUT_H
#define BAKERY_STAFF_INPUT_H

#include <stddef.h>

#include "backoffice.h"
#include "branch.h"
#include "order_input.h"

#define PRODUCT_NAME_MAX 100
#define PRODUCT_CATEGORY_MAX 50
#define PRODUCT_DESCRIPTION_MAX 1000
#define PRODUCT_PRICE_MAX_CENTS 10000000LL
#define PRODUCT_STOCK_MAX 1000000

/* A product body: {"name","description","category","price","stock","active",
 * "allergens","dietary"} (the last two arrays of names, see tags.h).
 * create: name, category, price and stock are required; otherwise any one
 * or more. Price is read from the number's own text, exactly: > 0, at most
 * two decimals. 0 with out filled (its strings point into *root, which the
 * caller deletes), or -1 with err filled (400 or 422 with the field). */
int staff_product_parse(const char *body, size_t len, int create, struct backoffice_product *out,
			struct cJSON **root, struct input_error *err);

/* A branch body: {"name","address","slot_capacity","opening_hours"};
 * create needs name and address. As staff_product_parse. */
int staff_branch_parse(const char *body, size_t len, int create, struct branch_edit *out,
		       struct cJSON **root, struct input_error *err);

/* {"stock": N}, a whole number 0..PRODUCT_STOCK_MAX. 0 or -1 (err). */
int staff_stock_parse(const char *body, size_t len, long long *stock, struct input_error *err);

/* Exact cents of a JSON number's text (e.g. "3.5", "350e-2"): 1 ok, 0 more
 * than two decimals, -1 negative or too large to be a price. */
int staff_price_cents(const char *s, size_t len, long long *out);

#endif
