#!/usr/bin/env bash
# Apply the schema migrations of Bakery to $DATABASE_URL.
#
#   DATABASE_URL=postgresql://bakery@127.0.0.1:5433/bakery scripts/migrate.sh
#
# * Applies schema/NNN_*.sql (NNN = three digits) in order, each file in its own
#   transaction (psql -v ON_ERROR_STOP=1 --single-transaction) together with its
#   row in schema_migrations(version text primary key, applied_at timestamptz);
#   the version is the file name without ".sql" (e.g. "001_init").
#   A file must not contain its own BEGIN/COMMIT.
# * Files already recorded are skipped: re-running is a no-op, and adding
#   002_*.sql upgrades an existing database. Two files with the same NNN prefix
#   are refused.
# * Then, only if the products table exists and is empty, applies
#   schema/seed.sql (in one transaction).
# * Safe to run concurrently against one database (advisory lock per step).
#
# Environment: DATABASE_URL (required; "" means libpq's PG* variables, as in
#              the containers), PSQL (default: psql),
#              BAKERY_SCHEMA_DIR (default: <repo>/schema).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
SCHEMA_DIR=${BAKERY_SCHEMA_DIR:-$REPO/schema}
PSQL=${PSQL:-psql}
LOCK_KEY=7231993  # pg_advisory_xact_lock key shared by all bakery migrations

die() { printf 'migrate: %s\n' "$*" >&2; exit 1; }
[[ -n ${DATABASE_URL+set} ]] || die "DATABASE_URL is not set (\"\" to use the PG* variables)"
[[ -d $SCHEMA_DIR ]] || die "no schema directory $SCHEMA_DIR"
command -v "$PSQL" >/dev/null || die "psql not found (Debian package postgresql-client)"

# psql with no ~/.psqlrc, stop at the first error, quiet, no pager
psql_() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -P pager=off --no-password -d "$DATABASE_URL" "$@"; }

# Paths reach psql's \i through a psql variable (\i :file), so spaces are
# fine; only a newline would break the generated script.
check_path() {
    [[ $1 != *$'\n'* ]] || die "unsupported character in path: $1"
}

shopt -s nullglob
files=("$SCHEMA_DIR"/[0-9][0-9][0-9]_*.sql)   # glob order = numeric order
shopt -u nullglob

declare -A seen=()
for f in "${files[@]}"; do
    base=${f##*/}
    prefix=${base:0:3}
    if [[ -n ${seen[$prefix]:-} ]]; then
        die "two migrations share the number $prefix: ${seen[$prefix]} and $base"
    fi
    seen[$prefix]=$base
    check_path "$f"
done

psql_ <<SQL
SET client_min_messages = warning;
SELECT pg_advisory_lock($LOCK_KEY) \\gset
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
SELECT pg_advisory_unlock($LOCK_KEY) \\gset
SQL

applied=$(psql_ -At -c 'SELECT version FROM schema_migrations ORDER BY version')
declare -A done_=()
while IFS= read -r v; do [[ -n $v ]] && done_[$v]=1; done <<<"$applied"

n_new=0
for f in "${files[@]}"; do
    base=${f##*/}
    version=${base%.sql}
    [[ -n ${done_[$version]:-} ]] && continue
    # Re-checked under the lock: a concurrent run may have applied it meanwhile.
    out=$(psql_ --single-transaction -v version="$version" -v file="$f" -f - <<SQL
SELECT pg_advisory_xact_lock($LOCK_KEY) \\gset
SELECT NOT EXISTS (SELECT FROM schema_migrations WHERE version = :'version') AS todo \\gset
\\if :todo
\\i :file
INSERT INTO schema_migrations (version) VALUES (:'version');
\\echo applied
\\endif
SQL
    ) || die "$base failed; nothing of it was applied"
    if [[ $out == *applied ]]; then
        echo "migrate: applied $base"
        n_new=$((n_new + 1))
    fi
done
total=$(psql_ -At -c 'SELECT count(*) FROM schema_migrations')
if ((n_new == 0)); then
    echo "migrate: schema up to date ($total migrations applied)"
fi

seed=$SCHEMA_DIR/seed.sql
if [[ -f $seed ]]; then
    check_path "$seed"
    out=$(psql_ --single-transaction -v file="$seed" -f - <<SQL
SELECT pg_advisory_xact_lock($LOCK_KEY) \\gset
SELECT to_regclass('products') IS NOT NULL AS has_products \\gset
\\if :has_products
SELECT NOT EXISTS (SELECT FROM products) AS empty \\gset
\\if :empty
\\i :file
\\echo seeded
\\else
\\echo not-empty
\\endif
\\else
\\echo no-table
\\endif
SQL
    ) || die "seed.sql failed; nothing of it was applied"
    case $out in
        *seeded) echo "migrate: applied seed.sql (products was empty)" ;;
        *not-empty) echo "migrate: seed skipped (products is not empty)" ;;
        *no-table) echo "migrate: seed skipped (no products table)" ;;
    esac
fi
