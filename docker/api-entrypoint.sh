#!/bin/sh
# Container entry point of the api service: build AMQP_URL from its parts
# (app-env.sh), apply pending migrations (safe when several replicas start at
# once: migrate.sh takes an advisory lock), then run the responder pool in
# the foreground.
set -eu
. /usr/lib/bakery/app-env.sh
/usr/share/bakery/migrate.sh
exec /usr/bin/bakery-api --listen "${BAKERY_LISTEN}" --processes "${BAKERY_PROCESSES:-8}"
