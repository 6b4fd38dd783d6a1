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
#include <unistd.h>

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
/* One order's answers: ORDER_PREFIX and the id; a fill's mark starts with
 * '~', an entry with the orders generation it was made in and ':'. */
#define ORDER_PREFIX "bakery:order:v1:"
#define ORDER_GEN_KEY "bakery:order:v1:gen"
#define ORDER_KEY_MAX (sizeof(ORDER_PREFIX) + 24)
#define ORDER_MARK_MS 2000 /* longest a fill may take before another may */

/* Store only if no invalidation happened since the refill began; then drop
 * the refill lock. KEYS: listing, generation, lock. ARGV: field, body, ttl,
 * generation seen. */
static const char put_script[] =
	"if (redis.call('GET', KEYS[2]) or '0') == ARGV[4] then"
	" redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])"
	" redis.call('EXPIRE', KEYS[1], ARGV[3], 'NX') end"
	" redis.call('DEL', KEYS[3]) return 1";

/* Takes a listing's refill lock, unless the listing was stored since the
 * caller found it missing (a refill that ended in between: no second one).
 * KEYS: listing, lock. ARGV: field, ttl ms. 1 when taken, 0 when not. */
static const char lock_script[] =
	"if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end"
	" if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end"
	" return 0";

/* Marks an order's key as being filled, unless another fill has marked it.
 * KEYS: entry. ARGV: mark, ttl ms. */
static const char order_mark_script[] =
	"local v = redis.call('GET', KEYS[1])"
	" if v and string.sub(v, 1, 1) == '~' then return 0 end"
	" redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1";

/* Stores an order's answers only if its key still holds this fill's mark
 * (an invalidation deletes it) and the orders generation is the one seen
 * before PostgreSQL was read. KEYS: entry, generation. ARGV: mark, body,
 * ttl ms, generation seen. */
static const char order_put_script[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] and"
	" (redis.call('GET', KEYS[2]) or '0') == ARGV[4] then"
	" redis.call('SET', KEYS[1], ARGV[4] .. ':' .. ARGV[2], 'PX', ARGV[3]) return 1 end"
	" return 0";

struct cache {
	redisContext *ctx;
	redisContext *sub;  /* the invalidation messages of what ctx read; NULL: not tracking */
	int tracking;       /* cache_track_reads() was called */
	int orders_owed;    /* an order invalidation failed: bump the orders generation */
	unsigned marks;     /* fills marked by this process */
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
	if (c->tracking)
		track(c);
	return 0;
}

void cache_track_reads(struct cache *c)
{
	c->tracking = 1;
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

/* A process that could not invalidate an order (Redis down, or gone
 * between its commit and the DEL) bumps the orders generation as soon as it
 * reaches Redis again: every order kept before is then a miss. */
static int settle_orders(struct cache *c)
{
	const char *incr[] = { "INCR", ORDER_GEN_KEY };
	redisReply *r = cache_command(c, 2, incr, NULL);

	if (r == NULL)
		return -1;
	freeReplyObject(r);
	c->orders_owed = 0;
	log_info("redis reached again: orders kept before dropped (generation bumped)");
	return 0;
}

/* Connects if needed and runs one command. NULL when Redis is down. */
static redisReply *cache_run(struct cache *c, int argc, const char **argv, const size_t *lens)
{
	if (cache_connect(c) < 0)
		return NULL;
	if (c->orders_owed && settle_orders(c) < 0)
		return NULL;
	return cache_command(c, argc, argv, lens);
}

#define STORE_ARGS_MAX 10

/* cache_run() of a store: every argument a string but argv[body_at], the
 * body's len bytes; 0, or -1 when Redis is down. */
static int cache_store(struct cache *c, int argc, const char **argv, int body_at, size_t len)
{
	size_t lens[STORE_ARGS_MAX];
	redisReply *r;

	for (int i = 0; i < argc && i < STORE_ARGS_MAX; i++)
		lens[i] = strlen(argv[i]);
	lens[body_at] = len;
	r = cache_run(c, argc, argv, lens);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
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
	const char *lock[] = { "EVAL", lock_script, "2", LISTING_KEY, key, field_of(category), ms };
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
	r = cache_run(c, 7, lock, NULL);
	if (r == NULL)
		return -1;
	held = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
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

	lock_key(key, sizeof(key), category);
	snprintf(ttl_s, sizeof(ttl_s), "%d", ttl);
	snprintf(gen_s, sizeof(gen_s), "%lld", gen);
	return cache_store(c, 10, argv, 7, len);
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

/* After a write the readers must see at once: Redis sends the invalidation
 * messages of the write at the latest when its event loop turns, before it
 * reads this; once answered, they are with every process that read the key. */
static void cache_flush_messages(struct cache *c)
{
	const char *ping[] = { "PING" };

	freeReplyObject(cache_run(c, 1, ping, NULL));
}

int cache_listing_invalidate(struct cache *c)
{
	const char *incr[] = { "INCR", GEN_KEY };
	const char *del[] = { "DEL", LISTING_KEY };
	redisReply *r = cache_run(c, 2, incr, NULL);

	c->epoch++;
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	r = cache_run(c, 2, del, NULL);
	if (r == NULL)
		return -1;
	freeReplyObject(r);
	cache_flush_messages(c);
	return 0;
}

static void order_key(char key[ORDER_KEY_MAX], long long id)
{
	snprintf(key, ORDER_KEY_MAX, ORDER_PREFIX "%lld", id);
}

/* The entry in r (an order's key as read), if made in generation gen, into
 * a malloc'd copy: 1, 0 when it is no entry of gen, -1 out of memory. */
static int order_entry(const redisReply *r, const char *gen, char **body, size_t *len)
{
	size_t glen = strlen(gen);

	if (r->type != REDIS_REPLY_STRING || r->len <= glen || memcmp(r->str, gen, glen) != 0 ||
	    r->str[glen] != ':')
		return 0;
	*len = r->len - glen - 1;
	*body = malloc(*len + 1);
	if (*body == NULL)
		return -1;
	memcpy(*body, r->str + glen + 1, *len);
	(*body)[*len] = '\0';
	return 1;
}

int cache_order_get(struct cache *c, long long id, char **body, size_t *len, long long *gen)
{
	char key[ORDER_KEY_MAX];
	const char *argv[] = { "MGET", key, ORDER_GEN_KEY };
	redisReply *r;
	const char *g = "0";
	int rc = 0;

	order_key(key, id);
	r = cache_run(c, 3, argv, NULL);
	if (r == NULL)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
		if (r->element[1]->type == REDIS_REPLY_STRING)
			g = r->element[1]->str;
		*gen = strtoll(g, NULL, 10);
		rc = order_entry(r->element[0], g, body, len);
	}
	freeReplyObject(r);
	return rc;
}

int cache_order_mark(struct cache *c, long long id, char mark[CACHE_MARK_LEN])
{
	char key[ORDER_KEY_MAX], ms[16];
	const char *argv[] = { "EVAL", order_mark_script, "1", key, mark, ms };
	redisReply *r;
	int held;

	order_key(key, id);
	snprintf(ms, sizeof(ms), "%d", ORDER_MARK_MS);
	snprintf(mark, CACHE_MARK_LEN, "~%ld:%u:%lld", (long)getpid(), ++c->marks, clock_ms());
	r = cache_run(c, 6, argv, NULL);
	if (r == NULL)
		return -1;
	held = r->type == REDIS_REPLY_INTEGER && r->integer == 1;
	freeReplyObject(r);
	return held;
}

int cache_order_put(struct cache *c, long long id, const char *mark, long long gen,
		    const char *body, size_t len, int ttl_ms)
{
	char key[ORDER_KEY_MAX], ttl[16], gen_s[24];
	const char *argv[] = { "EVAL", order_put_script, "2", key, ORDER_GEN_KEY, mark, body, ttl,
			       gen_s };

	order_key(key, id);
	snprintf(ttl, sizeof(ttl), "%d", ttl_ms);
	snprintf(gen_s, sizeof(gen_s), "%lld", gen);
	return cache_store(c, 9, argv, 6, len);
}

/* DEL of the keys of ids[0..n) in one command. 0 or -1. */
static int order_del(struct cache *c, const long long *ids, int n)
{
	char (*keys)[ORDER_KEY_MAX] = malloc(sizeof(*keys) * (size_t)n);
	const char **argv = malloc(sizeof(*argv) * ((size_t)n + 1));
	redisReply *r = NULL;

	if (keys && argv) {
		argv[0] = "DEL";
		for (int i = 0; i < n; i++) {
			order_key(keys[i], ids[i]);
			argv[i + 1] = keys[i];
		}
		r = cache_run(c, n + 1, argv, NULL);
	} else {
		log_error("out of memory");
	}
	free(keys);
	free(argv);
	freeReplyObject(r);
	return r ? 0 : -1;
}

int cache_orders_drop(struct cache *c, const long long *ids, int n)
{
	if (c == NULL || n <= 0)
		return 0;
	c->epoch++;
	if (order_del(c, ids, n) < 0) {
		c->orders_owed = 1;
		return -1;
	}
	return 0;
}

int cache_orders_invalidate(struct cache *c, const long long *ids, int n)
{
	if (cache_orders_drop(c, ids, n) < 0)
		return -1;
	if (c && n > 0)
		cache_flush_messages(c);
	return 0;
}

int cache_orders_invalidate_all(struct cache *c)
{
	const char *incr[] = { "INCR", ORDER_GEN_KEY };
	redisReply *r;

	if (c == NULL)
		return 0;
	c->epoch++;
	r = cache_run(c, 2, incr, NULL);
	if (r == NULL) {
		c->orders_owed = 1;
		return -1;
	}
	freeReplyObject(r);
	cache_flush_messages(c);
	return 0;
}
