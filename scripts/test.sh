#!/usr/bin/env bash
# make test: start an isolated stack (its own ports and ./var/test), run every
# test with prove, always tear the stack down, fail on any failure or on any
# sanitizer report in the service logs.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"

set -a
# shellcheck source=test-stack.env
. scripts/test-stack.env
REDIS_URL=redis://127.0.0.1:$BAKERY_REDIS_PORT/0
AMQP_URL=amqp://bakery:bakery@127.0.0.1:$BAKERY_AMQP_PORT/bakery
BAKERY_URL=http://127.0.0.1:$BAKERY_HTTP_PORT
# The default users get: the worker keeps many orders in payment at once.
BAKERY_PAYMENT_DELAY_MS=${BAKERY_PAYMENT_DELAY_MS:-500}
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
set +a

# As root, PostgreSQL runs as the postgres user and nginx, the api and the
# worker as an unprivileged one (bakery), which must be able to reach the
# state directory, the storefront and the binaries: a clone inside a private
# directory (mode 0700, as /root or mktemp makes them) is not reachable, so
# the test stack then lives under /tmp, with a copy of www/ and the test
# binaries (`nobody` stands for any unprivileged user).
STAGE=
if [ "$(id -u)" -eq 0 ] && ! runuser -u nobody -- test -x "$REPO/scripts" 2>/dev/null; then
	BAKERY_VAR=/tmp/bakery-test-$(printf '%s' "$REPO" | md5sum | cut -c1-8)
	STAGE=$BAKERY_VAR.app
	export BAKERY_VAR
	echo "bakery: $REPO is not reachable by unprivileged users; test stack under $BAKERY_VAR, programs from $STAGE"
fi

cleanup() {
	scripts/stack.sh down >/dev/null 2>&1 || scripts/stack.sh down
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every run starts from an empty stack: tests never depend on a previous run.
scripts/stack.sh down >/dev/null 2>&1 || true
rm -rf "$BAKERY_VAR"
if [ -n "$STAGE" ]; then
	rm -rf "$STAGE" && mkdir -p "$STAGE/bin" && chmod 0755 "$STAGE" "$STAGE/bin" &&
		cp -R "$BAKERY_BIN/bakery-api" "$BAKERY_BIN/bakery-worker" "$BAKERY_BIN/t" "$STAGE/bin/" &&
		cp -R www "$STAGE/www" && chmod -R a+rX "$STAGE" || exit 1
	export BAKERY_BIN=$STAGE/bin BAKERY_WWW=$STAGE/www
fi
scripts/stack.sh up || exit 1
# DATABASE_URL carries the password `up` generated (and BAKERY_URL as above).
eval "$(scripts/stack.sh env)"

mkdir -p t/out
prove -r --timer t/
rc=$?

if grep -lE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$BAKERY_VAR"/log/*.log 2>/dev/null; then
	echo "bakery: sanitizer reports in the logs above" >&2
	grep -hE -A20 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$BAKERY_VAR"/log/*.log | head -80 >&2
	rc=1
fi
exit $rc
