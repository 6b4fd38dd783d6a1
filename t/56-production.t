#!/bin/sh
# The bakers' day in headless Chromium: the production list per product and
# slot, printed on one A4 page; pickups per slot and "Mark collected".
# See t/browser/production.mjs.
exec node "$(dirname "$0")/browser/production.mjs"
