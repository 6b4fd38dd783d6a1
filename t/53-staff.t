#!/bin/sh
# Staff pages in headless Chromium doing their job: price change, refund,
# product off sale, each seen where the customer looks; errors; dashboard.
# See t/browser/staff.mjs.
exec node "$(dirname "$0")/browser/staff.mjs"
