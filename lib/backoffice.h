/* backoffice.h - what staff do to products and orders (SPEC §6.2): product
 * create and edit, order list, cancel and refund, the daily summary. Every
 * change writes its audit entry (who, what, before, after) in the same
 * statement or transaction as the change itself. */
#ifndef BAKERY_BACKOFFICE_H
#define BAKERY_BACKOFFICE_H

#include "order.h"

struct db;
struct staff_session;

/* Which fields of a product edit are given. */
enum backoffice_field {
	BO_NAME = 1 << 0,
	BO_DESCRIPTION = 1 << 1,
	BO_CATEGORY = 1 << 2,
	BO_PRICE = 1 << 3,
	BO_STOCK = 1 << 4,
	BO_ACTIVE = 1 << 5,
	BO_ALLERGENS = 1 << 6,
	BO_DIETARY = 1 << 7,
};

/* A validated product create or edit; only the fields in set apply. */
struct backoffice_product {
	unsigned set;
	const char *name;
	const char *description;
	const char *category;
	long long price_cents;
	long long stock;
	int active;
	char allergens[64]; /* array literal "{gluten,milk}", names checked */
	char dietary[32];   /* array literal "{vegan}" */
};

/* Creates a product (description "" and active true unless set). Returns
 * its id, or -1 when the database failed. */
long long backoffice_product_create(struct db *db, const struct staff_session *who,
				    const struct backoffice_product *p);

/* Applies the set fields to product id: LOOKUP_FOUND (done), LOOKUP_NONE
 * (unknown product) or LOOKUP_ERROR. */
enum lookup backoffice_product_update(struct db *db, const struct staff_session *who, long long id,
			      const struct backoffice_product *p);

/* pending -> cancelled; completed -> refunded with its stock restored.
 * MOVE_DONE, MOVE_UNKNOWN, MOVE_ELSEWHERE (not in the state the change
 * needs; its status copied to status_out) or MOVE_ERROR. Of concurrent
 * refunds exactly one wins. */
enum order_move_result backoffice_order_cancel(struct db *db, const struct staff_session *who, long long id,
			    char status_out[16]);
enum order_move_result backoffice_order_refund(struct db *db, const struct staff_session *who, long long id,
			    char status_out[16]);

/* completed -> collected (final), at the counter; as cancel. */
enum order_move_result backoffice_order_collect(struct db *db, const struct staff_session *who,
						long long id, char status_out[16]);

/* The staff order list's filters; NULL means "any". Dates YYYY-MM-DD (UTC
 * days, both inclusive), checked by the caller. */
struct backoffice_filter {
	const char *status;
	const char *from;
	const char *to;
	const char *email; /* a part of the address, any case */
	long long after;   /* keyset cursor: ids below this one; 0 = newest */
	int limit;
	const char *tz;    /* pickup times are shown in this zone */
};

struct backoffice_order {
	long long id;
	const char *status;
	long long total_cents;
	const char *customer_name;
	const char *customer_email;
	const char *created_at;
	const char *updated_at;
	long long branch_id;
	const char *pickup_at; /* NULL when none */
};

/* Strings point into storage the page owns: release with
 * backoffice_page_release(). */
struct backoffice_page {
	struct backoffice_order *items;
	int n;
	void *owned;
};

/* Orders matching f, newest (highest id) first. 0 or -1. */
int backoffice_orders(struct db *db, const struct backoffice_filter *f, struct backoffice_page *out);
void backoffice_page_release(struct backoffice_page *page);

struct backoffice_day {
	const char *date;
	long long orders;
	long long revenue_cents;
};

struct backoffice_top {
	long long product_id;
	const char *name;
	long long quantity;
	long long revenue_cents;
};

struct backoffice_summary {
	struct backoffice_day *days;
	int ndays;
	struct backoffice_top *top;
	int ntop;
	void *owned[2];
};

/* Completed orders per UTC day from..to (both YYYY-MM-DD, inclusive; every
 * day listed, with zeros), and the best-selling products of the range by
 * revenue. 0 or -1; release with backoffice_summary_release(). */
int backoffice_summary(struct db *db, const char *from, const char *to,
		       struct backoffice_summary *out);
void backoffice_summary_release(struct backoffice_summary *s);

#endif
