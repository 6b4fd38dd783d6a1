/* branch.h - the bakery's branches in PostgreSQL (SPEC §10): their opening
 * hours and slot capacity, stock per branch, and the staff's changes to
 * them, each audited in its own transaction. Pickup slots are slot.h. */
#ifndef BAKERY_BRANCH_H
#define BAKERY_BRANCH_H

#include "database.h"

struct staff_session;

#define BRANCH_NAME_MAX 100    /* characters */
#define BRANCH_ADDRESS_MAX 300 /* characters */
#define BRANCH_CAPACITY_MAX 1000
#define BRANCH_DAYS 7 /* ISO weekdays: [0] Monday ... [6] Sunday */

/* One day's opening: open = 0 closed; else "HH:MM" to "HH:MM". */
struct branch_day {
	int open;
	char opens[6];
	char closes[6];
};

struct branch {
	long long id;
	char name[BRANCH_NAME_MAX * 4 + 1];
	char address[BRANCH_ADDRESS_MAX * 4 + 1];
	int slot_capacity; /* the branch's own, -1 = the configured default */
	int is_default;
	struct branch_day week[BRANCH_DAYS];
};

/* Every branch by id. *out is malloc'd (caller frees), *n its length.
 * 0 or -1 (db down). */
int branch_list(struct db *db, struct branch **out, int *n);

/* One branch; id 0 means the default one. */
enum lookup branch_get(struct db *db, long long id, struct branch *out);

/* Which fields of a branch create or edit apply. */
enum branch_field {
	BR_NAME = 1 << 0,
	BR_ADDRESS = 1 << 1,
	BR_CAPACITY = 1 << 2,
	BR_HOURS = 1 << 3,
};

/* A validated create or edit; hours apply to the days in days_set. */
struct branch_edit {
	unsigned set;
	const char *name;
	const char *address;
	int slot_capacity; /* -1 = back to the configured default */
	unsigned days_set; /* bit i = week[i] given */
	struct branch_day week[BRANCH_DAYS];
};

/* Creates a branch (closed every day unless hours are given). Its id, or
 * -1 when the database failed. */
long long branch_create(struct db *db, const struct staff_session *who,
			const struct branch_edit *e);

/* Applies e to branch id: LOOKUP_FOUND done, LOOKUP_NONE no such branch,
 * LOOKUP_ERROR. */
enum lookup branch_update(struct db *db, const struct staff_session *who, long long id,
			  const struct branch_edit *e);

struct branch_stock {
	long long product_id;
	char name[404];
	long long stock;
};

/* Every product's stock at branch id (0 where it has none), by product
 * name. *out malloc'd (caller frees). 0 or -1. */
int branch_stock_list(struct db *db, long long id, struct branch_stock **out, int *n);

/* Sets a product's stock at a branch, audited: LOOKUP_FOUND, LOOKUP_NONE
 * (no such branch or product), LOOKUP_ERROR. */
enum lookup branch_stock_set(struct db *db, const struct staff_session *who, long long branch,
			     long long product, long long stock);

#endif
