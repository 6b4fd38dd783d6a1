# Sourced (POSIX sh) by the api and worker entry points.
#
# The C programs read RabbitMQ's address from AMQP_URL only. Compose passes
# its parts instead (AMQP_HOST, AMQP_PORT, AMQP_USER, AMQP_PASSWORD,
# AMQP_VHOST), and this builds the URL with user, password and vhost
# percent-encoded, so a password with @ : / % or any other byte cannot break
# it (rabbitmq-c's amqp_parse_url decodes %XX). An AMQP_URL that is set
# wins. PostgreSQL needs no such step: with DATABASE_URL="" libpq (and psql
# in migrate.sh) take the PG* variables as they are.

# Every ASCII byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~) as
# %XX. Bytes from 0x80 up (UTF-8 beyond ASCII) stay as they are: rabbitmq-c
# refuses %80-%FF (it compares with a signed CHAR_MAX) but takes them raw,
# and none of them is one of its delimiters.
bakery_pct_encode() {
	printf '%s' "$1" | od -An -v -tx1 | tr -s ' ' '\n' | tr a-f A-F | while read -r h; do
		case $h in
		'') ;;
		3[0-9] | 4[1-9A-F] | 5[0-9A] | 6[1-9A-F] | 7[0-9A] | 2D | 2E | 5F | 7E | [89A-F]?)
			# shellcheck disable=SC2059  # the format is the octal escape of the byte
			printf "\\$(printf '%03o' "0x$h")" ;;
		*) printf '%%%s' "$h" ;;
		esac
	done
}

if [ -z "${AMQP_URL:-}" ] && [ -n "${AMQP_HOST:-}" ]; then
	AMQP_URL="amqp://$(bakery_pct_encode "${AMQP_USER:-guest}"):$(bakery_pct_encode "${AMQP_PASSWORD:-}")@${AMQP_HOST}:${AMQP_PORT:-5672}/$(bakery_pct_encode "${AMQP_VHOST:-/}")"
	export AMQP_URL
	unset AMQP_PASSWORD
fi
