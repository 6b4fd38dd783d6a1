/* redis_url.h - the grammar of REDIS_URL, in one place. */
#ifndef BAKERY_REDIS_URL_H
#define BAKERY_REDIS_URL_H

#include <stddef.h>

struct redis_url {
	char path[256];     /* unix socket; "" for TCP */
	char host[256];
	char password[128]; /* "" = none */
	int port;           /* 6379 unless given */
	int db;             /* 0 unless given */
};

/* Parses redis://[[user]:pass@]host[:port][/db] or unix:/path into *u.
 * On a malformed url writes why it is refused to why (a phrase to follow the
 * variable's name; it never quotes the url, which may hold a password) and
 * returns -1. */
int redis_url_parse(const char *url, struct redis_url *u, char *why, size_t whylen);

#endif
