#!/bin/sh
# Every staff page at 375 px wide, labelled, focus ring, contrast, CSP.
# See t/browser/staff-pages.mjs.
exec node "$(dirname "$0")/browser/staff-pages.mjs"
