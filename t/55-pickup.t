#!/bin/sh
# The storefront's branch and pickup slot in headless Chromium: chosen,
# remembered, shown on the order page and My orders; full slots disabled;
# a slot that fills meanwhile refused clearly; keyboard and 375 px.
# See t/browser/pickup.mjs.
exec node "$(dirname "$0")/browser/pickup.mjs"
