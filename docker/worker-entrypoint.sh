#!/bin/sh
# Container entry point of the worker service: build AMQP_URL from its parts
# (app-env.sh), then run the worker in the foreground.
set -eu
. /usr/lib/bakery/app-env.sh
exec /usr/bin/bakery-worker "$@"
