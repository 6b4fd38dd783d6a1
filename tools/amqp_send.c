/* amqp_send.c - a test tool: amqp-publish (amqp-tools) with the one thing
 * it cannot do, a message id. Publishes stdin as one persistent message and
 * exits 0 once the broker has confirmed it, 1 otherwise.
 *
 *   amqp-send -u AMQP_URL -e EXCHANGE -r ROUTING_KEY [-m MESSAGE_ID]
 *             [-H 'name: value'] < body
 *
 * The tests use it (t/lib/WorkerTest.pm) to send what the responder would
 * send, and what it never would, without Erlang terms through rabbitmqctl. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>

#define BODY_MAX (1024 * 1024)
#define TIMEOUT_S 30

struct send_args {
	const char *url, *exchange, *key, *message_id;
	char header_name[128];
	const char *header_value;
};

static int usage(void)
{
	fprintf(stderr, "usage: amqp-send -u AMQP_URL -e EXCHANGE -r ROUTING_KEY"
		" [-m MESSAGE_ID] [-H 'name: value'] < body\n");
	return 1;
}

static int parse_header(struct send_args *a, const char *h)
{
	const char *colon = strchr(h, ':');

	if (colon == NULL || colon == h || (size_t)(colon - h) >= sizeof(a->header_name))
		return -1;
	memcpy(a->header_name, h, (size_t)(colon - h));
	a->header_name[colon - h] = '\0';
	a->header_value = colon + 1 + strspn(colon + 1, " ");
	return 0;
}

static int parse_args(int argc, char **argv, struct send_args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	while ((c = getopt(argc, argv, "u:e:r:m:H:")) != -1) {
		switch (c) {
		case 'u': a->url = optarg; break;
		case 'e': a->exchange = optarg; break;
		case 'r': a->key = optarg; break;
		case 'm': a->message_id = optarg; break;
		case 'H':
			if (parse_header(a, optarg) < 0)
				return -1;
			break;
		default: return -1;
		}
	}
	return a->url && a->exchange && a->key && optind == argc ? 0 : -1;
}

/* stdin, whole: malloc'd (caller frees) with its length, or NULL. */
static char *read_body(size_t *len)
{
	char *buf = malloc(BODY_MAX);

	if (buf == NULL)
		return NULL;
	*len = fread(buf, 1, BODY_MAX, stdin);
	if (ferror(stdin) || !feof(stdin)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int rpc_ok(amqp_connection_state_t conn, const char *what)
{
	amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);

	if (r.reply_type == AMQP_RESPONSE_NORMAL)
		return 0;
	fprintf(stderr, "amqp-send: %s failed\n", what);
	return -1;
}

static int open_channel(amqp_connection_state_t conn, const struct amqp_connection_info *ci)
{
	amqp_socket_t *sock = amqp_tcp_socket_new(conn);
	struct timeval tv = { TIMEOUT_S, 0 };
	amqp_rpc_reply_t login;

	if (sock == NULL || amqp_socket_open_noblock(sock, ci->host, ci->port, &tv) != AMQP_STATUS_OK) {
		fprintf(stderr, "amqp-send: cannot connect to %s:%d\n", ci->host, ci->port);
		return -1;
	}
	login = amqp_login(conn, ci->vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN,
			   ci->user, ci->password);
	if (login.reply_type != AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "amqp-send: login refused\n");
		return -1;
	}
	amqp_channel_open(conn, 1);
	if (rpc_ok(conn, "channel.open") < 0)
		return -1;
	amqp_confirm_select(conn, 1);
	return rpc_ok(conn, "confirm.select");
}

static int publish(amqp_connection_state_t conn, const struct send_args *a,
		   const char *body, size_t len)
{
	amqp_basic_properties_t props;
	amqp_table_entry_t entry;

	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
	props.delivery_mode = AMQP_DELIVERY_PERSISTENT;
	if (a->message_id) {
		props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
		props.message_id = amqp_cstring_bytes(a->message_id);
	}
	if (a->header_value) {
		entry.key = amqp_cstring_bytes(a->header_name);
		entry.value.kind = AMQP_FIELD_KIND_UTF8;
		entry.value.value.bytes = amqp_cstring_bytes(a->header_value);
		props._flags |= AMQP_BASIC_HEADERS_FLAG;
		props.headers = (amqp_table_t){ 1, &entry };
	}
	return amqp_basic_publish(conn, 1, amqp_cstring_bytes(a->exchange),
				  amqp_cstring_bytes(a->key), 0, 0, &props,
				  (amqp_bytes_t){ len, (void *)body }) == AMQP_STATUS_OK ? 0 : -1;
}

/* 0 when the broker acks the one message of this channel. */
static int confirmed(amqp_connection_state_t conn)
{
	struct timeval tv = { TIMEOUT_S, 0 };
	amqp_frame_t frame;

	for (;;) {
		if (amqp_simple_wait_frame_noblock(conn, &frame, &tv) != AMQP_STATUS_OK)
			return -1;
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;
		if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD)
			return 0;
		if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD ||
		    frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
		    frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD)
			return -1;
	}
}

int main(int argc, char **argv)
{
	struct send_args a;
	struct amqp_connection_info ci;
	amqp_connection_state_t conn;
	char *url, *body;
	size_t len;
	int rc = 1;

	if (parse_args(argc, argv, &a) < 0)
		return usage();
	url = strdup(a.url);
	body = read_body(&len);
	if (url == NULL || body == NULL || amqp_parse_url(url, &ci) != AMQP_STATUS_OK) {
		fprintf(stderr, "amqp-send: bad AMQP URL, or no body on stdin\n");
		free(url);
		free(body);
		return 1;
	}
	conn = amqp_new_connection();
	if (conn && open_channel(conn, &ci) == 0 && publish(conn, &a, body, len) == 0 &&
	    confirmed(conn) == 0)
		rc = 0;
	else
		fprintf(stderr, "amqp-send: the broker did not confirm the message\n");
	if (conn) {
		amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
		amqp_destroy_connection(conn);
	}
	free(url);
	free(body);
	return rc;
}
