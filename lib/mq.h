/* mq.h - the RabbitMQ connection and the order queue topology. AMQP names
 * (exchanges, queues, routing keys, consumer tags) are built only in mq.c.
 *
 * A struct mq is one connection with one channel. The responder uses it to
 * publish; the worker uses one to publish (the relay) and another, made a
 * consumer with mq_consume_setup(), to receive order messages and dead
 * letters. Publishing and consuming never share a connection: a confirm
 * wait must not swallow a delivery. */
#ifndef BAKERY_MQ_H
#define BAKERY_MQ_H

#include <stddef.h>
#include <stdint.h>

struct mq;

/* Bodies longer than this are never valid order messages: a message keeps
 * only this many bytes (body_len still tells the full length). */
#define MQ_BODY_MAX 512

/* A message taken from a queue. Everything is copied out of rabbitmq-c's
 * buffers, so the struct owns nothing and may outlive the connection; its
 * tag, though, can only be acked on the connection it came from. */
struct mq_message {
	uint64_t delivery_tag;
	unsigned generation;  /* connection it arrived on */
	int dead;             /* 1: from the dead-letter queue */
	int redelivered;
	long delivery_count;  /* earlier deliveries (quorum x-delivery-count) */
	char death_reason[32]; /* dead letters: "rejected", "delivery_limit", ... */
	char message_id[64];
	size_t body_len;      /* full length of the body */
	char body[MQ_BODY_MAX + 1]; /* NUL-terminated, truncated to MQ_BODY_MAX */
};

/* Parses url (amqp://user:pass@host:port/vhost); does not connect yet.
 * max_deliveries becomes the order queue's x-delivery-limit. NULL on a
 * malformed url (message in err). Free with mq_free(). */
struct mq *mq_new(const char *url, int timeout_ms, int max_deliveries,
		  char *err, size_t errlen);
void mq_free(struct mq *mq);

/* Makes mq a consumer: every connection it opens from now on sets the
 * prefetch (unacked messages per queue) and consumes the order queue and
 * the dead-letter queue with manual acks. Call before mq_connect(). */
void mq_consume_setup(struct mq *mq, int prefetch);

/* Connects when not connected (at most once a second) and declares the
 * topology idempotently. 0 or -1. */
int mq_connect(struct mq *mq);

/* What the broker says about the order queue. */
struct mq_queue_info {
	unsigned long consumers; /* consumers attached: running workers */
	unsigned long messages;  /* messages ready, not yet delivered */
};

/* 0 when the broker answers on the order queue. */
int mq_ping(struct mq *mq);

/* mq_ping() that also fills *out (when non-NULL) from the broker's answer,
 * at no extra round trip. 0 or -1 (broker does not answer; *out zeroed). */
int mq_order_queue_info(struct mq *mq, struct mq_queue_info *out);

/* The same for the order queue and the dead-letter queue, two passive
 * declares on one connection (metrics). 0 or -1 (both zeroed). */
int mq_queues_info(struct mq *mq, struct mq_queue_info *orders, struct mq_queue_info *dead);

/* Publishes {"order_id": N} persistently to the order queue and waits for
 * the broker's confirm. 0 only when confirmed; -1 means "not known to be
 * queued" and the order is left for the relay. */
int mq_publish_order(struct mq *mq, long long order_id);

/* Publishes like mq_publish_order() but does not wait for the confirm:
 * mq_take_confirms() hands the order back once the broker has confirmed
 * it. 0 when sent; -1 (not sent, or too many unconfirmed) leaves the order
 * to the relay. Publishes of a connection that is lost before their
 * confirm are never handed back: their orders stay for the relay too. */
int mq_publish_order_nowait(struct mq *mq, long long order_id);

/* The orders of mq_publish_order_nowait() confirmed since the last call,
 * oldest first, up to max of them into ids; waits up to wait_ms for a
 * confirm still due (0: takes only what has arrived). Refused and returned
 * publishes are dropped, logged. How many, or -1 when the connection was
 * lost (dropped; its unconfirmed publishes are forgotten). */
int mq_take_confirms(struct mq *mq, long long *ids, int max, int wait_ms);

/* The socket to poll for confirms still due, -1 when none is. */
int mq_confirm_fd(const struct mq *mq);

/* Consumer: waits up to timeout_ms for the next message. 1 with *msg
 * filled, 0 when none came, -1 when the connection is lost (it is dropped:
 * mq_connect() opens a new one, and the broker redelivers what was not
 * acked). */
int mq_next(struct mq *mq, struct mq_message *msg, int timeout_ms);

/* Settles a message: ack removes it; reject with requeue returns it to its
 * queue (counted towards the delivery limit), without requeue dead-letters
 * it. 0, or -1 when the connection it came on is gone, in which case the
 * broker redelivers it. */
int mq_ack(struct mq *mq, const struct mq_message *msg);
/* mq_ack() of msg and of every earlier delivery on its connection not
 * settled yet, in one frame (basic.ack with multiple): for a caller that
 * knows those are all settled by now. */
int mq_ack_through(struct mq *mq, const struct mq_message *msg);
int mq_reject(struct mq *mq, const struct mq_message *msg, int requeue);

#endif
