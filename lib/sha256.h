/* sha256.h - SHA-256 (FIPS 180-4), for hashing staff session tokens before
 * they are stored or looked up: a leaked table does not leak sessions. */
#ifndef BAKERY_SHA256_H
#define BAKERY_SHA256_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes the lowercase hex digest of data[0..len) and a NUL into out. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
