#!/usr/bin/env bash
# Installs the Debian packages Bakery needs to build, run and test, and only
# those that are missing. Idempotent: with everything present it only checks.
set -euo pipefail

# build: compiler, pkg-config and the five client libraries
# stack: the servers, spawn-fcgi, envsubst (gettext-base), curl, ps
# tests: prove (perl), sanitizer runtimes come with gcc
PACKAGES=(
	gcc make pkg-config libc6-dev
	libfcgi-dev libpq-dev librabbitmq-dev libcjson-dev libhiredis-dev
	postgresql redis-server rabbitmq-server nginx spawn-fcgi
	gettext-base curl procps perl
)

missing=()
for pkg in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
echo "bakery: installed ${missing[*]}"
