/* store.h - the worker's view of the order model in PostgreSQL: every
 * statement the worker runs (SPEC §7.3), typed, with PGresult kept inside
 * store.c. Functions marked "in a transaction" expect the caller's
 * store_begin(). Every int function returns -1 on a database error, with
 * the SQLSTATE in store->sqlstate ("" when the connection was lost). */
#ifndef BAKERY_WORKER_STORE_H
#define BAKERY_WORKER_STORE_H

#include <stddef.h>

struct db;

struct store {
	struct db *db;
	char sqlstate[6]; /* of the last failed statement */
};

/* An order row as the worker needs it. */
struct store_order {
	char status[16];
	int attempts;
	char email[256];
};

void store_init(struct store *s, struct db *db);

int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* 0 when the database answers. */
int store_ping(struct store *s);

/* The worker's claim on an order for the whole job, across transactions:
 * a session advisory lock. 1 taken (*session says on which connection, see
 * db_session()), 0 another session holds it, -1. A lost connection drops
 * the claim with it. Advisory locks are re-entrant within a session, so a
 * worker never claims an order it already holds (it keeps a table of its
 * orders in flight). store_unclaim() drops the claim if that connection is
 * still the one open, and does nothing otherwise. */
int store_claim(struct store *s, long long id, unsigned *session);
void store_unclaim(struct store *s, long long id, unsigned session);

/* In a transaction: the order row, locked. 1 found, 0 unknown, -1. */
int store_lock_order(struct store *s, long long id, struct store_order *out);

/* In a transaction: locks the order's products in id order and takes all
 * of its quantities off stock, or none. 1 reserved; 0 not, with the reason
 * in why ("insufficient stock for ..."); -1. */
int store_reserve(struct store *s, long long id, char *why, size_t whylen);

/* In a transaction: puts a reserved order's quantities back on stock. */
int store_release(struct store *s, long long id);

/* In a transaction: status from -> to with its history event (reason), the
 * failure reason when to is "failed", and attempts raised by add_attempts.
 * 0, or -1 (also when the order was not in status from). */
int store_transition(struct store *s, long long id, const char *from, const char *to,
		     const char *reason, int add_attempts);

/* Outside a transaction, as one statement of its own: a paid order goes
 * processing -> completed with its history row. 1 done, 0 the order was
 * no longer processing (settled meanwhile), -1. */
int store_complete(struct store *s, long long id);

/* In a transaction: one more attempt at an order that stays in its status
 * (a resumed processing order). */
int store_count_attempt(struct store *s, long long id);

/* In a transaction: a dead-lettered order goes back to the relay: one more
 * attempt, not queued, touched so the stranded sweep waits again. */
int store_requeue(struct store *s, long long id);

/* In a transaction: up to max ids of orders for the relay, locked, skipping
 * rows another worker holds. Pending orders never confirmed as queued and
 * older than grace_s; or (stranded) processing orders untouched for
 * stale_s that no worker has claimed. Returns how many, or -1. */
int store_unqueued(struct store *s, int grace_s, long long *ids, int max);
int store_stranded(struct store *s, int stale_s, long long *ids, int max);

/* In a transaction: the relay published these: queued, touched. */
int store_mark_published(struct store *s, const long long *ids, int n);

#endif
