/* mq.c - RabbitMQ via rabbitmq-c: connection, topology, confirmed publish.
 *
 * Topology (declared by both binaries, idempotent):
 *   exchange bakery.orders (direct, durable)
 *     -> queue bakery.orders (quorum, delivery limit, dead-letters to)
 *   exchange bakery.orders.dead (fanout, durable)
 *     -> queue bakery.orders.dead (durable)
 * One channel in confirm mode carries every publish. */
#include "mq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "log.h"

#define MQ_RETRY_INTERVAL_MS 1000
#define MQ_CHANNEL 1
#define ORDER_EXCHANGE "bakery.orders"
#define ORDER_QUEUE "bakery.orders"
#define ORDER_ROUTING_KEY "order"
#define DEAD_EXCHANGE "bakery.orders.dead"
#define DEAD_QUEUE "bakery.orders.dead"

struct mq {
	amqp_connection_state_t conn;
	char *url_buf; /* owns the strings info points into */
	struct amqp_connection_info info;
	int timeout_ms;
	int max_deliveries;
	uint64_t next_tag; /* delivery tag of the next publish on this channel */
	long long next_try_ms;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct mq *mq_new(const char *url, int timeout_ms, int max_deliveries,
		  char *err, size_t errlen)
{
	struct mq *mq = calloc(1, sizeof(*mq));

	if (mq == NULL || (mq->url_buf = strdup(url)) == NULL) {
		free(mq);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	amqp_default_connection_info(&mq->info);
	if (amqp_parse_url(mq->url_buf, &mq->info) != AMQP_STATUS_OK || mq->info.ssl) {
		snprintf(err, errlen, "AMQP_URL is not amqp://user:pass@host:port/vhost");
		mq_free(mq);
		return NULL;
	}
	mq->timeout_ms = timeout_ms;
	mq->max_deliveries = max_deliveries;
	return mq;
}

static void mq_drop(struct mq *mq)
{
	if (mq->conn == NULL)
		return;
	/* No polite close: the connection is already broken or unwanted. */
	amqp_destroy_connection(mq->conn);
	mq->conn = NULL;
}

void mq_free(struct mq *mq)
{
	if (mq == NULL)
		return;
	if (mq->conn) {
		amqp_connection_close(mq->conn, AMQP_REPLY_SUCCESS);
		mq_drop(mq);
	}
	free(mq->url_buf);
	free(mq);
}

/* Checks the last RPC; logs and drops the connection on failure. */
static int mq_check(struct mq *mq, const char *what)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(mq->conn);

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
		log_warn("rabbitmq %s failed: %s", what, amqp_error_string2(r.library_error));
	else
		log_warn("rabbitmq %s refused by the broker", what);
	mq_drop(mq);
	return -1;
}

static int mq_declare(struct mq *mq)
{
	amqp_table_entry_t args[3];
	amqp_table_t table = { 3, args };

	amqp_exchange_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(ORDER_EXCHANGE),
			      amqp_cstring_bytes("direct"), 0, 1, 0, 0, amqp_empty_table);
	if (mq_check(mq, "declare exchange") < 0)
		return -1;
	amqp_exchange_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(DEAD_EXCHANGE),
			      amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
	if (mq_check(mq, "declare dead-letter exchange") < 0)
		return -1;
	amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(DEAD_QUEUE), 0, 1, 0, 0,
			   amqp_empty_table);
	if (mq_check(mq, "declare dead-letter queue") < 0)
		return -1;
	amqp_queue_bind(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(DEAD_QUEUE),
			amqp_cstring_bytes(DEAD_EXCHANGE), amqp_empty_bytes, amqp_empty_table);
	if (mq_check(mq, "bind dead-letter queue") < 0)
		return -1;

	args[0].key = amqp_cstring_bytes("x-queue-type");
	args[0].value.kind = AMQP_FIELD_KIND_UTF8;
	args[0].value.value.bytes = amqp_cstring_bytes("quorum");
	args[1].key = amqp_cstring_bytes("x-delivery-limit");
	args[1].value.kind = AMQP_FIELD_KIND_I64;
	args[1].value.value.i64 = mq->max_deliveries;
	args[2].key = amqp_cstring_bytes("x-dead-letter-exchange");
	args[2].value.kind = AMQP_FIELD_KIND_UTF8;
	args[2].value.value.bytes = amqp_cstring_bytes(DEAD_EXCHANGE);
	amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(ORDER_QUEUE), 0, 1, 0, 0, table);
	if (mq_check(mq, "declare order queue") < 0)
		return -1;
	amqp_queue_bind(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(ORDER_QUEUE),
			amqp_cstring_bytes(ORDER_EXCHANGE), amqp_cstring_bytes(ORDER_ROUTING_KEY),
			amqp_empty_table);
	return mq_check(mq, "bind order queue");
}

static int mq_open(struct mq *mq)
{
	struct timeval tv = { mq->timeout_ms / 1000, (mq->timeout_ms % 1000) * 1000 };
	amqp_socket_t *sock;
	amqp_rpc_reply_t r;
	int status;

	mq->conn = amqp_new_connection();
	if (mq->conn == NULL || (sock = amqp_tcp_socket_new(mq->conn)) == NULL) {
		log_error("rabbitmq: out of memory");
		mq_drop(mq);
		return -1;
	}
	amqp_set_handshake_timeout(mq->conn, &tv);
	amqp_set_rpc_timeout(mq->conn, &tv);
	status = amqp_socket_open_noblock(sock, mq->info.host, mq->info.port, &tv);
	if (status != AMQP_STATUS_OK) {
		log_warn("rabbitmq connect to %s:%d failed: %s", mq->info.host, mq->info.port,
			 amqp_error_string2(status));
		mq_drop(mq);
		return -1;
	}
	r = amqp_login(mq->conn, mq->info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
		       mq->info.user, mq->info.password);
	if (r.reply_type != AMQP_RESPONSE_NORMAL) {
		log_warn("rabbitmq login as %s failed", mq->info.user);
		mq_drop(mq);
		return -1;
	}
	amqp_channel_open(mq->conn, MQ_CHANNEL);
	if (mq_check(mq, "open channel") < 0)
		return -1;
	amqp_confirm_select(mq->conn, MQ_CHANNEL);
	if (mq_check(mq, "confirm.select") < 0)
		return -1;
	mq->next_tag = 1;
	return mq_declare(mq);
}

int mq_connect(struct mq *mq)
{
	long long now;

	if (mq->conn)
		return 0;
	now = now_ms();
	if (now < mq->next_try_ms)
		return -1;
	mq->next_try_ms = now + MQ_RETRY_INTERVAL_MS;
	if (mq_open(mq) < 0)
		return -1;
	log_debug("rabbitmq connected");
	return 0;
}

static int mq_ping_once(struct mq *mq)
{
	if (mq_connect(mq) < 0)
		return -1;
	amqp_queue_declare(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(ORDER_QUEUE), 1, 0, 0, 0,
			   amqp_empty_table);
	return mq_check(mq, "check order queue");
}

/* Runs op; when it fails because a kept connection had died while idle
 * (broker restart), runs it once more on a fresh connection, which tells
 * that apart from a broker that is really down. */
static int mq_retry(struct mq *mq, int (*op)(struct mq *, long long), long long arg)
{
	int had_conn = mq->conn != NULL;

	if (op(mq, arg) == 0)
		return 0;
	if (!had_conn || mq->conn)
		return -1;
	mq->next_try_ms = 0;
	return op(mq, arg);
}

static int mq_ping_op(struct mq *mq, long long unused)
{
	(void)unused;
	return mq_ping_once(mq);
}

int mq_ping(struct mq *mq)
{
	return mq_retry(mq, mq_ping_op, 0);
}

/* Waits for the broker's ack of delivery tag; -1 on nack, timeout, error. */
static int mq_wait_confirm(struct mq *mq, uint64_t tag)
{
	struct timeval tv = { mq->timeout_ms / 1000, (mq->timeout_ms % 1000) * 1000 };
	int returned = 0;

	for (;;) {
		amqp_frame_t frame;
		int status = amqp_simple_wait_frame_noblock(mq->conn, &frame, &tv);

		if (status != AMQP_STATUS_OK) {
			log_warn("rabbitmq confirm of publish %llu not received: %s",
				 (unsigned long long)tag, amqp_error_string2(status));
			mq_drop(mq);
			return -1;
		}
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;
		switch (frame.payload.method.id) {
		case AMQP_BASIC_ACK_METHOD: {
			amqp_basic_ack_t *ack = frame.payload.method.decoded;

			if (ack->delivery_tag == tag || (ack->multiple && ack->delivery_tag >= tag))
				return returned ? -1 : 0;
			break;
		}
		case AMQP_BASIC_RETURN_METHOD:
			/* Unroutable: the ack that follows does not mean queued. */
			log_error("rabbitmq returned publish %llu as unroutable",
				  (unsigned long long)tag);
			returned = 1;
			break;
		case AMQP_BASIC_NACK_METHOD:
			log_warn("rabbitmq refused publish %llu", (unsigned long long)tag);
			return -1;
		case AMQP_CHANNEL_CLOSE_METHOD:
		case AMQP_CONNECTION_CLOSE_METHOD:
			log_warn("rabbitmq closed the channel during a publish");
			mq_drop(mq);
			return -1;
		default:
			break;
		}
	}
}

static int mq_publish_once(struct mq *mq, long long order_id)
{
	char body[64], msgid[32];
	amqp_basic_properties_t props;
	uint64_t tag;
	int n;

	if (mq_connect(mq) < 0)
		return -1;
	n = snprintf(body, sizeof(body), "{\"order_id\":%lld}", order_id);
	snprintf(msgid, sizeof(msgid), "order-%lld", order_id);
	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
		       AMQP_BASIC_MESSAGE_ID_FLAG;
	props.content_type = amqp_cstring_bytes("application/json");
	props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	props.message_id = amqp_cstring_bytes(msgid);
	tag = mq->next_tag++;
	if (amqp_basic_publish(mq->conn, MQ_CHANNEL, amqp_cstring_bytes(ORDER_EXCHANGE),
			       amqp_cstring_bytes(ORDER_ROUTING_KEY), 1, 0, &props,
			       (amqp_bytes_t){ (size_t)n, body }) != AMQP_STATUS_OK) {
		log_warn("rabbitmq publish failed");
		mq_drop(mq);
		return -1;
	}
	return mq_wait_confirm(mq, tag);
}

int mq_publish_order(struct mq *mq, long long order_id)
{
	return mq_retry(mq, mq_publish_once, order_id);
}
