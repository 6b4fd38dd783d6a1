/* slot.h - pickup slots (SPEC §10): the bookable slots of a branch's day
 * and the bakers' view of a day, by slot. Slots are computed in
 * PostgreSQL (pickup_slots(), schema 004) from the opening hours in the
 * bakery's time zone, so a daylight-saving change is PostgreSQL's tz
 * database's business. Instants come back as ISO 8601 with the zone's
 * offset then in force. Placement books its slot inside its own statement
 * (slot_for_order(), schema 005, called by lib/order.c). */
#ifndef BAKERY_SLOT_H
#define BAKERY_SLOT_H

#include "database.h"

/* The configured rules (BAKERY_TZ, BAKERY_SLOT_*, BAKERY_LEAD_MINUTES,
 * BAKERY_BOOK_DAYS); borrowed. */
struct slot_rules {
	const char *tz;
	int minutes;  /* length of a slot */
	int capacity; /* orders per slot where the branch sets none */
	int lead;     /* minutes from now to the earliest bookable start */
	int days;     /* days after today a slot may be booked for */
};

#define SLOT_TIME_LEN 40

struct slot {
	char start[SLOT_TIME_LEN];
	char end[SLOT_TIME_LEN];
	int remaining;
};

/* The bookable slots of branch on date (YYYY-MM-DD, checked by the caller;
 * NULL = today, bakery time), full ones too. *out malloc'd (caller frees).
 * 0 or -1 (db down). */
int slot_list(struct db *db, const struct slot_rules *r, long long branch, const char *date,
	      struct slot **out, int *n);

/* The rules' numbers as statement parameters. */
struct slot_rule_texts {
	char minutes[12], capacity[12], lead[12], days[12];
};

void slot_rule_texts(const struct slot_rules *r, struct slot_rule_texts *t);

/* A line of a day at a branch: production (a product's quantity in a
 * slot: order fields unset) or pickups (one item of one order). Strings
 * point into the day's storage. */
struct slot_line {
	const char *start;
	const char *end;
	long long order_id;
	const char *status;
	const char *customer_name;
	long long total_cents;
	long long product_id;
	const char *name;
	long long quantity;
	int slot; /* 0-based rank of start among the day's slots, by time */
};

struct slot_day {
	char date[11]; /* the day, resolved */
	struct slot_line *lines;
	int n;
	void *owned;
};

/* Quantities per product and slot of branch's completed and collected
 * orders on date (NULL today), by product name then slot. 0 or -1. */
int slot_production(struct db *db, const struct slot_rules *r, long long branch,
		    const char *date, struct slot_day *out);

/* The items of branch's orders to be collected on date (NULL today) that
 * still hold their place, by slot, order and product. 0 or -1. */
int slot_pickups(struct db *db, const struct slot_rules *r, long long branch, const char *date,
		 struct slot_day *out);

void slot_day_release(struct slot_day *d);

#endif
