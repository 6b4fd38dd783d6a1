/* product.h - the product catalogue in PostgreSQL. */
#ifndef BAKERY_PRODUCT_H
#define BAKERY_PRODUCT_H

#include <stddef.h>

struct db;

struct product {
	long long id;
	char *name;
	char *description;
	char *category;
	long long price_cents;
	long long stock;
	int active;
};

struct product_list {
	struct product *items;
	size_t n;
	char *strings; /* one block holding every string the items point to */
};

/* Active products ordered by category then name; category "" means all.
 * Fills list (release with product_list_release). 0 or -1 (db down). */
int product_list_active(struct db *db, const char *category, struct product_list *list);

/* One product, active or not: 1 found (release with product_list_release on
 * the one-item list), 0 unknown, -1 db down. */
int product_get(struct db *db, long long id, struct product_list *list);

/* Every product, active or not, in the listing's order (staff). 0 or -1. */
int product_list_all(struct db *db, struct product_list *list);

void product_list_release(struct product_list *list);

#endif
