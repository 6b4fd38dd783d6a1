#!/bin/sh
# Order tokens stay out of every log and out of the URLs the browser sends
# (issue 10, point 6). The test itself is t/browser/tokens.mjs.
exec node "$(dirname "$0")/browser/tokens.mjs"
