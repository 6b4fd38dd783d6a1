/* product.h - the product catalogue in PostgreSQL. */
#ifndef BAKERY_PRODUCT_H
#define BAKERY_PRODUCT_H

#include <stddef.h>

#include "database.h"

struct product {
	long long id;
	char *name;
	char *description;
	char *category;
	long long price_cents;
	long long stock;
	int active;
	char *allergens; /* "gluten,milk", sorted; "" none */
	char *dietary;   /* "vegan,vegetarian", sorted; "" none */
};

struct product_list {
	struct product *items;
	size_t n;
	char *strings; /* one block holding every string the items point to */
};

/* What a listing shows. */
struct product_filter {
	int inactive_too;          /* staff: withdrawn products as well */
	const char *category;      /* "" = every category */
	long long branch;          /* whose stock; 0 = the default branch's */
	const char *allergen_free; /* array literal "{gluten,nuts}": none of these; NULL = any */
	const char *dietary;       /* array literal "{vegan}": all of these; NULL = any */
};

/* Products matching f ordered by category, name, id, with the branch's
 * stock (0 where it has none). Fills list (release with
 * product_list_release). 0 or -1 (db down). */
int product_list(struct db *db, const struct product_filter *f, struct product_list *list);

/* One product, active or not, with its stock at branch (0 = the default
 * branch): LOOKUP_FOUND (a one-item list, to release with
 * product_list_release), LOOKUP_NONE, or LOOKUP_ERROR (db down). */
enum lookup product_get(struct db *db, long long id, long long branch, struct product_list *list);

void product_list_release(struct product_list *list);

#endif
