#!/usr/bin/env bash
# Installs the Debian packages Bakery needs to build, run and test, and only
# those that are missing. Idempotent: with everything present it only checks.
set -euo pipefail

# build: compiler, pkg-config and the five client libraries
# stack: the servers, spawn-fcgi, supervisor (runs them all), envsubst (gettext-base), curl, ps
# tests: prove (perl), DBD::Pg (the helpers' SQL), amqp-publish (amqp-tools,
#        the helpers' raw messages); sanitizer runtimes come with gcc; the browser tests
#        (t/5x-*.t) need Debian's chromium and node, and playwright-core
#        from npm (package-lock.json) in ./node_modules, installed below;
#        the deployment tests (t/6x-*.t) need lighttpd (the CGI example),
#        docker-compose (only to validate docker-compose.yml) and systemd
#        (systemd-analyze verify; no systemd is started); graphviz, as
#        t/68-architecture-svg.t renders docs/architecture.dot.
# docs: graphviz's dot (make docs renders docs/architecture.svg).
# bench: wrk (HTTP load, make bench and make soak); pgbench comes with the
#        postgresql server package on Debian (postgresql-15)
# usage: deps.sh          what building and running need (make run/up)
#        deps.sh --test   that, plus what the tests need (make test)
#        deps.sh --docs   that, plus what `make docs` needs
#        deps.sh --bench  that, plus what make bench and make soak need
PACKAGES=(
	gcc make pkg-config libc6-dev
	libfcgi-dev libpq-dev librabbitmq-dev libcjson-dev libhiredis-dev libcrypt-dev
	postgresql redis-server rabbitmq-server nginx spawn-fcgi supervisor
	gettext-base curl procps
)
TEST_PACKAGES=(perl libdbd-pg-perl amqp-tools chromium nodejs lighttpd docker-compose systemd graphviz)
DOCS_PACKAGES=(graphviz)
BENCH_PACKAGES=(wrk perl libdbd-pg-perl amqp-tools)
REPO=$(cd "$(dirname "$0")/.." && pwd)
WITH_TESTS=0
case ${1:-} in
	--test) WITH_TESTS=1; PACKAGES+=("${TEST_PACKAGES[@]}") ;;
	--docs) PACKAGES+=("${DOCS_PACKAGES[@]}") ;;
	--bench) PACKAGES+=("${BENCH_PACKAGES[@]}") ;;
	"") ;;
	*) echo "usage: deps.sh [--test|--docs|--bench]" >&2; exit 2 ;;
esac

# playwright-core as pinned in package-lock.json, into $REPO/node_modules;
# only when it is missing or another version. Needs node and npm.
npm_deps() {
	local want have
	((WITH_TESTS)) || return 0
	want=$(node -e 'const l = require(process.argv[1]); console.log(l.packages["node_modules/playwright-core"].version)' \
		"$REPO/package-lock.json")
	have=$(node -e 'try { console.log(require(process.argv[1]).version) } catch { console.log("") }' \
		"$REPO/node_modules/playwright-core/package.json")
	[ "$have" = "$want" ] && return 0
	echo "bakery: installing playwright-core $want from npm into node_modules"
	(cd "$REPO" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
}

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done
# Debian's npm is its own package; NodeSource's nodejs bundles npm and
# conflicts with it, so ask for the package only when there is no npm.
((WITH_TESTS == 0)) || command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
	npm_deps
	exit 0
fi

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "bakery: missing Debian packages: ${missing[*]}" >&2
	echo "bakery: as root, run:  apt-get update && $line" >&2
	exit 1
fi
echo "bakery: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# No init system starts the packaged services here; keep it that way where
# there is one, so they never take the stack's place.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "bakery: installed ${missing[*]}"
npm_deps
