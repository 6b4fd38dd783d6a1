#!/bin/sh
# Container entry point of the nginx service: render the one template with
# the container's addresses and limits, send logs to the container's output,
# run nginx in the foreground (the template says daemon off).
set -eu
# Order rate limits per client address (see nginx/bakery.conf.in).
: "${BAKERY_ORDER_RATE:=10r/s}" "${BAKERY_ORDER_BURST:=20}" "${BAKERY_ORDER_CONN:=10}" "${BAKERY_LOGIN_RATE:=10r/m}"
export BAKERY_ORDER_RATE BAKERY_ORDER_BURST BAKERY_ORDER_CONN BAKERY_LOGIN_RATE
mkdir -p "$BAKERY_VAR/run" "$BAKERY_VAR/log" "$BAKERY_VAR/nginx"
ln -sf /dev/stderr "$BAKERY_VAR/log/nginx-error.log"
ln -sf /dev/stdout "$BAKERY_VAR/log/nginx-access.log"
envsubst '${BAKERY_HTTP_LISTEN} ${BAKERY_VAR} ${BAKERY_WWW} ${BAKERY_UPSTREAM} ${BAKERY_ORDER_RATE} ${BAKERY_ORDER_BURST} ${BAKERY_ORDER_CONN} ${BAKERY_LOGIN_RATE}' \
	< /usr/share/bakery/nginx/bakery.conf.in > "$BAKERY_VAR/nginx/nginx.conf"
exec nginx -p "$BAKERY_VAR/nginx/" -c "$BAKERY_VAR/nginx/nginx.conf" -e "$BAKERY_VAR/log/nginx-error.log"
