/* database.h - what the binaries hold of PostgreSQL: an opaque handle per
 * connection, handed to the model modules (product.h, order.h, fulfil.h),
 * and what looking a row up can find. libpq, statements and transactions
 * stay inside lib/ (db.h is private to it): a PGresult never leaves lib. */
#ifndef BAKERY_DATABASE_H
#define BAKERY_DATABASE_H

struct db;

/* What looking up one row found. */
enum lookup {
	LOOKUP_FOUND,
	LOOKUP_NONE,  /* no such row */
	LOOKUP_ERROR, /* the database is down or refused (logged) */
};

/* Allocates a handle; does not connect yet: connections are opened after
 * fork, on first use. NULL when out of memory. Free with database_free(). */
struct db *database_new(const char *conninfo, const char *app_name, int timeout_ms);
void database_free(struct db *db);

/* Connects when not connected (at most once per retry interval). 0 or -1. */
int database_connect(struct db *db);

#endif
