/* fulfil.h - what the worker does to orders in PostgreSQL (SPEC §7.3,
 * §7.5): claim an order, lock it, reserve or return its stock, change its
 * status, and what the relay selects to publish again. Typed, with
 * PGresult kept inside lib/; status changes are order_move() (order.h).
 * Functions marked "in a transaction" expect the caller's fulfil_begin().
 * Every int function returns -1 on a database error, with the SQLSTATE in
 * f->sqlstate ("" when the connection was lost). */
#ifndef BAKERY_FULFIL_H
#define BAKERY_FULFIL_H

#include <stddef.h>

#include "database.h"
#include "order.h"

struct pg_result;

/* The worker's statements on one connection (borrowed). */
struct fulfil {
	struct db *db;
	char sqlstate[6]; /* of the last failed statement */
	struct pg_result *locked; /* fulfil_open's product rows, for fulfil_reserve */
};

/* An order row as the worker needs it. */
struct fulfil_order {
	enum order_status status;
	int attempts;
	char email[256];
};

void fulfil_init(struct fulfil *f, struct db *db);

int fulfil_begin(struct fulfil *f);
int fulfil_commit(struct fulfil *f);
void fulfil_rollback(struct fulfil *f);

/* 0 when the database answers. */
int fulfil_ping(struct fulfil *f);

enum claim_result {
	CLAIM_TAKEN, /* *session says on which connection (see fulfil_unclaim) */
	CLAIM_HELD,  /* another session holds it */
	CLAIM_ERROR,
};

/* The worker's claim on an order for the whole job, across transactions:
 * a session advisory lock. A lost connection drops the claim with it.
 * Advisory locks are re-entrant within a session, so a worker never claims
 * an order it already holds (it keeps a table of its orders in flight).
 * fulfil_unclaim() drops the claim if that connection is still the one
 * open, and does nothing otherwise. */
enum claim_result fulfil_claim(struct fulfil *f, long long id, unsigned *session);
void fulfil_unclaim(struct fulfil *f, long long id, unsigned session);

enum open_result {
	OPEN_FOUND, /* the transaction is open, the order and its products locked */
	OPEN_NONE,  /* no such order (rolled back) */
	OPEN_HELD,  /* another session holds the claim (rolled back) */
	OPEN_ERROR, /* sqlstate set; the caller rolls back */
};

/* A job's first transaction opened in one round trip: BEGIN, the claim
 * (as fulfil_claim), the order row locked (as fulfil_lock_order, into
 * *out) and its products locked in id order (kept for fulfil_reserve).
 * *session says on which connection the claim is held, also after
 * OPEN_NONE or OPEN_ERROR (the caller drops it with fulfil_unclaim); 0
 * when none is. A connection found lost is replaced and the round trip
 * made once more: nothing of it can have happened. */
enum open_result fulfil_open(struct fulfil *f, long long id, unsigned *session,
			     struct fulfil_order *out);

/* The most orders fulfil_open_many() takes at once. */
#define FULFIL_BATCH_MAX 16

/* One order of a batch's first transaction. */
struct fulfil_opened {
	long long id;              /* set by the caller */
	unsigned session;          /* the claim's connection, 0 none (as fulfil_open's) */
	enum open_result found;    /* OPEN_FOUND, OPEN_NONE or OPEN_HELD */
	struct fulfil_order order; /* when OPEN_FOUND */
};

/* fulfil_open() for the distinct orders o[0..n) (n <= FULFIL_BATCH_MAX)
 * at once, in one round trip: BEGIN, their claims, their rows locked in id
 * order, then the products of those pending locked in id order (kept for
 * fulfil_reserve_many). 0 with the transaction open; -1 with sqlstate set:
 * the caller rolls back and drops the claims taken (the sessions set) with
 * fulfil_unclaim_many(). */
int fulfil_open_many(struct fulfil *f, struct fulfil_opened *o, int n);

/* In fulfil_open_many()'s transaction: reserves the pending orders
 * ids[0..n) of the batch, in that order, as far as the locked stock goes.
 * Each one it covers (reserved[i] = 1) has its quantities taken off stock
 * and goes pending -> processing with its history event (reason) and one
 * more attempt, all in one round trip; one it does not cover
 * (reserved[i] = 0) is left as it is, for fulfil_reserve() on its own:
 * failing it frees its pickup slot, and a transaction freeing several
 * slots out of their order could deadlock with a placement walking them.
 * 0, or -1: the caller rolls back. */
int fulfil_reserve_many(struct fulfil *f, const long long *ids, int n, const char *reason,
			int *reserved);

/* Drops the claims of ids[0..n) (n <= FULFIL_BATCH_MAX) this connection
 * holds (sessions[i], as fulfil_claim gave them) in one statement, and
 * zeroes their sessions[i]. */
void fulfil_unclaim_many(struct fulfil *f, const long long *ids, unsigned *sessions, int n);

/* In a transaction: the order row, locked. LOOKUP_ERROR sets sqlstate. */
enum lookup fulfil_lock_order(struct fulfil *f, long long id, struct fulfil_order *out);

enum reserve_result {
	RESERVE_DONE,  /* every quantity taken off stock */
	RESERVE_SHORT, /* none taken; the reason is in why */
	RESERVE_ERROR,
};

/* In a transaction, the pending order locked: locks its products in id
 * order (unless fulfil_open did) and takes all of its quantities off stock
 * and moves it pending -> processing with its history event (reason) and
 * one more attempt, in one round trip; or reserves none and moves nothing,
 * saying why ("insufficient stock for ...") in why. */
enum reserve_result fulfil_reserve(struct fulfil *f, long long id, const char *reason, char *why,
				   size_t whylen);

/* In a transaction: puts a reserved order's quantities back on stock. */
int fulfil_return_stock(struct fulfil *f, long long id);

/* In a transaction: status from -> to with its history event (reason), the
 * failure reason when to is failed, and attempts raised by add_attempts.
 * 0, or -1 (also when the order was not in status from). */
int fulfil_move(struct fulfil *f, long long id, enum order_status from, enum order_status to,
		const char *reason, int add_attempts);

/* Outside a transaction, as one of its own: a paid order goes
 * processing -> completed with its history event (reason), and the claim
 * (*session, as fulfil_claim gave it) is dropped with it in the same round
 * trip if this connection holds it (*session is then 0). MOVE_DONE;
 * MOVE_ELSEWHERE or MOVE_UNKNOWN when it was settled (or deleted)
 * meanwhile; MOVE_ERROR (the claim kept). */
enum order_move_result fulfil_complete(struct fulfil *f, long long id, const char *reason,
				      unsigned *session);

/* fulfil_complete() for paid orders ids[0..n) at once, in one statement
 * and one round trip: done[i] = 1 for those that moved (0: settled or
 * deleted meanwhile); the claims this connection holds (sessions[i]) are
 * dropped with them and sessions[i] zeroed. 0, or -1 with nothing changed
 * and the claims kept. */
int fulfil_complete_many(struct fulfil *f, const long long *ids, unsigned *sessions, int n,
			 const char *reason, int *done);

/* In a transaction: one more attempt at an order that stays in its status
 * (a resumed processing order). */
int fulfil_count_attempt(struct fulfil *f, long long id);

/* In a transaction: a dead-lettered order goes back to the relay: one more
 * attempt, not queued, touched so the stranded sweep waits again. */
int fulfil_requeue(struct fulfil *f, long long id);

/* In a transaction: up to max ids of orders for the relay, locked, skipping
 * rows another worker holds. Pending orders never confirmed as queued and
 * older than grace_s; or (stranded) processing orders untouched for
 * stale_s that no worker has claimed. Returns how many, or -1. */
int fulfil_unqueued(struct fulfil *f, int grace_s, long long *ids, int max);
int fulfil_stranded(struct fulfil *f, int stale_s, long long *ids, int max);

/* In a transaction: the relay published these: queued, touched. */
int fulfil_mark_published(struct fulfil *f, const long long *ids, int n);

#endif
