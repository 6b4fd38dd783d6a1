/* mq.c - RabbitMQ via rabbitmq-c: connection, topology, confirmed publish,
 * consumption with manual acks.
 *
 * Topology (declared by both binaries on every connect, idempotent):
 *   exchange bakery.orders (direct, durable)
 *     -> queue bakery.orders (quorum, x-delivery-limit, dead-letters to)
 *   exchange bakery.orders.dead (fanout, durable)
 *     -> queue bakery.orders.dead (quorum, x-delivery-limit)
 * Each connection has one channel, in confirm mode; a consumer connection
 * also consumes both queues on it (consumer tags "orders" and "dead"). */
#include "mq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#include "clock.h"
#include "log.h"

#define MQ_RETRY_INTERVAL_MS 1000
#define ORDER_EXCHANGE "bakery.orders"
#define ORDER_QUEUE "bakery.orders"
#define ORDER_ROUTING_KEY "order"
#define DEAD_EXCHANGE "bakery.orders.dead"
#define DEAD_QUEUE "bakery.orders.dead"
#define ORDER_CONSUMER_TAG "orders"
#define DEAD_CONSUMER_TAG "dead"
#define MQ_INFLIGHT_MAX 256 /* publishes awaiting their confirm (mq_publish_order_nowait) */

/* A publish awaiting its confirm: the order, and what the broker said. */
enum confirm_state { CONFIRM_WAITING, CONFIRM_ACKED, CONFIRM_REFUSED };

struct mq {
	amqp_connection_state_t conn;
	char *url_buf; /* owns the strings info points into */
	struct amqp_connection_info info;
	int timeout_ms;
	int max_deliveries;
	int prefetch;          /* > 0: a consumer */
	amqp_channel_t channel; /* the one open channel */
	unsigned generation;   /* bumped on every new connection */
	uint64_t next_tag;     /* delivery tag of the next publish on this channel */
	uint64_t oldest_tag;   /* oldest publish not yet handed back by mq_take_confirms */
	long long inflight_id[MQ_INFLIGHT_MAX];          /* by tag % MQ_INFLIGHT_MAX */
	enum confirm_state inflight[MQ_INFLIGHT_MAX];
	struct clock_gate reconnect;
};

/* Unique in the process, so a message's tag is never acked on another
 * connection than its own. */
static unsigned mq_generations;

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
	mq->reconnect = CLOCK_GATE(MQ_RETRY_INTERVAL_MS);
	mq->max_deliveries = max_deliveries;
	return mq;
}

void mq_consume_setup(struct mq *mq, int prefetch)
{
	mq->prefetch = prefetch > 0 ? prefetch : 1;
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
		/* A consumer's unacked messages go back to their queue now. */
		amqp_connection_close(mq->conn, AMQP_REPLY_SUCCESS);
		mq_drop(mq);
	}
	free(mq->url_buf);
	free(mq);
}

/* Logs why the broker closed the channel or connection. */
static void mq_log_close(const amqp_method_t *m, const char *what)
{
	amqp_bytes_t text = amqp_empty_bytes;
	unsigned code = 0;

	if (m->id == AMQP_CHANNEL_CLOSE_METHOD) {
		const amqp_channel_close_t *c = m->decoded;

		code = c->reply_code;
		text = c->reply_text;
	} else if (m->id == AMQP_CONNECTION_CLOSE_METHOD) {
		const amqp_connection_close_t *c = m->decoded;

		code = c->reply_code;
		text = c->reply_text;
	}
	log_warn("rabbitmq %s refused by the broker: %u %.*s", what, code, (int)text.len,
		 text.len ? (const char *)text.bytes : "");
}

/* Checks the last RPC; logs and drops the connection on failure. */
static int mq_check(struct mq *mq, const char *what)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(mq->conn);

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION)
		log_warn("rabbitmq %s failed: %s", what, amqp_error_string2(r.library_error));
	else if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION)
		mq_log_close(&r.reply, what);
	else
		log_warn("rabbitmq %s failed", what);
	mq_drop(mq);
	return -1;
}

/* Opens a fresh channel in confirm mode. */
static int mq_open_channel(struct mq *mq)
{
	mq->channel++;
	amqp_channel_open(mq->conn, mq->channel);
	if (mq_check(mq, "open channel") < 0)
		return -1;
	amqp_confirm_select(mq->conn, mq->channel);
	if (mq_check(mq, "confirm.select") < 0)
		return -1;
	/* Publishes awaiting a confirm on the old channel are forgotten: their
	 * orders stay "not queued", and the relay sends them. */
	mq->next_tag = 1;
	mq->oldest_tag = 1;
	return 0;
}

/* The queue exists with other arguments (another BAKERY_MAX_DELIVERIES, or
 * a queue type of an older release): the broker closed the channel.
 * Acknowledge that, and use the queue as it is rather than stop taking
 * orders. */
static int mq_accept_existing_queue(struct mq *mq, const char *queue)
{
	amqp_channel_close_ok_t ok = { 0 };

	log_warn("rabbitmq queue %s exists with other arguments than quorum,"
		 " x-delivery-limit=%d; using it unchanged", queue, mq->max_deliveries);
	if (amqp_send_method(mq->conn, mq->channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok) !=
		    AMQP_STATUS_OK ||
	    mq_open_channel(mq) < 0) {
		mq_drop(mq);
		return -1;
	}
	amqp_queue_declare(mq->conn, mq->channel, amqp_cstring_bytes(queue), 1, 0, 0, 0,
			   amqp_empty_table);
	return mq_check(mq, "check queue");
}

/* Declares a durable quorum queue with the delivery limit, dead-lettering
 * to dlx unless NULL (then a message over the limit is dropped), and binds
 * it to exchange with key. */
static int mq_declare_queue(struct mq *mq, const char *queue, const char *dlx,
			    const char *exchange, const char *key)
{
	amqp_table_entry_t args[3];
	amqp_table_t table = { dlx ? 3 : 2, args };
	amqp_rpc_reply_t r;

	args[0].key = amqp_cstring_bytes("x-queue-type");
	args[0].value.kind = AMQP_FIELD_KIND_UTF8;
	args[0].value.value.bytes = amqp_cstring_bytes("quorum");
	args[1].key = amqp_cstring_bytes("x-delivery-limit");
	args[1].value.kind = AMQP_FIELD_KIND_I64;
	args[1].value.value.i64 = mq->max_deliveries;
	args[2].key = amqp_cstring_bytes("x-dead-letter-exchange");
	args[2].value.kind = AMQP_FIELD_KIND_UTF8;
	args[2].value.value.bytes = amqp_cstring_bytes(dlx ? dlx : "");
	amqp_queue_declare(mq->conn, mq->channel, amqp_cstring_bytes(queue), 0, 1, 0, 0, table);
	r = amqp_get_rpc_reply(mq->conn);
	if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && r.reply.id == AMQP_CHANNEL_CLOSE_METHOD &&
	    ((amqp_channel_close_t *)r.reply.decoded)->reply_code == AMQP_PRECONDITION_FAILED) {
		if (mq_accept_existing_queue(mq, queue) < 0)
			return -1;
	} else if (mq_check(mq, "declare queue") < 0) {
		return -1;
	}
	amqp_queue_bind(mq->conn, mq->channel, amqp_cstring_bytes(queue),
			amqp_cstring_bytes(exchange), amqp_cstring_bytes(key), amqp_empty_table);
	return mq_check(mq, "bind queue");
}

/* The dead-letter queue has a delivery limit too, without a dead-letter
 * exchange of its own: a dead letter that kills every worker handling it
 * is dropped in the end instead of stopping them all for good. */
static int mq_declare(struct mq *mq)
{
	amqp_exchange_declare(mq->conn, mq->channel, amqp_cstring_bytes(ORDER_EXCHANGE),
			      amqp_cstring_bytes("direct"), 0, 1, 0, 0, amqp_empty_table);
	if (mq_check(mq, "declare exchange") < 0)
		return -1;
	amqp_exchange_declare(mq->conn, mq->channel, amqp_cstring_bytes(DEAD_EXCHANGE),
			      amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
	if (mq_check(mq, "declare dead-letter exchange") < 0)
		return -1;
	if (mq_declare_queue(mq, DEAD_QUEUE, NULL, DEAD_EXCHANGE, "") < 0)
		return -1;
	return mq_declare_queue(mq, ORDER_QUEUE, DEAD_EXCHANGE, ORDER_EXCHANGE, ORDER_ROUTING_KEY);
}

/* Consumer: prefetch per consumer (quorum queues have no global qos),
 * manual acks, both queues on the one channel. */
static int mq_start_consuming(struct mq *mq)
{
	amqp_basic_qos(mq->conn, mq->channel, 0, (uint16_t)mq->prefetch, 0);
	if (mq_check(mq, "basic.qos") < 0)
		return -1;
	amqp_basic_consume(mq->conn, mq->channel, amqp_cstring_bytes(ORDER_QUEUE),
			   amqp_cstring_bytes(ORDER_CONSUMER_TAG), 0, 0, 0, amqp_empty_table);
	if (mq_check(mq, "consume order queue") < 0)
		return -1;
	amqp_basic_consume(mq->conn, mq->channel, amqp_cstring_bytes(DEAD_QUEUE),
			   amqp_cstring_bytes(DEAD_CONSUMER_TAG), 0, 0, 0, amqp_empty_table);
	return mq_check(mq, "consume dead-letter queue");
}

static int mq_open(struct mq *mq)
{
	struct timeval tv = clock_timeval(mq->timeout_ms);
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
	mq->channel = 0;
	if (mq_open_channel(mq) < 0 || mq_declare(mq) < 0)
		return -1;
	if (mq->prefetch > 0 && mq_start_consuming(mq) < 0)
		return -1;
	mq->generation = ++mq_generations;
	return 0;
}

int mq_connect(struct mq *mq)
{
	if (mq->conn)
		return 0;
	if (!clock_gate_pass(&mq->reconnect))
		return -1;
	if (mq_open(mq) < 0)
		return -1;
	log_debug("rabbitmq connected");
	return 0;
}

/* A passive declare only asks about a queue; its declare-ok carries the
 * queue's consumer and ready-message counts. */
static int mq_queue_ask(struct mq *mq, const char *queue, struct mq_queue_info *out)
{
	amqp_queue_declare_ok_t *ok;

	ok = amqp_queue_declare(mq->conn, mq->channel, amqp_cstring_bytes(queue), 1, 0, 0,
				0, amqp_empty_table);
	if (mq_check(mq, "check queue") < 0 || ok == NULL)
		return -1;
	if (out) {
		out->consumers = ok->consumer_count;
		out->messages = ok->message_count;
	}
	return 0;
}

static int mq_ping_once(struct mq *mq, void *arg)
{
	if (mq_connect(mq) < 0)
		return -1;
	return mq_queue_ask(mq, ORDER_QUEUE, arg);
}

/* Both queues, on one connection: arg is struct mq_queue_info[2]. */
static int mq_queues_once(struct mq *mq, void *arg)
{
	struct mq_queue_info *out = arg;

	if (mq_connect(mq) < 0)
		return -1;
	return mq_queue_ask(mq, ORDER_QUEUE, &out[0]) < 0 ? -1 : mq_queue_ask(mq, DEAD_QUEUE, &out[1]);
}

/* Runs op; when it fails because a kept connection had died while idle
 * (broker restart), runs it once more on a fresh connection, which tells
 * that apart from a broker that is really down. */
static int mq_retry(struct mq *mq, int (*op)(struct mq *, void *), void *arg)
{
	int had_conn = mq->conn != NULL;

	if (op(mq, arg) == 0)
		return 0;
	if (!had_conn || mq->conn)
		return -1;
	clock_gate_open(&mq->reconnect);
	return op(mq, arg);
}

int mq_ping(struct mq *mq)
{
	return mq_retry(mq, mq_ping_once, NULL);
}

int mq_order_queue_info(struct mq *mq, struct mq_queue_info *out)
{
	memset(out, 0, sizeof(*out));
	return mq_retry(mq, mq_ping_once, out);
}

int mq_queues_info(struct mq *mq, struct mq_queue_info *orders, struct mq_queue_info *dead)
{
	struct mq_queue_info both[2];
	int rc;

	memset(both, 0, sizeof(both));
	rc = mq_retry(mq, mq_queues_once, both);
	*orders = both[0];
	*dead = both[1];
	return rc;
}

/* Sends {"order_id": N}, persistent and mandatory; *tag is its delivery
 * tag. 0, or -1 with the connection dropped. */
static int mq_send_order(struct mq *mq, long long order_id, uint64_t *tag)
{
	char body[64], msgid[32];
	amqp_basic_properties_t props;
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
	*tag = mq->next_tag++;
	if (amqp_basic_publish(mq->conn, mq->channel, amqp_cstring_bytes(ORDER_EXCHANGE),
			       amqp_cstring_bytes(ORDER_ROUTING_KEY), 1, 0, &props,
			       (amqp_bytes_t){ (size_t)n, body }) != AMQP_STATUS_OK) {
		log_warn("rabbitmq publish failed");
		mq_drop(mq);
		return -1;
	}
	return 0;
}

/* ----------------------------------------------------------- confirms -- */

static void confirm_mark(struct mq *mq, uint64_t tag, int multiple, enum confirm_state st)
{
	uint64_t from = multiple ? mq->oldest_tag : tag;

	for (uint64_t t = from; t <= tag && t < mq->next_tag; t++)
		if (t >= mq->oldest_tag && mq->inflight[t % MQ_INFLIGHT_MAX] == CONFIRM_WAITING)
			mq->inflight[t % MQ_INFLIGHT_MAX] = st;
}

/* A mandatory publish came back unroutable: its content names the order
 * (message id "order-N"), whose ack then does not mean queued. */
static void confirm_returned(struct mq *mq)
{
	amqp_message_t msg;
	amqp_basic_properties_t *p = &msg.properties;
	long long id = 0;

	if (amqp_read_message(mq->conn, mq->channel, &msg, 0).reply_type != AMQP_RESPONSE_NORMAL) {
		mq_drop(mq);
		return;
	}
	if ((p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG) && p->message_id.len > 6 && p->message_id.len < 30) {
		char buf[32];

		memcpy(buf, p->message_id.bytes, p->message_id.len);
		buf[p->message_id.len] = '\0';
		id = strtoll(buf + 6, NULL, 10);
	}
	amqp_destroy_message(&msg);
	log_msg(LL_ERROR, id, "rabbitmq returned the order's publish as unroutable");
	for (uint64_t t = mq->oldest_tag; t < mq->next_tag; t++)
		if (mq->inflight_id[t % MQ_INFLIGHT_MAX] == id)
			mq->inflight[t % MQ_INFLIGHT_MAX] = CONFIRM_REFUSED;
}

/* Reads one frame within tv and applies it to the publishes in flight. 1
 * when one was read, 0 when none came, -1 when the connection is lost. */
static int confirm_read(struct mq *mq, struct timeval *tv)
{
	amqp_frame_t frame;
	int status = amqp_simple_wait_frame_noblock(mq->conn, &frame, tv);

	if (status == AMQP_STATUS_TIMEOUT)
		return 0;
	if (status != AMQP_STATUS_OK) {
		log_warn("rabbitmq confirms not received: %s", amqp_error_string2(status));
		mq_drop(mq);
		return -1;
	}
	if (frame.frame_type != AMQP_FRAME_METHOD)
		return 1;
	switch (frame.payload.method.id) {
	case AMQP_BASIC_ACK_METHOD: {
		amqp_basic_ack_t *a = frame.payload.method.decoded;

		confirm_mark(mq, a->delivery_tag, a->multiple, CONFIRM_ACKED);
		break;
	}
	case AMQP_BASIC_NACK_METHOD: {
		amqp_basic_nack_t *n = frame.payload.method.decoded;

		log_warn("rabbitmq refused publish %llu", (unsigned long long)n->delivery_tag);
		confirm_mark(mq, n->delivery_tag, n->multiple, CONFIRM_REFUSED);
		break;
	}
	case AMQP_BASIC_RETURN_METHOD:
		confirm_returned(mq);
		break;
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		mq_log_close(&frame.payload.method, "publish");
		mq_drop(mq);
		return -1;
	default:
		break;
	}
	return mq->conn ? 1 : -1;
}

/* Publishes order_id and waits for its confirm, frame by frame through
 * confirm_read (so an unroutable return or a refusal counts as it does for
 * the confirms taken later): 0 when the broker has it queued. For a
 * connection that publishes this way only (the relay): the confirm is not
 * handed to mq_take_confirms. */
static int mq_publish_once(struct mq *mq, void *arg)
{
	long long order_id = *(const long long *)arg;
	struct timeval tv = clock_timeval(mq->timeout_ms);
	uint64_t tag;
	int slot, rc = 1;

	if (mq_send_order(mq, order_id, &tag) < 0)
		return -1;
	slot = (int)(tag % MQ_INFLIGHT_MAX);
	mq->inflight_id[slot] = order_id;
	mq->inflight[slot] = CONFIRM_WAITING;
	while (mq->conn && mq->inflight[slot] == CONFIRM_WAITING && rc > 0)
		rc = confirm_read(mq, &tv);
	if (rc == 0) {
		log_msg(LL_WARN, order_id, "rabbitmq confirm of the order's publish not received in time");
		mq_drop(mq);
	}
	if (mq->conn == NULL)
		return -1;
	mq->oldest_tag = mq->next_tag;
	return mq->inflight[slot] == CONFIRM_ACKED ? 0 : -1;
}

int mq_publish_order(struct mq *mq, long long order_id)
{
	return mq_retry(mq, mq_publish_once, &order_id);
}

int mq_take_confirms(struct mq *mq, long long *ids, int max, int wait_ms)
{
	struct timeval wait = clock_timeval(wait_ms), none = { 0, 0 };
	int n = 0, waited = 0;

	while (mq->conn && mq->oldest_tag < mq->next_tag && n < max) {
		int slot = (int)(mq->oldest_tag % MQ_INFLIGHT_MAX), rc;

		if (mq->inflight[slot] != CONFIRM_WAITING) {
			if (mq->inflight[slot] == CONFIRM_ACKED)
				ids[n++] = mq->inflight_id[slot];
			mq->oldest_tag++;
			continue;
		}
		rc = confirm_read(mq, waited || wait_ms <= 0 ? &none : &wait);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (waited || wait_ms <= 0)
				break;
			waited = 1;
		}
	}
	return n;
}

int mq_confirm_fd(const struct mq *mq)
{
	if (mq->conn == NULL || mq->oldest_tag >= mq->next_tag)
		return -1;
	return amqp_get_sockfd(mq->conn);
}

int mq_publish_order_nowait(struct mq *mq, long long order_id)
{
	uint64_t tag;

	int had_conn;

	if (mq->conn && mq->next_tag - mq->oldest_tag >= MQ_INFLIGHT_MAX) {
		log_warn("rabbitmq: %d publishes unconfirmed; the next order waits for the relay",
			 MQ_INFLIGHT_MAX);
		return -1;
	}
	had_conn = mq->conn != NULL;
	if (mq_send_order(mq, order_id, &tag) < 0) {
		/* As mq_retry: a kept connection found dead gets one fresh try. */
		if (!had_conn || mq->conn)
			return -1;
		clock_gate_open(&mq->reconnect);
		if (mq_send_order(mq, order_id, &tag) < 0)
			return -1;
	}
	mq->inflight_id[tag % MQ_INFLIGHT_MAX] = order_id;
	mq->inflight[tag % MQ_INFLIGHT_MAX] = CONFIRM_WAITING;
	return 0;
}

/* ------------------------------------------------------------ consume -- */

static void copy_bytes(char *dst, size_t dstlen, amqp_bytes_t src)
{
	size_t n = src.len < dstlen - 1 ? src.len : dstlen - 1;

	if (n)
		memcpy(dst, src.bytes, n);
	dst[n] = '\0';
}

static int bytes_is(amqp_bytes_t b, const char *s)
{
	size_t n = strlen(s);

	return b.len == n && memcmp(b.bytes, s, n) == 0;
}

/* An integer header of any AMQP width; -1 when it is not an integer. */
static long field_int(const amqp_field_value_t *v)
{
	switch (v->kind) {
	case AMQP_FIELD_KIND_I8: return v->value.i8;
	case AMQP_FIELD_KIND_U8: return v->value.u8;
	case AMQP_FIELD_KIND_I16: return v->value.i16;
	case AMQP_FIELD_KIND_U16: return v->value.u16;
	case AMQP_FIELD_KIND_I32: return v->value.i32;
	case AMQP_FIELD_KIND_U32: return (long)v->value.u32;
	case AMQP_FIELD_KIND_I64: return (long)v->value.i64;
	case AMQP_FIELD_KIND_U64: return (long)v->value.u64;
	default: return -1;
	}
}

static void mq_read_headers(struct mq_message *m, const amqp_table_t *h)
{
	for (int i = 0; i < h->num_entries; i++) {
		const amqp_table_entry_t *e = &h->entries[i];

		if (bytes_is(e->key, "x-delivery-count")) {
			long n = field_int(&e->value);

			m->delivery_count = n > 0 ? n : 0;
		} else if (bytes_is(e->key, "x-first-death-reason") &&
			   (e->value.kind == AMQP_FIELD_KIND_UTF8 ||
			    e->value.kind == AMQP_FIELD_KIND_BYTES)) {
			copy_bytes(m->death_reason, sizeof(m->death_reason), e->value.value.bytes);
		}
	}
}

static void mq_message_fill(const struct mq *mq, struct mq_message *m, const amqp_envelope_t *env)
{
	const amqp_basic_properties_t *p = &env->message.properties;
	amqp_bytes_t body = env->message.body;

	memset(m, 0, sizeof(*m));
	m->delivery_tag = env->delivery_tag;
	m->generation = mq->generation;
	m->dead = bytes_is(env->consumer_tag, DEAD_CONSUMER_TAG);
	m->redelivered = env->redelivered != 0;
	m->body_len = body.len;
	copy_bytes(m->body, sizeof(m->body), body);
	if (p->_flags & AMQP_BASIC_MESSAGE_ID_FLAG)
		copy_bytes(m->message_id, sizeof(m->message_id), p->message_id);
	if (p->_flags & AMQP_BASIC_HEADERS_FLAG)
		mq_read_headers(m, &p->headers);
}

/* A frame other than a delivery arrived: 0 if harmless, -1 (connection
 * dropped) if the broker closed the channel or cancelled a consumer. */
static int mq_other_frame(struct mq *mq)
{
	struct timeval tv = clock_timeval(mq->timeout_ms);
	amqp_frame_t frame;
	int status = amqp_simple_wait_frame_noblock(mq->conn, &frame, &tv);

	if (status != AMQP_STATUS_OK) {
		log_warn("rabbitmq read failed: %s", amqp_error_string2(status));
		mq_drop(mq);
		return -1;
	}
	if (frame.frame_type != AMQP_FRAME_METHOD)
		return 0;
	switch (frame.payload.method.id) {
	case AMQP_CHANNEL_CLOSE_METHOD:
	case AMQP_CONNECTION_CLOSE_METHOD:
		mq_log_close(&frame.payload.method, "consume");
		mq_drop(mq);
		return -1;
	case AMQP_BASIC_CANCEL_METHOD:
		/* A queue was deleted: reconnect, which declares it again. */
		log_warn("rabbitmq cancelled the consumer; reconnecting");
		mq_drop(mq);
		return -1;
	default:
		return 0;
	}
}

int mq_next(struct mq *mq, struct mq_message *msg, int timeout_ms)
{
	struct timeval tv = clock_timeval(timeout_ms);
	amqp_envelope_t env;
	amqp_rpc_reply_t r;

	if (mq->conn == NULL)
		return -1;
	amqp_maybe_release_buffers(mq->conn);
	r = amqp_consume_message(mq->conn, &env, &tv, 0);
	if (r.reply_type == AMQP_RESPONSE_NORMAL) {
		mq_message_fill(mq, msg, &env);
		amqp_destroy_envelope(&env);
		return 1;
	}
	if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION) {
		if (r.library_error == AMQP_STATUS_TIMEOUT)
			return 0;
		if (r.library_error == AMQP_STATUS_UNEXPECTED_STATE)
			return mq_other_frame(mq);
		log_warn("rabbitmq consume failed: %s", amqp_error_string2(r.library_error));
	} else {
		log_warn("rabbitmq consume failed");
	}
	mq_drop(mq);
	return -1;
}

/* 0 when msg's tag is valid on the current connection. */
static int mq_same_connection(const struct mq *mq, const struct mq_message *msg)
{
	if (mq->conn && msg->generation == mq->generation)
		return 0;
	log_warn("rabbitmq connection of delivery %llu is gone; the broker redelivers it",
		 (unsigned long long)msg->delivery_tag);
	return -1;
}

static int mq_ack_tag(struct mq *mq, const struct mq_message *msg, int multiple)
{
	if (mq_same_connection(mq, msg) < 0)
		return -1;
	if (amqp_basic_ack(mq->conn, mq->channel, msg->delivery_tag, multiple) != AMQP_STATUS_OK) {
		log_warn("rabbitmq ack of delivery %llu failed", (unsigned long long)msg->delivery_tag);
		mq_drop(mq);
		return -1;
	}
	return 0;
}

int mq_ack(struct mq *mq, const struct mq_message *msg)
{
	return mq_ack_tag(mq, msg, 0);
}

int mq_ack_through(struct mq *mq, const struct mq_message *msg)
{
	return mq_ack_tag(mq, msg, 1);
}

int mq_reject(struct mq *mq, const struct mq_message *msg, int requeue)
{
	if (mq_same_connection(mq, msg) < 0)
		return -1;
	if (amqp_basic_reject(mq->conn, mq->channel, msg->delivery_tag, requeue != 0) !=
	    AMQP_STATUS_OK) {
		log_warn("rabbitmq reject of delivery %llu failed",
			 (unsigned long long)msg->delivery_tag);
		mq_drop(mq);
		return -1;
	}
	return 0;
}
