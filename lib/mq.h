/* mq.h - the RabbitMQ connection and the order queue topology. AMQP names
 * (exchanges, queues, routing keys) are built only in mq.c. */
#ifndef BAKERY_MQ_H
#define BAKERY_MQ_H

#include <stddef.h>

struct mq;

/* Parses url (amqp://user:pass@host:port/vhost); does not connect yet.
 * NULL on a malformed url (message in err). Free with mq_free(). */
struct mq *mq_new(const char *url, int timeout_ms, int max_deliveries,
		  char *err, size_t errlen);
void mq_free(struct mq *mq);

/* Connects when not connected (at most once a second) and declares the
 * topology idempotently. 0 or -1. */
int mq_connect(struct mq *mq);

/* 0 when the broker answers on the order queue. */
int mq_ping(struct mq *mq);

/* Publishes {"order_id": N} persistently to the order queue and waits for
 * the broker's confirm. 0 only when confirmed; -1 means "not known to be
 * queued" and the order is left for the relay. */
int mq_publish_order(struct mq *mq, long long order_id);

#endif
