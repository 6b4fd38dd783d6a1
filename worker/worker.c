/* worker.c - the consume loop of one worker process: many orders in
 * flight at once (SPEC §7.3-7.6, §7.8).
 *
 * Payment stands for a remote call, so the only long wait in an order's
 * life is spent in no code at all: one thread runs an event loop whose
 * timers are the payments in progress. Each turn of the loop settles the
 * orders whose payment is due (tx 2, the paid ones in one statement, then
 * an ack each), then takes a message, waiting for it no longer than the
 * next payment's due time, and up to TAKE_MAX - 1 more that have come
 * already, and begins them (claim, tx 1) in one transaction. Up to BAKERY_WORKER_INFLIGHT orders are in payment at once; the
 * same number is the consumer's prefetch, so the broker never hands over
 * more than there are places for. The database work of an order takes a
 * millisecond or two, so one thread and one connection keep up, with no
 * locking and no connection per order (see docs/design-decisions.md).
 *
 * Connections: PostgreSQL twice (the jobs' session, which holds the
 * orders' claims, and the relay's, whose stranded sweep must not see those
 * claims as its own), RabbitMQ twice (one consumes, one publishes for the
 * relay, so a confirm wait never meets a delivery). All are reconnected
 * with backoff. A step that finds the database unreachable waits for it,
 * holding its message; one the database refuses is returned to the queue
 * until its BAKERY_MAX_DELIVERIES-th delivery, then its order is failed and
 * the message dead-lettered. On SIGTERM no message is taken any more; the
 * orders in payment are settled and acked, then the process exits. */
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "config.h"
#include "database.h"
#include "fulfil.h"
#include "job.h"
#include "log.h"
#include "metrics.h"
#include "mq.h"
#include "relay.h"

#define WAIT_MS           250  /* longest wait for a message between checks */
#define RELAY_INTERVAL_MS 1000
#define HEARTBEAT_MS      1000
#define RELAY_GRACE_S     5    /* the responder's publish of a new order runs meanwhile */
#define STALE_MIN_S       30   /* processing untouched this long (+ 2 x payment) */
#define STOP_SETTLE_MS    15000 /* after the last payment, to settle on SIGTERM */
#define BACKOFF_MIN_MS    250
#define BACKOFF_MAX_MS    5000
#define TAKE_MAX          JOB_BEGIN_MAX /* messages taken in one turn, at most */
#define GATHER_MS         20   /* after a turn's first message, how long to wait for more */

/* An order in payment: its job, its message (acked after tx 2), and when
 * the payment answers. */
struct flight {
	struct job job;
	struct mq_message msg;
	long long due_ms;
	int used;
};

struct worker {
	const struct config *cfg;
	struct db *db;       /* the jobs' session: holds the claims */
	struct db *relay_db;
	struct fulfil fulfil;
	struct fulfil relay_fulfil;
	struct cache *cache;
	struct mq *in;  /* consumes */
	struct mq *out; /* publishes (relay) */
	struct job_env env;
	struct relay relay;
	struct flight *flights; /* cfg->worker_inflight places */
	int nflight;
	sigset_t stop_signals;
	int stopping;
	int abandon;    /* stopping, and the database will not come back in time */
	long long stop_deadline_ms;
	int up;         /* as last logged: 1 both, 0 no postgres, -1 no rabbitmq, 2 not yet */
	int backoff_ms;
	long long next_relay_ms;
	long long next_heartbeat_ms;
	int heartbeat_failed;
};

/* Waits up to ms for a stop signal (0: only looks); 1 once stopping. */
static int worker_idle(struct worker *w, int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (sigtimedwait(&w->stop_signals, NULL, &ts) > 0 && !w->stopping) {
		w->stopping = 1;
		w->stop_deadline_ms = clock_ms() + w->cfg->payment_delay_ms + STOP_SETTLE_MS;
		log_info("stopping: settling %d orders in flight", w->nflight);
	}
	return w->stopping;
}

/* Sleeps the current backoff (a stop signal ends it early), then doubles it. */
static void worker_backoff(struct worker *w)
{
	worker_idle(w, w->backoff_ms);
	w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static void worker_release(struct worker *w)
{
	mq_free(w->in);
	mq_free(w->out);
	cache_free(w->cache);
	database_free(w->db);
	database_free(w->relay_db);
	free(w->flights);
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
	w->flights = calloc((size_t)cfg->worker_inflight, sizeof(*w->flights));
	w->db = database_new(cfg->database_url, "bakery-worker", cfg->connect_timeout_ms);
	w->relay_db = database_new(cfg->database_url, "bakery-worker-relay", cfg->connect_timeout_ms);
	w->in = mq_new(cfg->amqp_url, cfg->connect_timeout_ms, cfg->max_deliveries, err, sizeof(err));
	w->out = w->in ? mq_new(cfg->amqp_url, cfg->connect_timeout_ms, cfg->max_deliveries,
				err, sizeof(err)) : NULL;
	w->cache = w->out ? cache_new(cfg->redis_url, cfg->connect_timeout_ms, err, sizeof(err)) : NULL;
	if (w->flights == NULL || w->db == NULL || w->relay_db == NULL || w->cache == NULL) {
		log_error("cannot start: %s", err);
		worker_release(w);
		return -1;
	}
	mq_consume_setup(w->in, cfg->worker_inflight);
	metrics_worker_open(cfg->metrics_dir);
	fulfil_init(&w->fulfil, w->db);
	fulfil_init(&w->relay_fulfil, w->relay_db);
	w->env = (struct job_env){ &w->fulfil, w->cache, cfg->max_deliveries };
	w->relay = (struct relay){ &w->relay_fulfil, w->out, RELAY_GRACE_S,
				   STALE_MIN_S + 2 * (cfg->payment_delay_ms / 1000), w->cache };
	return 0;
}

/* 0 when both PostgreSQL and the consuming connection are up; logs each
 * change of what is missing. */
static int worker_connect(struct worker *w)
{
	int up = database_connect(w->db) == 0 ? 1 : 0;

	if (up && mq_connect(w->in) < 0)
		up = -1;
	if (up != w->up) {
		if (up == 1)
			log_info("consuming orders inflight=%d payment_delay_ms=%d max_deliveries=%d",
				 w->cfg->worker_inflight, w->cfg->payment_delay_ms,
				 w->cfg->max_deliveries);
		else
			log_warn("waiting for %s", up ? "rabbitmq" : "postgres");
	}
	w->up = up;
	if (up == 1)
		w->backoff_ms = BACKOFF_MIN_MS;
	return up == 1 ? 0 : -1;
}

/* Before a step runs again: a short pause if the database answers (a
 * deadlock or a connection lost and already back), else a wait with
 * backoff until it does. 0, or -1 when stopping and out of time to settle
 * (the message in hand stays unacked; the broker redelivers it). */
static int worker_wait_db(struct worker *w, long long id)
{
	int down = 0;

	w->backoff_ms = BACKOFF_MIN_MS;
	for (;;) {
		worker_backoff(w);
		if (w->stopping && clock_ms() >= w->stop_deadline_ms) {
			w->abandon = 1;
			return -1;
		}
		if (fulfil_ping(&w->fulfil) == 0)
			break;
		if (!down++)
			log_msg(LL_WARN, id, "database unreachable; holding the message until it is back");
	}
	log_msg(LL_INFO, id, "retrying the order");
	w->backoff_ms = BACKOFF_MIN_MS;
	return 0;
}

/* The database refused this order's job: requeue, or give up on its last
 * allowed delivery. */
static void worker_refused(struct worker *w, const struct mq_message *msg, long long id)
{
	long delivery = msg->delivery_count + 1;
	char why[128];

	if (delivery < w->cfg->max_deliveries) {
		log_msg(LL_WARN, id, "delivery %ld of %d failed; requeued", delivery,
			w->cfg->max_deliveries);
		mq_reject(w->in, msg, 1);
		return;
	}
	snprintf(why, sizeof(why), "could not be processed: database error%s%s after %ld attempts",
		 w->fulfil.sqlstate[0] ? " " : "", w->fulfil.sqlstate, delivery);
	log_msg(LL_ERROR, id, "giving up after %ld deliveries; dead-lettering", delivery);
	/* If even this fails, the dead-letter handler tries again. */
	job_give_up(&w->env, id, why);
	mq_reject(w->in, msg, 0);
}

/* Settles msg by a job's final result. */
static void worker_settle_msg(struct worker *w, const struct mq_message *msg, long long id,
			      enum job_result r)
{
	switch (r) {
	case JOB_DONE:
		mq_ack(w->in, msg);
		break;
	case JOB_POISON:
		log_msg(LL_WARN, id, "message for an unknown order; dead-lettering");
		mq_reject(w->in, msg, 0);
		break;
	case JOB_FAILED:
		worker_refused(w, msg, id);
		break;
	case JOB_RETRY:
	case JOB_PAY:
		break; /* not final: the caller keeps the message */
	}
}

static struct flight *flight_find(struct worker *w, long long id)
{
	for (int i = 0; i < w->cfg->worker_inflight; i++)
		if (w->flights[i].used && w->flights[i].job.id == id)
			return &w->flights[i];
	return NULL;
}

/* The order in flight whose payment answers first, or NULL. */
static struct flight *flight_next(struct worker *w)
{
	struct flight *next = NULL;

	for (int i = 0; i < w->cfg->worker_inflight && w->nflight; i++)
		if (w->flights[i].used && (next == NULL || w->flights[i].due_ms < next->due_ms))
			next = &w->flights[i];
	return next;
}

/* A second message for an order this worker has in flight: the broker
 * resent it on a new connection (the old one's tag can no longer be
 * acked, so the flight takes the new one), or it is a duplicate. */
static void flight_duplicate(struct worker *w, struct flight *f, const struct mq_message *msg)
{
	if (f->msg.generation != msg->generation) {
		f->msg = *msg;
		return;
	}
	log_msg(LL_INFO, f->job.id, "already in flight here; duplicate message dropped");
	mq_ack(w->in, msg);
}

/* Takes order f into flight with its message. */
static void flight_take(struct worker *w, struct flight *f, const struct mq_message *msg)
{
	f->msg = *msg;
	f->due_ms = clock_ms() + w->cfg->payment_delay_ms;
	f->used = 1;
	w->nflight++;
}

/* An order message: tx 1 now, then into a free place to wait for its
 * payment; or settled at once. */
static void worker_order(struct worker *w, const struct mq_message *msg, long long id)
{
	struct flight *f = flight_find(w, id);
	enum job_result r;
	int i;

	if (f) {
		flight_duplicate(w, f, msg);
		return;
	}
	for (i = 0; i < w->cfg->worker_inflight && w->flights[i].used; i++)
		;
	if (i == w->cfg->worker_inflight) {
		/* The prefetch makes this impossible; never drop a message. */
		log_msg(LL_ERROR, id, "no place in flight; requeued");
		mq_reject(w->in, msg, 1);
		return;
	}
	f = &w->flights[i];
	while ((r = job_begin(&f->job, &w->env, id)) == JOB_RETRY)
		if (worker_wait_db(w, id) < 0)
			return;
	if (r != JOB_PAY) {
		worker_settle_msg(w, msg, id, r);
		return;
	}
	flight_take(w, f, msg);
}

/* The order messages msgs[0..n) of one turn (distinct orders, none in
 * flight, n places free): tx 1 for all of them in one transaction, then
 * into flight or settled; those the batch leaves alone, each on its own. */
static void worker_batch(struct worker *w, const struct mq_message *const *msgs,
			 const long long *ids, int n)
{
	struct flight *places[TAKE_MAX];
	struct job *jobs[TAKE_MAX];
	int k = 0;

	for (int i = 0; i < w->cfg->worker_inflight && k < n; i++)
		if (!w->flights[i].used) {
			places[k] = &w->flights[i];
			jobs[k++] = &w->flights[i].job;
		}
	if (k < n || n < 2) {
		/* The prefetch makes too few places impossible. */
		for (int i = 0; i < n; i++)
			worker_order(w, msgs[i], ids[i]);
		return;
	}
	job_begin_many(jobs, ids, n, &w->env);
	/* First the places taken, so that an order on its own takes another. */
	for (int i = 0; i < n; i++)
		if (jobs[i]->result == JOB_PAY)
			flight_take(w, places[i], msgs[i]);
	for (int i = 0; i < n; i++)
		if (jobs[i]->result == JOB_RETRY)
			worker_order(w, msgs[i], ids[i]);
		else if (jobs[i]->result != JOB_PAY)
			worker_settle_msg(w, msgs[i], ids[i], jobs[i]->result);
}

/* Payment answered for f: tx 2, then ack. */
static void worker_settle(struct worker *w, struct flight *f)
{
	int paid = job_payment_accepted(&f->job);
	enum job_result r;

	while ((r = job_settle(&f->job, paid)) == JOB_RETRY)
		if (worker_wait_db(w, f->job.id) < 0)
			return;
	worker_settle_msg(w, &f->msg, f->job.id, r);
	f->used = 0;
	w->nflight--;
}

/* Whether flight f is one of batch[0..n). */
static int flight_among(struct flight *const *batch, int n, const struct flight *f)
{
	for (int i = 0; i < n; i++)
		if (batch[i] == f)
			return 1;
	return 0;
}

/* The message of batch[0..n) (settled, still in their places) with the
 * latest tag, if all came on one connection and no other order in flight
 * has an earlier tag on it: then acking through it acks exactly the
 * batch. NULL otherwise. */
static const struct mq_message *batch_top(struct worker *w, struct flight *const *batch, int n)
{
	const struct mq_message *top = &batch[0]->msg;

	for (int i = 1; i < n; i++) {
		if (batch[i]->msg.generation != top->generation)
			return NULL;
		if (batch[i]->msg.delivery_tag > top->delivery_tag)
			top = &batch[i]->msg;
	}
	for (int i = 0; i < w->cfg->worker_inflight; i++) {
		const struct flight *f = &w->flights[i];

		if (f->used && f->msg.generation == top->generation &&
		    f->msg.delivery_tag < top->delivery_tag && !flight_among(batch, n, f))
			return NULL;
	}
	return top;
}

/* Acks the settled batch[0..n): in one frame when the tags allow. */
static void worker_ack_batch(struct worker *w, struct flight *const *batch, int n)
{
	const struct mq_message *top = batch_top(w, batch, n);

	if (top) {
		mq_ack_through(w->in, top);
		return;
	}
	for (int i = 0; i < n; i++)
		mq_ack(w->in, &batch[i]->msg);
}

/* The paid orders of batch[0..n) settled together (tx 2 in one
 * statement), then acked; each on its own if the database failed. */
static void worker_settle_batch(struct worker *w, struct flight *const *batch, int n)
{
	struct job *jobs[JOB_SETTLE_MAX];

	for (int i = 0; i < n; i++)
		jobs[i] = &batch[i]->job;
	if (n < 2 || job_settle_paid(jobs, n) < 0) {
		/* Stopping and out of time: the rest stay unacked, redelivered. */
		for (int i = 0; i < n && !w->abandon; i++)
			worker_settle(w, batch[i]);
		return;
	}
	worker_ack_batch(w, batch, n);
	for (int i = 0; i < n; i++) {
		batch[i]->used = 0;
		w->nflight--;
	}
}

/* Every order whose payment has answered by now: the declined each on its
 * own, the paid in one batch. */
static void worker_settle_due(struct worker *w, long long now)
{
	struct flight *batch[JOB_SETTLE_MAX];
	int n = 0;

	for (int i = 0; i < w->cfg->worker_inflight && n < JOB_SETTLE_MAX && !w->abandon; i++) {
		struct flight *f = &w->flights[i];

		if (!f->used || f->due_ms > now)
			continue;
		if (job_payment_accepted(&f->job))
			batch[n++] = f;
		else
			worker_settle(w, f);
	}
	if (!w->abandon)
		worker_settle_batch(w, batch, n);
}

/* A dead letter is always acked once handled: it has nowhere else to go. */
static void worker_dead(struct worker *w, const struct mq_message *msg, long long id)
{
	log_msg(LL_ERROR, id, "dead letter message_id=%s reason=%s body=\"%.100s\"",
		msg->message_id, msg->death_reason[0] ? msg->death_reason : "unknown", msg->body);
	if (id > 0 && flight_find(w, id)) {
		log_msg(LL_INFO, id, "its order is in flight here and settles there");
	} else if (id > 0) {
		while (job_dead_letter(&w->env, id, msg->death_reason) == JOB_RETRY)
			if (worker_wait_db(w, id) < 0)
				return;
	}
	mq_ack(w->in, msg);
}

/* The id of an order message, or 0 (a dead letter, or poison). */
static long long order_id(const struct mq_message *msg)
{
	return msg->dead || msg->body_len > MQ_BODY_MAX ? 0 : job_parse(msg->body, msg->body_len);
}

static void worker_message(struct worker *w, const struct mq_message *msg)
{
	long long id = msg->body_len <= MQ_BODY_MAX ? job_parse(msg->body, msg->body_len) : 0;

	if (msg->dead) {
		worker_dead(w, msg, id);
	} else if (id == 0) {
		/* log_msg escapes whatever the body holds. */
		log_warn("poison message message_id=%s bytes=%zu body=\"%.100s\": not {\"order_id\": N};"
			 " dead-lettering", msg->message_id, msg->body_len, msg->body);
		mq_reject(w->in, msg, 0);
	} else {
		worker_order(w, msg, id);
	}
}

/* Whether id is among ids[0..n). */
static int id_among(const long long *ids, int n, long long id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* The messages msgs[0..n) of one turn: the new orders among them in one
 * batch; dead letters, poison and orders in flight here as before; a
 * second message for an order of the batch after it (then in flight, or
 * settled). */
static void worker_messages(struct worker *w, const struct mq_message *msgs, int n)
{
	const struct mq_message *batch[TAKE_MAX], *later[TAKE_MAX];
	long long ids[TAKE_MAX];
	int k = 0, nlater = 0;

	for (int i = 0; i < n; i++) {
		long long id = order_id(&msgs[i]);

		if (id == 0 || flight_find(w, id)) {
			worker_message(w, &msgs[i]);
		} else if (id_among(ids, k, id)) {
			later[nlater++] = &msgs[i];
		} else {
			batch[k] = &msgs[i];
			ids[k++] = id;
		}
	}
	worker_batch(w, batch, ids, k);
	for (int i = 0; i < nlater; i++)
		worker_message(w, later[i]);
}

/* Proof of life for a container health check: the file's mtime. */
static void worker_heartbeat(struct worker *w)
{
	const char *path = w->cfg->heartbeat_file;
	int fd;

	if (path[0] == '\0' || clock_ms() < w->next_heartbeat_ms)
		return;
	w->next_heartbeat_ms = clock_ms() + HEARTBEAT_MS;
	if (utimensat(AT_FDCWD, path, NULL, 0) == 0)
		return;
	fd = errno == ENOENT ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (!w->heartbeat_failed++)
		log_warn("cannot touch BAKERY_HEARTBEAT_FILE %s: %s", path, strerror(errno));
}

/* While connected: takes at most one message, waiting up to wait_ms; then
 * the relay round and the heartbeat when due. */
static void worker_take(struct worker *w, int wait_ms)
{
	struct mq_message msgs[TAKE_MAX];
	long long gather_end;
	int rc = 0, n = 0;

	if (w->nflight < w->cfg->worker_inflight)
		rc = mq_next(w->in, &msgs[0], wait_ms);
	else
		worker_idle(w, wait_ms);
	/* Then what else comes within GATHER_MS: orders taken together begin
	 * in one transaction, are due together, and settle in one batch, and
	 * a transaction's cost is mostly per transaction, not per order. Under
	 * load the messages are there already; otherwise an order waits a
	 * moment more for its payment, which takes far longer anyway. */
	gather_end = clock_ms() + GATHER_MS;
	while (rc == 1) {
		long long left = gather_end - clock_ms();

		if (++n >= TAKE_MAX || w->nflight + n >= w->cfg->worker_inflight)
			break;
		rc = mq_next(w->in, &msgs[n], left > 0 ? (int)left : 0);
	}
	worker_messages(w, msgs, n);
	/* Not right after the broker went away: the relay would only fail. */
	if (rc >= 0 && clock_ms() >= w->next_relay_ms) {
		/* A full batch (a backlog after the broker was down): the next
		 * one on the next turn, between orders, not a second later. */
		int sent = relay_run(&w->relay);

		w->next_relay_ms = clock_ms() + (sent >= RELAY_BATCH ? 0 : RELAY_INTERVAL_MS);
	}
	if (rc >= 0)
		worker_heartbeat(w);
}

/* One turn of the loop: settle one order whose payment is due, then take
 * one message, waiting no longer than the next payment. */
static void worker_turn(struct worker *w)
{
	struct flight *f = flight_next(w);
	long long now = clock_ms();
	int wait_ms = WAIT_MS;

	metrics_worker_beat(w->nflight);
	if (f && f->due_ms <= now) {
		worker_settle_due(w, now);
		wait_ms = 0;
	} else if (f && f->due_ms - now < WAIT_MS) {
		wait_ms = (int)(f->due_ms - now);
	}
	if (worker_idle(w, 0) || w->abandon) {
		if (wait_ms > 0 && w->nflight)
			worker_idle(w, wait_ms);
		return;
	}
	if (worker_connect(w) == 0)
		worker_take(w, wait_ms);
	else if (w->nflight)
		worker_idle(w, wait_ms);
	else
		worker_backoff(w);
}

int worker_run(const struct config *cfg)
{
	struct worker w;

	if (worker_init(&w, cfg) < 0)
		return 1;
	log_info("worker started");
	while (!w.abandon && !(w.stopping && w.nflight == 0))
		worker_turn(&w);
	if (w.nflight)
		log_warn("stopping with %d orders unsettled: the database did not come back;"
			 " the broker redelivers them", w.nflight);
	log_info("worker stopping");
	worker_release(&w);
	return 0;
}
