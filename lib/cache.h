/* cache.h - the product listing cache in Redis. An optimisation only: every
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

/* The cached listing for variant: a category ("" = all), or a field the
 * listing composes from all its query parameters. Returns 1 and a malloc'd copy
 * in *body (caller frees) on a hit, 0 on a miss, -1 when Redis is down. */
int cache_listing_get(struct cache *c, const char *category, char **body, size_t *len);

/* Takes the refill lock for variant for at most ttl_ms, so one process
 * refills an expired listing while the others wait for it: 1 when this
 * caller holds it, 0 when another does, -1 when Redis is down. *gen gets
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

#endif
