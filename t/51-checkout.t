#!/bin/sh
# Checkout and order tracking in headless Chromium: validation, API errors,
# idempotency, completed and declined orders. See t/browser/checkout.mjs.
exec node "$(dirname "$0")/browser/checkout.mjs"
