#!/bin/sh
# Container entry point of the nginx service: render the one template with
# the container's addresses and limits, send logs to the container's output, run nginx
# in the foreground (the template says daemon off). The image runs this as
# an unprivileged user, listening on an unprivileged port (8080).
#
# BAKERY_UPSTREAM (api:9000) is resolved per request through BAKERY_RESOLVER,
# Docker's embedded DNS by default: nginx starts before the api is up,
# follows a recreated api, and spreads requests over `--scale api=N`.
# BAKERY_NGINX_TEMPLATE lets the tests render the repository's template.
set -eu
: "${BAKERY_RESOLVER=resolver 127.0.0.11 valid=10s ipv6=off;}"
: "${BAKERY_NGINX_TEMPLATE:=/usr/share/bakery/nginx/bakery.conf.in}"
export BAKERY_RESOLVER
# Order and login rate limits per client address (see nginx/bakery.conf.in).
: "${BAKERY_ORDER_RATE:=10r/s}" "${BAKERY_ORDER_BURST:=20}" "${BAKERY_ORDER_CONN:=10}" "${BAKERY_LOGIN_RATE:=10r/m}" "${BAKERY_LOGIN_BURST:=5}"
export BAKERY_ORDER_RATE BAKERY_ORDER_BURST BAKERY_ORDER_CONN BAKERY_LOGIN_RATE BAKERY_LOGIN_BURST
mkdir -p "$BAKERY_VAR/run" "$BAKERY_VAR/log" "$BAKERY_VAR/nginx"
ln -sf /dev/stderr "$BAKERY_VAR/log/nginx-error.log"
ln -sf /dev/stdout "$BAKERY_VAR/log/nginx-access.log"
# The variables substituted, one a line.
# shellcheck disable=SC2016  # literal ${...}: the list of variables to substitute
envsubst '
${BAKERY_HTTP_LISTEN}
${BAKERY_VAR}
${BAKERY_WWW}
${BAKERY_UPSTREAM}
${BAKERY_RESOLVER}
${BAKERY_ORDER_RATE}
${BAKERY_ORDER_BURST}
${BAKERY_ORDER_CONN}
${BAKERY_LOGIN_RATE}
${BAKERY_LOGIN_BURST}
' <"$BAKERY_NGINX_TEMPLATE" >"$BAKERY_VAR/nginx/nginx.conf"
exec nginx -p "$BAKERY_VAR/nginx/" -c "$BAKERY_VAR/nginx/nginx.conf" -e "$BAKERY_VAR/log/nginx-error.log" "$@"
