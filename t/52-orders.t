#!/bin/sh
# Order page and My orders in headless Chromium: cancel, live status with
# backoff, shareable link. See t/browser/orders.mjs.
exec node "$(dirname "$0")/browser/orders.mjs"
