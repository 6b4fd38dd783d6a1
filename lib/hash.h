/* hash.h - FNV-1a 64: a fast, stable fingerprint of bytes (the listing ETag,
 * which nobody gains by forging). Not a secure hash: never for secrets or
 * for telling requests apart (sha256.h does that). */
#ifndef BAKERY_HASH_H
#define BAKERY_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_INIT 1469598103934665603ULL /* the FNV-1a 64 offset basis */

/* Folds len bytes of data into h (HASH_FNV1A_INIT to start); returns the new
 * hash, so several pieces hash as their concatenation. */
uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len);

#endif
