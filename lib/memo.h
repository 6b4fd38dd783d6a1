/* memo.h - a responder's own copies of answers read from Redis, kept while
 * cache_epoch() says they are still what Redis holds, so that a hit needs
 * no round trip to Redis (docs/design-decisions.md, "Cache"). Used by the
 * product listings and one product, and by one order. */
#ifndef BAKERY_MEMO_H
#define BAKERY_MEMO_H

#include <stddef.h>

/* Longest field memo_put() keeps (with its terminator). */
#define MEMO_FIELD_MAX 64

/* A malloc'd copy (NUL-terminated; caller frees) of the answer kept for
 * field in epoch, or NULL. epoch 0 (untracked) never matches. */
char *memo_get(const char *field, unsigned epoch, size_t *len);

/* Keeps body[0..len), read from Redis in epoch, for field; nothing for
 * epoch 0 or a longer field. */
void memo_put(const char *field, unsigned epoch, const char *body, size_t len);

#endif
