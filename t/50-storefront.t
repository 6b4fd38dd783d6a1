#!/bin/sh
# Storefront in headless Chromium: catalogue, filter, cart, phone layout,
# accessibility, CSP. The test itself is t/browser/storefront.mjs.
exec node "$(dirname "$0")/browser/storefront.mjs"
