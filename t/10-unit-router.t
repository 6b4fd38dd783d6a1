#!/bin/sh
# C unit tests of the router module (TAP printed by the test binary).
exec "${BAKERY_BIN:?run with make test}/t/test_router"
