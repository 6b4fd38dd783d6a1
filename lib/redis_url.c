/* redis_url.c - REDIS_URL read the one way both the start-up check and the
 * cache connection need: redis://[[user]:pass@]host[:port][/db] or
 * unix:/path, digits only where a number goes. */
#include "redis_url.h"

#include <stdio.h>
#include <string.h>

#define REDIS_URL_FORM "redis://[:pass@]host[:port][/db] or unix:/path"

static int refuse(char *why, size_t whylen, const char *what)
{
	snprintf(why, whylen, "%s; expected " REDIS_URL_FORM, what);
	return -1;
}

/* Reads the decimal number at *s (digits only, no sign or blank) into *out
 * and moves *s past it; -1 when there is none or it is outside min..max. */
static int read_number(const char **s, long min, long max, long *out)
{
	const char *p = *s;
	long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*s = p;
	*out = v;
	return 0;
}

/* user:pass@ or pass@ before the host: the password is what follows the
 * first colon, or all of it when there is none (as redis-cli -u reads it). */
static int read_password(struct redis_url *u, const char *userinfo, const char *at)
{
	const char *colon = memchr(userinfo, ':', (size_t)(at - userinfo));
	const char *pw = colon ? colon + 1 : userinfo;

	if ((size_t)(at - pw) >= sizeof(u->password))
		return -1;
	memcpy(u->password, pw, (size_t)(at - pw));
	u->password[at - pw] = '\0';
	return 0;
}

static int parse_tcp(struct redis_url *u, const char *rest, char *why, size_t whylen)
{
	const char *at = strrchr(rest, '@');
	const char *host = at ? at + 1 : rest;
	size_t hlen = strcspn(host, ":/");
	const char *p = host + hlen;
	long n;

	if (at && read_password(u, rest, at) < 0)
		return refuse(why, whylen, "has a password longer than 127 bytes");
	if (hlen == 0 || hlen >= sizeof(u->host))
		return refuse(why, whylen, "has no host, or one too long");
	memcpy(u->host, host, hlen);
	u->host[hlen] = '\0';
	if (*p == ':') {
		p++;
		if (read_number(&p, 1, 65535, &n) < 0)
			return refuse(why, whylen, "has a bad port (1-65535)");
		u->port = (int)n;
	}
	if (*p == '/' && p[1]) {
		p++;
		if (read_number(&p, 0, 255, &n) < 0 || *p)
			return refuse(why, whylen, "has a bad database number (0-255)");
		u->db = (int)n;
	} else if (*p && strcmp(p, "/") != 0) {
		return refuse(why, whylen, "has more after the host");
	}
	return 0;
}

int redis_url_parse(const char *url, struct redis_url *u, char *why, size_t whylen)
{
	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(url, "unix:", 5) == 0) {
		if (url[5] == '\0' || strlen(url + 5) >= sizeof(u->path))
			return refuse(why, whylen, "has no socket path, or one too long");
		snprintf(u->path, sizeof(u->path), "%s", url + 5);
		return 0;
	}
	if (strncmp(url, "redis://", 8) == 0)
		return parse_tcp(u, url + 8, why, whylen);
	return refuse(why, whylen, "starts with neither redis:// nor unix:");
}
