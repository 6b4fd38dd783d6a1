#!/bin/sh
# C unit tests of the order body validator (TAP printed by the test binary).
exec "${BAKERY_BIN:?run with make test}/t/test_order_input"
