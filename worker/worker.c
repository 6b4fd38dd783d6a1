/* worker.c - the consume loop of one worker process.
 *
 * Single-threaded: take a message (order queue or dead-letter queue), run
 * its job to the end, settle the message, then once a second a relay round.
 * Two RabbitMQ connections: one consumes (prefetch BAKERY_PREFETCH, manual
 * acks), one publishes for the relay, so a confirm wait never meets a
 * delivery. PostgreSQL and RabbitMQ are reconnected with exponential
 * backoff. A message whose job finds the database unreachable is kept in
 * hand, not counted, until the database answers again; one the database
 * refuses is returned to the queue until its BAKERY_MAX_DELIVERIES-th
 * delivery, then its order is failed and the message dead-lettered. */
#include "worker.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "config.h"
#include "db.h"
#include "job.h"
#include "clock.h"
#include "log.h"
#include "mq.h"
#include "relay.h"
#include "store.h"

#define WAIT_MS           250  /* longest wait for a message between checks */
#define RELAY_INTERVAL_MS 1000
#define RELAY_GRACE_S     5    /* the responder's publish of a new order runs meanwhile */
#define STALE_MIN_S       30   /* processing untouched this long (+ 2 x payment) */
#define BACKOFF_MIN_MS    250
#define BACKOFF_MAX_MS    5000

struct worker {
	const struct config *cfg;
	struct db *db;
	struct store store;
	struct cache *cache;
	struct mq *in;  /* consumes */
	struct mq *out; /* publishes (relay) */
	struct job_env env;
	struct relay relay;
	sigset_t stop_signals;
	int stopping;
	int up;         /* as last logged: 1 both, 0 no postgres, -1 no rabbitmq, 2 not yet */
	int backoff_ms;
	long long next_relay_ms;
};

/* 1 once SIGTERM or SIGINT arrived. */
static int worker_stopping(struct worker *w)
{
	struct timespec zero = { 0, 0 };

	if (!w->stopping && sigtimedwait(&w->stop_signals, NULL, &zero) > 0)
		w->stopping = 1;
	return w->stopping;
}

/* Sleeps the current backoff (a stop signal ends it early), then doubles it. */
static void worker_backoff(struct worker *w)
{
	struct timespec ts = { w->backoff_ms / 1000, (w->backoff_ms % 1000) * 1000000L };

	if (!w->stopping && sigtimedwait(&w->stop_signals, NULL, &ts) > 0)
		w->stopping = 1;
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static void worker_release(struct worker *w)
{
	mq_free(w->in);
	mq_free(w->out);
	cache_free(w->cache);
	db_free(w->db);
}

static int worker_init(struct worker *w, const struct config *cfg)
{
	char err[256] = "out of memory";

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	sigemptyset(&w->stop_signals);
	sigaddset(&w->stop_signals, SIGTERM);
	sigaddset(&w->stop_signals, SIGINT);
	w->backoff_ms = BACKOFF_MIN_MS;
	w->up = 2;
	w->db = db_new(cfg->database_url, "bakery-worker", cfg->connect_timeout_ms);
	w->in = mq_new(cfg->amqp_url, cfg->connect_timeout_ms, cfg->max_deliveries, err, sizeof(err));
	w->out = w->in ? mq_new(cfg->amqp_url, cfg->connect_timeout_ms, cfg->max_deliveries,
				err, sizeof(err)) : NULL;
	w->cache = w->out ? cache_new(cfg->redis_url, cfg->connect_timeout_ms, err, sizeof(err)) : NULL;
	if (w->db == NULL || w->cache == NULL) {
		log_error("cannot start: %s", err);
		worker_release(w);
		return -1;
	}
	mq_consume_setup(w->in, cfg->worker_inflight);
	store_init(&w->store, w->db);
	w->env = (struct job_env){ &w->store, w->cache, cfg->payment_delay_ms, cfg->max_deliveries };
	w->relay = (struct relay){ &w->store, w->out, RELAY_GRACE_S,
				   STALE_MIN_S + 2 * (cfg->payment_delay_ms / 1000) };
	return 0;
}

/* 0 when both PostgreSQL and the consuming connection are up; logs each
 * change of what is missing. */
static int worker_connect(struct worker *w)
{
	int up = db_connect(w->db) == 0 ? 1 : 0;

	if (up && mq_connect(w->in) < 0)
		up = -1;
	if (up != w->up) {
		if (up == 1)
			log_info("consuming orders prefetch=%d payment_delay_ms=%d max_deliveries=%d",
				 w->cfg->worker_inflight, w->cfg->payment_delay_ms, w->cfg->max_deliveries);
		else
			log_warn("waiting for %s", up ? "rabbitmq" : "postgres");
	}
	w->up = up;
	if (up == 1)
		w->backoff_ms = BACKOFF_MIN_MS;
	return up == 1 ? 0 : -1;
}

/* Before a job runs again: a short pause if the database answers (a
 * deadlock or a connection lost and already back), else a wait with
 * backoff until it does. 0, or -1 on a stop signal (the message in hand
 * stays unacked; the broker redelivers it). */
static int worker_wait_db(struct worker *w, long long id)
{
	int down = 0;

	w->backoff_ms = BACKOFF_MIN_MS;
	for (;;) {
		worker_backoff(w);
		if (worker_stopping(w))
			return -1;
		if (store_ping(&w->store) == 0)
			break;
		if (!down++)
			log_msg(LOG_WARN, id, "database unreachable; holding the message until it is back");
	}
	log_msg(LOG_INFO, id, "retrying the order");
	w->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

/* Runs the message's job until it no longer asks for a retry: its result,
 * or -1 when a stop signal came while waiting for the database. */
static int worker_job(struct worker *w, const struct mq_message *msg, long long id)
{
	for (;;) {
		enum job_result r = msg->dead ? job_dead_letter(&w->env, id, msg->death_reason)
					      : job_order(&w->env, id);

		if (r != JOB_RETRY)
			return (int)r;
		if (worker_wait_db(w, id) < 0)
			return -1;
	}
}

/* The database refused this order's job: requeue, or give up on its last
 * allowed delivery. */
static void worker_refused(struct worker *w, const struct mq_message *msg, long long id)
{
	long delivery = msg->delivery_count + 1;
	char why[128];

	if (delivery < w->cfg->max_deliveries) {
		log_msg(LOG_WARN, id, "delivery %ld of %d failed; requeued", delivery,
			w->cfg->max_deliveries);
		mq_reject(w->in, msg, 1);
		return;
	}
	snprintf(why, sizeof(why), "could not be processed: database error%s%s after %ld attempts",
		 w->store.sqlstate[0] ? " " : "", w->store.sqlstate, delivery);
	log_msg(LOG_ERROR, id, "giving up after %ld deliveries; dead-lettering", delivery);
	/* If even this fails, the dead-letter handler tries again. */
	job_give_up(&w->env, id, why);
	mq_reject(w->in, msg, 0);
}

static void worker_order(struct worker *w, const struct mq_message *msg, long long id)
{
	if (id == 0) {
		/* log_msg escapes whatever the body holds. */
		log_warn("poison message message_id=%s bytes=%zu body=\"%.100s\": not {\"order_id\": N};"
			 " dead-lettering", msg->message_id, msg->body_len, msg->body);
		mq_reject(w->in, msg, 0);
		return;
	}
	switch (worker_job(w, msg, id)) {
	case JOB_DONE:
		mq_ack(w->in, msg);
		break;
	case JOB_POISON:
		log_msg(LOG_WARN, id, "message for an unknown order; dead-lettering");
		mq_reject(w->in, msg, 0);
		break;
	case JOB_FAILED:
		worker_refused(w, msg, id);
		break;
	default: /* stopping */
		break;
	}
}

/* A dead letter is always acked once handled: it has nowhere else to go. */
static void worker_dead(struct worker *w, const struct mq_message *msg, long long id)
{
	log_msg(LOG_ERROR, id, "dead letter message_id=%s reason=%s body=\"%.100s\"",
		msg->message_id, msg->death_reason[0] ? msg->death_reason : "unknown", msg->body);
	if (id > 0 && worker_job(w, msg, id) < 0)
		return;
	mq_ack(w->in, msg);
}

static void worker_step(struct worker *w)
{
	struct mq_message msg;
	long long id;
	int rc = mq_next(w->in, &msg, WAIT_MS);

	if (rc == 1) {
		id = msg.body_len <= MQ_BODY_MAX ? job_parse(msg.body, msg.body_len) : 0;
		if (msg.dead)
			worker_dead(w, &msg, id);
		else
			worker_order(w, &msg, id);
	}
	/* Not right after the broker went away: the relay would only fail. */
	if (rc >= 0 && clock_ms() >= w->next_relay_ms) {
		relay_run(&w->relay);
		w->next_relay_ms = clock_ms() + RELAY_INTERVAL_MS;
	}
}

int worker_run(const struct config *cfg)
{
	struct worker w;

	if (worker_init(&w, cfg) < 0)
		return 1;
	log_info("worker started");
	while (!worker_stopping(&w)) {
		if (worker_connect(&w) < 0)
			worker_backoff(&w);
		else
			worker_step(&w);
	}
	log_info("worker stopping");
	worker_release(&w);
	return 0;
}
