/* cache.c - Redis connection and the product listing keys.
 *
 * All listings live in one hash (field = category, "*" for all, or a
 * field naming a query or a product), so one DEL invalidates every
 * variant. A dead Redis is retried at most once per second: between
 * attempts callers get "down" at no cost.
 *
 * The connection reads with server-assisted client-side caching (CLIENT
 * TRACKING, RESP2 redirect mode): Redis sends a message on a second
 * connection, subscribed to __redis__:invalidate, when a key this one read
 * changes. cache_epoch() tells the caller whether anything it read since
 * may have changed, at the cost of one non-blocking recv. */
#include "cache.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"
#include "redis_url.h"

#define CACHE_RETRY_INTERVAL_MS 1000
#define LISTING_KEY "bakery:products:v1"
#define LOCK_PREFIX "bakery:products:v1:lock:"
#define GEN_KEY "bakery:products:v1:gen"
/* The prefix and a category of 50 characters of up to 4 bytes each. */
#define LOCK_KEY_MAX (sizeof(LOCK_PREFIX) + 200)

/* Store only if no invalidation happened since the refill began; then drop
 * the refill lock. KEYS: listing, generation, lock. ARGV: field, body, ttl,
 * generation seen. */
static const char put_script[] =
	"if (redis.call('GET', KEYS[2]) or '0') == ARGV[4] then"
	" redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])"
	" redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX') end"
	" redis.call('DEL', KEYS[3]) return 1";

struct cache {
	redisContext *ctx;
	redisContext *sub;  /* the invalidation messages of what ctx read; NULL: not tracking */
	unsigned epoch;     /* bumped whenever what ctx read may have changed */
	struct redis_url url;
	int timeout_ms;
	struct clock_gate reconnect;
};

struct cache *cache_new(const char *url, int timeout_ms, char *err, size_t errlen)
{
	struct cache *c = calloc(1, sizeof(*c));
	char why[160];

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (redis_url_parse(url, &c->url, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "REDIS_URL %s", why);
		free(c);
		return NULL;
	}
	c->timeout_ms = timeout_ms;
	c->reconnect = CLOCK_GATE(CACHE_RETRY_INTERVAL_MS);
	c->epoch = 1;
	return c;
}

static void untrack(struct cache *c)
{
	if (c->sub)
		redisFree(c->sub);
	c->sub = NULL;
	c->epoch++;
}

void cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	untrack(c);
	if (c->ctx)
		redisFree(c->ctx);
	free(c);
}

static void cache_drop(struct cache *c, const char *why)
{
	log_warn("redis unavailable: %s", why);
	untrack(c);
	redisFree(c->ctx);
	c->ctx = NULL;
}

/* Runs one command on a connected context; drops it on an I/O error. */
static redisReply *cache_command(struct cache *c, int argc, const char **argv, const size_t *lens)
{
	redisReply *r = redisCommandArgv(c->ctx, argc, argv, lens);

	if (r == NULL) {
		cache_drop(c, c->ctx->errstr);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		log_error("redis %s: %s", argv[0], r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* One command of the connection's set-up: 0 when the reply is of type
 * want (0: any but an error). */
static int setup_command(redisContext *ctx, int want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int setup_command(redisContext *ctx, int want, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;
	int ok;

	va_start(ap, fmt);
	r = redisvCommand(ctx, fmt, ap);
	va_end(ap);
	ok = r && r->type != REDIS_REPLY_ERROR && (want == 0 || r->type == want);
	if (!ok)
		log_warn("redis set-up: %s", r == NULL ? ctx->errstr
				    : r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	freeReplyObject(r);
	return ok ? 0 : -1;
}

/* A new connection, authenticated and on the url's database; NULL when
 * Redis does not answer. */
static redisContext *cache_open(struct cache *c)
{
	struct timeval tv = clock_timeval(c->timeout_ms);
	redisContext *ctx = c->url.path[0] ? redisConnectUnixWithTimeout(c->url.path, tv)
					   : redisConnectWithTimeout(c->url.host, c->url.port, tv);

	if (ctx == NULL || ctx->err) {
		log_warn("redis unavailable: %s", ctx ? ctx->errstr : "out of memory");
		if (ctx)
			redisFree(ctx);
		return NULL;
	}
	if (redisSetTimeout(ctx, tv) != REDIS_OK) {
		log_warn("redis unavailable: cannot set timeout");
		redisFree(ctx);
		return NULL;
	}
	if ((c->url.password[0] && setup_command(ctx, 0, "AUTH %s", c->url.password) < 0) ||
	    (c->url.db && setup_command(ctx, 0, "SELECT %d", c->url.db) < 0)) {
		redisFree(ctx);
		return NULL;
	}
	return ctx;
}

/* Subscribes a second connection to the invalidation messages and turns
 * tracking on for ctx. Without it (an older Redis) ctx works untracked. */
static void track(struct cache *c)
{
	redisReply *id;

	c->sub = cache_open(c);
	if (c->sub == NULL)
		return;
	id = redisCommand(c->sub, "CLIENT ID");
	if (id == NULL || id->type != REDIS_REPLY_INTEGER ||
	    setup_command(c->sub, REDIS_REPLY_ARRAY, "SUBSCRIBE __redis__:invalidate") < 0 ||
	    setup_command(c->ctx, REDIS_REPLY_STATUS, "CLIENT TRACKING on REDIRECT %lld",
			  id->integer) < 0) {
		freeReplyObject(id);
		untrack(c);
		return;
	}
	freeReplyObject(id);
}

static int cache_connect(struct cache *c)
{
	if (c->ctx)
		return 0;
	if (!clock_gate_pass(&c->reconnect))
		return -1;
	c->ctx = cache_open(c);
	if (c->ctx == NULL)
		return -1;
	untrack(c);
	track(c);
	return 0;
}

unsigned cache_epoch(struct cache *c)
{
	char buf[512];
	ssize_t n;

	if (c->sub == NULL)
		return 0;
	/* Any message is an invalidation: the only subscription. */
	while ((n = recv(c->sub->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		c->epoch++;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return c->epoch;
	if (n < 0 && errno == EINTR)
		return 0;
	/* The messages can no longer come: nothing read can be trusted. */
	cache_drop(c, n == 0 ? "invalidation connection closed" : strerror(errno));
	return 0;
}

/* Connects if needed and runs one command. NULL when Redis is down. */
static redisReply *cache_run(struct cache *c, int argc, const char **argv, const size_t *lens)
{
	if (cache_connect(c) < 0)
		return NULL;
	return cache_command(c, argc, argv, lens);
}

int cache_ping(struct cache *c)
{
	const char *argv[] = { "PING" };
	redisReply *r = cache_run(c, 1, argv, NULL);
	int ok = r && r->type == REDIS_REPLY_STATUS;

	freeReplyObject(r);
	return ok ? 0 : -1;
}

static const char *field_of(const char *category)
{
	return category[0] ? category : "*";
}

int cache_listing_get(struct cache *c, const char *category, char **body, size_t *len)
{
	const char *argv[] = { "HGET", LISTING_KEY, field_of(category) };
	redisReply *r = cache_run(c, 3, argv, NULL);
	int rc = 0;

	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		*body = malloc(r->len + 1);
		if (*body == NULL) {
			rc = -1;
		} else {
			memcpy(*body, r->str, r->len);
			(*body)[r->len] = '\0';
			*len = r->len;
			rc = 1;
		}
	}
	freeReplyObject(r);
	return rc;
}

static void lock_key(char *key, size_t len, const char *category)
{
	snprintf(key, len, LOCK_PREFIX "%s", field_of(category));
}

int cache_listing_lock(struct cache *c, const char *category, int ttl_ms, long long *gen)
{
	char key[LOCK_KEY_MAX], ms[16];
	const char *set[] = { "SET", key, "1", "NX", "PX", ms };
	const char *get[] = { "GET", GEN_KEY };
	redisReply *r;
	int held;

	lock_key(key, sizeof(key), category);
	snprintf(ms, sizeof(ms), "%d", ttl_ms);
	r = cache_run(c, 2, get, NULL);
	if (r == NULL)
		return -1;
	*gen = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	r = cache_run(c, 6, set, NULL);
	if (r == NULL)
		return -1;
	held = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	return held;
}

int cache_listing_put(struct cache *c, const char *category, const char *body,
		      size_t len, int ttl, long long gen)
{
	const char *field = field_of(category);
	char key[LOCK_KEY_MAX], ttl_s[16], gen_s[24];
	const char *argv[] = { "EVAL", put_script, "3", LISTING_KEY, GEN_KEY, key,
			       field, body, ttl_s, gen_s };
	size_t lens[10];
	redisReply *r;

	lock_key(key, sizeof(key), category);
	snprintf(ttl_s, sizeof(ttl_s), "%d", ttl);
	snprintf(gen_s, sizeof(gen_s), "%lld", gen);
	for (int i = 0; i < 10; i++)
		lens[i] = strlen(argv[i]);
	lens[7] = len;
	r = cache_run(c, 10, argv, lens);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int cache_listing_unlock(struct cache *c, const char *category)
{
	char key[LOCK_KEY_MAX];
	const char *del[] = { "DEL", key };
	redisReply *r;

	lock_key(key, sizeof(key), category);
	r = cache_run(c, 2, del, NULL);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int cache_listing_invalidate(struct cache *c)
{
	const char *incr[] = { "INCR", GEN_KEY };
	const char *del[] = { "DEL", LISTING_KEY };
	const char *ping[] = { "PING" };
	redisReply *r = cache_run(c, 2, incr, NULL);

	c->epoch++;
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	r = cache_run(c, 2, del, NULL);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	/* Redis sends the invalidation messages of the DEL at the latest when
	 * its event loop turns, before it reads this: once answered, they are
	 * with every process that read the listings. */
	r = cache_run(c, 1, ping, NULL);
	freeReplyObject(r);
	return 0;
}
