#!/bin/sh
# Staff edit what customers see of a bakery with branches: allergens and
# dietary tags (badges and filter on the storefront), a branch's capacity,
# hours and stock. See t/browser/staff-branches.mjs.
exec node "$(dirname "$0")/browser/staff-branches.mjs"
