/* cache.h - the product listing and order caches in Redis. An optimisation only: every
 * failure here means "not cached", never an error for the caller. Keys are
 * built only in cache.c. */
#ifndef BAKERY_CACHE_H
#define BAKERY_CACHE_H

#include <stddef.h>

struct cache;

/* Parses url (redis://[:password@]host[:port][/db] or unix:/path); does not
 * connect yet. NULL on a malformed url (message in err). Free with
 * cache_free(). */
struct cache *cache_new(const char *url, int timeout_ms, char *err, size_t errlen);
void cache_free(struct cache *c);

/* 0 when Redis answers PING. */
int cache_ping(struct cache *c);

/* An epoch of what this process reads: while it returns the same nonzero
 * value, every value read from Redis since is still the value in Redis
 * (Redis tells of each change to a key read; this takes the messages with
 * one non-blocking recv). 0 when that cannot be told (not connected, or a
 * Redis without CLIENT TRACKING). */
unsigned cache_epoch(struct cache *c);

/* Asks for the invalidation messages cache_epoch() needs (a second
 * connection to Redis, from the next connect on): for a process that
 * serves many requests. Without it, cache_epoch() is always 0. */
void cache_track_reads(struct cache *c);

/* The cached listing for variant: a category ("" = all), or a field the
 * listing composes from all its query parameters. Returns 1 and a malloc'd copy
 * in *body (caller frees) on a hit, 0 on a miss, -1 when Redis is down. */
int cache_listing_get(struct cache *c, const char *category, char **body, size_t *len);

/* Takes the refill lock for variant for at most ttl_ms, so one process
 * refills an expired listing while the others wait for it: 1 when this
 * caller holds it, 0 when another does or the listing has been stored
 * since the caller's miss (read it again), -1 when Redis is down. *gen gets
 * the listing generation to hand to cache_listing_put(). */
int cache_listing_lock(struct cache *c, const char *category, int ttl_ms, long long *gen);

/* Stores a listing read after cache_listing_lock() returned gen, unless an
 * invalidation happened since (the listing would be stale), and releases
 * the lock. The whole listing set expires ttl seconds after its first entry
 * was stored. 0 or -1. */
int cache_listing_put(struct cache *c, const char *category, const char *body,
		      size_t len, int ttl, long long gen);

/* Releases the refill lock without storing anything (the listing is not
 * worth keeping: a category no product has). 0 or -1. */
int cache_listing_unlock(struct cache *c, const char *category);

/* Drops every cached listing at once and bumps the generation, so a refill
 * that read the database before the change cannot store it. Call after the
 * change committed. 0 or -1. */
int cache_listing_invalidate(struct cache *c);

/* One order's answers (GET /api/orders/{id}), one key per order, made
 * from PostgreSQL on a miss by one fill at a time; every writer of an
 * order drops its key after the commit (docs/design-decisions.md,
 * "Cache"). */

#define CACHE_MARK_LEN 48

/* The answers kept for order id: 1 and a malloc'd copy in *body (caller
 * frees), 0 on a miss, -1 when Redis is down. *gen gets the orders
 * generation to hand to cache_order_put(). */
int cache_order_get(struct cache *c, long long id, char **body, size_t *len, long long *gen);

/* Marks order id's key as being filled by this caller, mark naming the
 * fill: 1 when this caller fills it, 0 when another does, -1 down. Call
 * after a miss, before reading PostgreSQL. */
int cache_order_mark(struct cache *c, long long id, char mark[CACHE_MARK_LEN]);

/* Stores body for order id for ttl_ms, unless the key was invalidated
 * since it was marked or the orders generation is no longer gen (the body
 * may be stale then). 0 or -1. */
int cache_order_put(struct cache *c, long long id, const char *mark, long long gen,
		    const char *body, size_t len, int ttl_ms);

/* Drops what is kept for the orders ids[0..n), in one command, and waits
 * until every reader has been told. Call after the change committed, before
 * answering. A failure (Redis unreachable) is remembered: this process
 * bumps the orders generation when it next reaches Redis, which drops every
 * order kept. c may be NULL (nothing to do). 0 or -1. */
int cache_orders_invalidate(struct cache *c, const long long *ids, int n);

/* cache_orders_invalidate() without the wait: for a writer no answer
 * waits on (the worker, the relay), which saves a round trip; the readers
 * are told a moment later. */
int cache_orders_drop(struct cache *c, const long long *ids, int n);

/* Drops every order kept (a change every order of a branch shows: its
 * name or address), by bumping the orders generation; otherwise as
 * cache_orders_invalidate(). */
int cache_orders_invalidate_all(struct cache *c);

#endif
