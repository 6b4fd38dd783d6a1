#!/usr/bin/env bash
# Bakery local service stack: PostgreSQL, Redis, a private epmd and RabbitMQ
# node, the bakery-api FastCGI responder pool, bakery-worker and nginx, each a
# program of a private supervisord (Debian's `supervisor`), all running from
# files under $BAKERY_VAR (no systemd, no system services touched).
#
# usage: scripts/stack.sh up|down|status|logs|psql [ARGS...]|env|run|stop SVC|start SVC|help
#
# supervisord restarts whatever dies. This script does what a supervisor
# does not: the configuration (supervisord.conf and each service's), initdb,
# the database role, migrations, starting the programs in dependency order
# (they are autostart=false) and waiting until each one serves, the URLs.
#
# Configuration (environment, defaults in brackets; REPO = this script's repo):
#   BAKERY_VAR            [$REPO/var]   state, logs, sockets, supervisord.conf
#   BAKERY_HTTP_PORT      [8080]        nginx, 127.0.0.1 only
#   BAKERY_PG_PORT        [5433]
#   BAKERY_REDIS_PORT     [6380]
#   BAKERY_AMQP_PORT      [5673]
#   BAKERY_AMQP_DIST_PORT [AMQP+20000]  Erlang distribution port of the broker
#   BAKERY_EPMD_PORT      [4370]        private epmd
#   BAKERY_PROCESSES      [8]           bakery-api responder pool size
#   BAKERY_BIN            [$REPO/build] where bakery-api and bakery-worker are
#   BAKERY_WWW            [$REPO/www]   static storefront
#   BAKERY_PG_BIN         [/usr/lib/postgresql/15/bin, else newest installed]
#   BAKERY_USER           [bakery]      as root: the user nginx, api, worker and redis run as
#   BAKERY_ORDER_RATE     [10r/s]       nginx: order placements per client address
#   BAKERY_ORDER_BURST    [20]          nginx: placements above the rate let through at once
#   BAKERY_ORDER_CONN     [10]          nginx: placements in progress at once per address
#   BAKERY_LOGIN_RATE     [10r/m]       nginx: staff login attempts per address
#   BAKERY_LOGIN_BURST    [5]           nginx: login attempts above the rate let through at once
#   BAKERY_REDIS_MAXMEMORY [64mb]       Redis memory cap (allkeys-lru beyond it)
#   BAKERY_METRICS_ALLOW  []            nginx: addresses or CIDR ranges that may read
#                                       /api/metrics besides loopback, space-separated
#   BAKERY_METRICS_DIR    [$BAKERY_VAR/run/app]  the workers' metrics file (lib/metrics.c)
# The programs inherit supervisord's environment, i.e. that of the `up` that
# started it: DATABASE_URL (with the generated password of the role bakery,
# kept in $BAKERY_VAR/db-password, mode 0600), REDIS_URL, AMQP_URL,
# BAKERY_LISTEN and BAKERY_FCGI (= $BAKERY_VAR/run/app/api.sock), the
# variables above, and every other BAKERY_* variable of the caller,
# untouched. New settings take a `down` and an `up`.
#
# As root, PostgreSQL runs as the `postgres` user, and nginx, the api, the
# worker and Redis as BAKERY_USER (created as a system user if it is
# `bakery` and missing); supervisord, epmd and RabbitMQ stay root. Without
# root, everything runs as the invoking user.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
umask 022

# ---------------------------------------------------------------- config ----
: "${BAKERY_VAR:=$REPO/var}"
case $BAKERY_VAR in /*) ;; *) BAKERY_VAR=$PWD/$BAKERY_VAR ;; esac
BAKERY_VAR=${BAKERY_VAR%/}
: "${BAKERY_HTTP_PORT:=8080}"
: "${BAKERY_PG_PORT:=5433}"
: "${BAKERY_REDIS_PORT:=6380}"
: "${BAKERY_AMQP_PORT:=5673}"
: "${BAKERY_EPMD_PORT:=4370}"
: "${BAKERY_PROCESSES:=8}"
: "${BAKERY_ORDER_RATE:=10r/s}"
: "${BAKERY_ORDER_BURST:=20}"
: "${BAKERY_ORDER_CONN:=10}"
: "${BAKERY_LOGIN_RATE:=10r/m}"
: "${BAKERY_LOGIN_BURST:=5}"
: "${BAKERY_REDIS_MAXMEMORY:=64mb}"
: "${BAKERY_BIN:=$REPO/build}"
: "${BAKERY_WWW:=$REPO/www}"
case $BAKERY_BIN in /*) ;; *) BAKERY_BIN=$PWD/$BAKERY_BIN ;; esac
case $BAKERY_WWW in /*) ;; *) BAKERY_WWW=$PWD/$BAKERY_WWW ;; esac

die() { printf 'bakery: %s\n' "$*" >&2; exit 1; }
say() { printf 'bakery: %s\n' "$*"; }

for _v in BAKERY_HTTP_PORT BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT BAKERY_EPMD_PORT; do
    if ! [[ ${!_v} =~ ^[0-9]+$ ]] || (( ${!_v} < 1 || ${!_v} > 65535 )); then
        die "$_v must be a port number, not '${!_v}'"
    fi
done
: "${BAKERY_AMQP_DIST_PORT:=$((BAKERY_AMQP_PORT + 20000))}"
if ! [[ $BAKERY_AMQP_DIST_PORT =~ ^[0-9]+$ ]] || ((BAKERY_AMQP_DIST_PORT < 1 || BAKERY_AMQP_DIST_PORT > 65535)); then
    die "BAKERY_AMQP_DIST_PORT must be a port number, not '$BAKERY_AMQP_DIST_PORT' (set it explicitly when BAKERY_AMQP_PORT > 45535)"
fi
[[ $BAKERY_PROCESSES =~ ^[1-9][0-9]*$ ]] || die "BAKERY_PROCESSES must be a positive number, not '$BAKERY_PROCESSES'"
for _v in BAKERY_ORDER_RATE BAKERY_LOGIN_RATE; do
    [[ ${!_v} =~ ^[1-9][0-9]{0,8}r/[sm]$ ]] || die "$_v must be an nginx rate such as 10r/s or 30r/m, not '${!_v}'"
done
for _v in BAKERY_ORDER_BURST BAKERY_ORDER_CONN BAKERY_LOGIN_BURST; do
    [[ ${!_v} =~ ^[0-9]{1,9}$ ]] || die "$_v must be a number, not '${!_v}'"
done
((BAKERY_ORDER_CONN > 0)) || die "BAKERY_ORDER_CONN must be at least 1"
[[ $BAKERY_REDIS_MAXMEMORY =~ ^[1-9][0-9]*(kb|mb|gb)$ ]] ||
    die "BAKERY_REDIS_MAXMEMORY must be a size such as 64mb, not '$BAKERY_REDIS_MAXMEMORY'"
BAKERY_METRICS_ALLOW_RULES=
for _a in ${BAKERY_METRICS_ALLOW:-}; do
    [[ $_a =~ ^[0-9a-fA-F:.]+(/[0-9]{1,3})?$ ]] || die "BAKERY_METRICS_ALLOW must list addresses or CIDR ranges, not '$_a'"
    BAKERY_METRICS_ALLOW_RULES+="allow $_a; "
done
PAYMENT_MS=${BAKERY_PAYMENT_DELAY_MS:-500}
[[ $PAYMENT_MS =~ ^[0-9]{1,9}$ ]] || die "BAKERY_PAYMENT_DELAY_MS must be a number of milliseconds, not '$PAYMENT_MS'"

if [[ -z ${BAKERY_PG_BIN:-} ]]; then
    if [[ -x /usr/lib/postgresql/15/bin/postgres ]]; then
        BAKERY_PG_BIN=/usr/lib/postgresql/15/bin
    else
        BAKERY_PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
        if [[ -z $BAKERY_PG_BIN ]] && command -v postgres >/dev/null; then
            BAKERY_PG_BIN=$(dirname "$(command -v postgres)")
        fi
    fi
fi
RABBIT_BIN=${RABBIT_BIN:-/usr/lib/rabbitmq/bin}

V=$BAKERY_VAR
RUN=$V/run            # supervisord's socket and pid file (root, or the invoking user)
PG_RUN=$RUN/postgres  # PostgreSQL's socket, reachable by its OS user only
APP_RUN=$RUN/app      # the api's FastCGI socket, reachable by the stack user only (nginx)
LOG=$V/log
PGDATA_DIR=$V/pg
RMQ_DIR=$V/rabbitmq
NGX_DIR=$V/nginx
RMQ_NODE=bakery-$BAKERY_AMQP_PORT@localhost
SV_CONF=$V/supervisord.conf
SV_SOCK=$RUN/supervisor.sock
SV_PIDFILE=$RUN/supervisord.pid   # supervisord removes it when it exits normally

BAKERY_LISTEN=$APP_RUN/api.sock
BAKERY_FCGI=$BAKERY_LISTEN
# Where the workers keep their counters for /api/metrics: beside the socket,
# in the directory only the stack user reaches. "" turns them off.
BAKERY_METRICS_DIR=${BAKERY_METRICS_DIR-$APP_RUN}
# The password of the role bakery: generated by the first `up` (prepare_dirs).
DB_PASS_FILE=$V/db-password
DB_PASS=
if [[ -r $DB_PASS_FILE ]]; then DB_PASS=$(<"$DB_PASS_FILE"); fi
db_url() { printf 'postgresql://bakery%s@127.0.0.1:%s/bakery' "${DB_PASS:+:$DB_PASS}" "$BAKERY_PG_PORT"; }
DATABASE_URL=$(db_url)
REDIS_URL=redis://127.0.0.1:$BAKERY_REDIS_PORT/0
AMQP_URL=amqp://bakery:bakery@127.0.0.1:$BAKERY_AMQP_PORT/bakery
export BAKERY_VAR BAKERY_HTTP_PORT BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT \
    BAKERY_AMQP_DIST_PORT BAKERY_EPMD_PORT BAKERY_PROCESSES BAKERY_BIN BAKERY_WWW \
    BAKERY_LISTEN BAKERY_FCGI DATABASE_URL REDIS_URL AMQP_URL BAKERY_ORDER_RATE \
    BAKERY_ORDER_BURST BAKERY_ORDER_CONN BAKERY_LOGIN_RATE BAKERY_LOGIN_BURST BAKERY_REDIS_MAXMEMORY \
    BAKERY_METRICS_DIR BAKERY_METRICS_ALLOW_RULES

IS_ROOT=0
[[ $(id -u) == 0 ]] && IS_ROOT=1
# Who runs nginx, the api, the worker and Redis: never root.
if ((IS_ROOT)); then
    APP_USER=${BAKERY_USER:-bakery}
    [[ $APP_USER =~ ^[a-z_][a-z0-9_-]*$ && $APP_USER != root ]] || die "BAKERY_USER must be an unprivileged user name, not '$APP_USER'"
else
    APP_USER=$(id -un)
fi

# The programs in dependency order (supervisord's priorities follow it, so a
# shutdown stops them in reverse), their logs, and how long they may take
# to serve.
SERVICES=(postgres redis epmd rabbitmq api worker nginx)
declare -A SVC_LOG=([postgres]=postgres.log [redis]=redis.log [epmd]=rabbitmq.log [rabbitmq]=rabbitmq.log
    [api]=api.log [worker]=worker.log [nginx]=nginx-error.log)
declare -A SVC_TIMEOUT=([postgres]=60 [redis]=20 [epmd]=20 [rabbitmq]=90 [api]=30 [worker]=30 [nginx]=20)
ALL_LOGS=(supervisord.log postgres.log redis.log rabbitmq.log api.log worker.log nginx-error.log nginx-access.log)

# ------------------------------------------------------------- helpers ----
now_us() { local t=${EPOCHREALTIME//[!0-9]/}; printf '%s' "${t#0}"; }  # any locale's radix
elapsed() { # START_US -> "1.23s"
    local d=$(( $(now_us) - $1 ))
    printf '%d.%02ds' $((d / 1000000)) $(( (d % 1000000) / 10000 ))
}

# Run a command as the PostgreSQL server user, from a directory it can read.
as_pg() {
    if ((IS_ROOT)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Run a command as the stack user (nginx, api, worker, Redis), from / .
as_app() {
    if ((IS_ROOT)); then
        (cd / && runuser -u "$APP_USER" -- "$@")
    else
        "$@"
    fi
}

# A URL with its password, if any, replaced by *** (for printing).
mask_url() { printf '%s' "$1" | sed -E 's#^([a-z]+://[^:/@]*):[^@/]*@#\1:***@#'; }

# Is anything accepting TCP connections on 127.0.0.1:PORT?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The stack's ports something listens on, as "NAME=PORT " words.
busy_ports() {
    local p
    for p in BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT BAKERY_AMQP_DIST_PORT \
        BAKERY_EPMD_PORT BAKERY_HTTP_PORT; do
        if port_open "${!p}"; then printf '%s ' "$p=${!p}"; fi
    done
}

ports_free() { [[ -z $(busy_ports) ]]; }

ctl() { supervisorctl -c "$SV_CONF" "$@"; }

# Is this stack's supervisord answering on its socket?
sv_up() { [[ -f $SV_CONF && -S $SV_SOCK ]] && ctl pid >/dev/null 2>&1; }

# Fills SV_STATE[program] (RUNNING, STARTING, BACKOFF, STOPPED, EXITED,
# FATAL) and SV_INFO[program] (the rest of its supervisorctl status line).
declare -A SV_STATE=() SV_INFO=()
load_states() {
    local name state info
    SV_STATE=() SV_INFO=()
    while read -r name state info; do
        [[ -z $name ]] || { SV_STATE[$name]=$state; SV_INFO[$name]=$info; }
    done < <(ctl status 2>/dev/null || true)
}

sv_state() { # PROGRAM -> its state, empty if supervisord does not answer
    local out
    out=$(ctl status "$1" 2>/dev/null) || true
    read -r _ out _ <<<"$out"
    printf '%s' "$out"
}

# Started by supervisord, or being restarted by it?
is_up_state() { [[ $1 == RUNNING || $1 == STARTING || $1 == BACKOFF ]]; }

# Failure: explain, show the end of the log, exit 1 (a stack that `up`
# started is then stopped by its EXIT trap). Without a REASON: "did not
# become ready in TIMEOUT s", or WAIT_WHAT instead of "did not become ready".
fail_ready() { # DESCRIPTION TIMEOUT LOGFILE [REASON]
    local desc=$1 timeout=$2 logf=$3 reason=${4:-}
    [[ -n $reason ]] || reason="${WAIT_WHAT:-did not become ready} in ${timeout}s"
    printf 'bakery: %s %s; see %s\n' "$desc" "$reason" "$logf" >&2
    if [[ -r $logf ]]; then
        printf -- '----- last 20 lines of %s -----\n' "$logf" >&2
        tail -n 20 "$logf" >&2 || true
        printf -- '-----\n' >&2
    fi
    exit 1
}

# wait_for DESCRIPTION TIMEOUT_SECONDS LOGFILE COMMAND...
# Polls COMMAND every 0.1 s until it succeeds; fails (fail_ready) at the
# deadline. (supervisord keeps retrying a program that fails to start, so
# the deadline is what tells a slow start from a hopeless one.)
wait_for() {
    local desc=$1 timeout=$2 logf=$3 deadline
    shift 3
    deadline=$(( $(now_us) + timeout * 1000000 ))
    until "$@" >/dev/null 2>&1; do
        (( $(now_us) < deadline )) || fail_ready "$desc" "$timeout" "$logf"
        sleep 0.1
    done
}

# Has process PID exited? (A zombie its new parent has yet to reap counts.)
pid_gone() { ! ps -o stat= -p "$1" 2>/dev/null | grep -qv '^ *Z'; }

need_cmds() {
    local missing=() c
    for c in "$@"; do
        if [[ $c == */* ]]; then [[ -x $c ]] || missing+=("$c"); else command -v "$c" >/dev/null 2>&1 || missing+=("$c"); fi
    done
    ((${#missing[@]} == 0)) || die "missing commands: ${missing[*]} (make deps, i.e. scripts/deps.sh, installs their Debian packages)"
}

# Environment of the private broker.
RMQ_ENV=(
    HOME="$RMQ_DIR"
    RABBITMQ_NODENAME="$RMQ_NODE"
    RABBITMQ_USE_LONGNAME=false
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$BAKERY_AMQP_PORT"
    RABBITMQ_DIST_PORT="$BAKERY_AMQP_DIST_PORT"
    ERL_EPMD_PORT="$BAKERY_EPMD_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
    ERL_CRASH_DUMP="$RMQ_DIR/erl_crash.dump"
    RABBITMQ_CONF_ENV_FILE="$RMQ_DIR/rabbitmq-env.conf"
    RABBITMQ_CONFIG_FILE="$RMQ_DIR/rabbitmq.conf"
    RABBITMQ_ADVANCED_CONFIG_FILE="$RMQ_DIR/advanced.config"
    RABBITMQ_ENABLED_PLUGINS_FILE="$RMQ_DIR/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$RMQ_DIR/mnesia"
    RABBITMQ_LOG_BASE="$RMQ_DIR/log"
    RABBITMQ_PID_FILE="$RMQ_DIR/beam.pid"
    # epmd is a program of its own: the VM must not start a stray one.
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} -start_epmd false"
)

# Serialise the commands that change one BAKERY_VAR (fd 9; supervisord and
# its programs never inherit it).
take_lock() {
    mkdir -p "$V"
    exec 9>"$V/.stack.lock"
    if ! flock -w 120 9; then
        die "another scripts/stack.sh is working on $V (lock $V/.stack.lock)"
    fi
}

# The configuration, passwords masked (DATABASE_URL carries the role's).
print_config() {
    local v
    for v in BAKERY_VAR BAKERY_HTTP_PORT BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT \
        BAKERY_AMQP_DIST_PORT BAKERY_EPMD_PORT BAKERY_PROCESSES BAKERY_BIN BAKERY_WWW \
        BAKERY_LISTEN BAKERY_ORDER_RATE BAKERY_ORDER_BURST BAKERY_ORDER_CONN BAKERY_LOGIN_RATE BAKERY_LOGIN_BURST \
        BAKERY_REDIS_MAXMEMORY BAKERY_METRICS_DIR BAKERY_METRICS_ALLOW; do
        printf '  %-22s %s\n' "$v" "${!v:-}"
    done
    printf '  %-22s %s\n' BAKERY_USER "$APP_USER"
    for v in DATABASE_URL REDIS_URL AMQP_URL; do
        printf '  %-22s %s\n' "$v" "$(mask_url "${!v}")"
    done
}

# --------------------------------------------------------- readiness ----
# AMQP 0-9-1 handshake: send the protocol header, expect a method frame (0x01,
# Connection.Start) back. True only once the broker has fully booted.
rabbitmq_ready() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$BAKERY_AMQP_PORT" || exit 1
        printf 'AMQP\x00\x00\x09\x01' >&3
        IFS= read -r -t 2 -n 1 -d '' b <&3 || exit 1
        [[ $b == $'\x01' ]]
    ) 2>/dev/null
}
postgres_ready() { pg_isready -q -h 127.0.0.1 -p "$BAKERY_PG_PORT" -U bakery -d bakery -t 2; }
redis_ready() { redis-cli -h 127.0.0.1 -p "$BAKERY_REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
epmd_ready() { epmd -port "$BAKERY_EPMD_PORT" -names; }
api_ready() { [[ -S $BAKERY_LISTEN && $(sv_state api) == RUNNING ]]; }
worker_ready() { [[ $(sv_state worker) == RUNNING ]]; }
nginx_ready() { port_open "$BAKERY_HTTP_PORT"; }
api_health() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$BAKERY_HTTP_PORT/api/health"; }

# Waits until program SVC serves.
await() { wait_for "$1" "${SVC_TIMEOUT[$1]}" "$LOG/${SVC_LOG[$1]}" "${1}_ready"; }

# Asks supervisord to start SVC unless it runs it or is restarting it
# already (see await for the wait).
launch() { # SVC
    local out
    is_up_state "${SV_STATE[$1]:-}" && return 0
    [[ $1 != api ]] || rm -f "$BAKERY_LISTEN"   # a killed pool's; api_ready waits for the new one
    out=$(ctl start "$1" 2>&1) || say "$1 did not start at once ($out); supervisord retries it" >&2
}

# ------------------------------------------------------------ configs ----
# The stack user, created as a system user when it is the default one.
ensure_app_user() {
    id "$APP_USER" >/dev/null 2>&1 && return 0
    [[ $APP_USER == bakery ]] || die "user '$APP_USER' (BAKERY_USER) does not exist"
    say "creating the system user bakery (runs nginx, api, worker and redis)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin bakery || die "useradd bakery failed"
}

# The generated password of the role bakery, once; DATABASE_URL carries it.
ensure_db_password() {
    if [[ ! -s $DB_PASS_FILE ]]; then
        (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$DB_PASS_FILE.tmp") &&
            mv -f "$DB_PASS_FILE.tmp" "$DB_PASS_FILE" || die "cannot write $DB_PASS_FILE"
    fi
    chmod 0600 "$DB_PASS_FILE"
    DB_PASS=$(<"$DB_PASS_FILE")
    [[ $DB_PASS =~ ^[0-9a-f]{32}$ ]] || die "$DB_PASS_FILE does not hold a generated password; remove it"
    DATABASE_URL=$(db_url)
    export DATABASE_URL
}

# Directories and who owns them: postgres its cluster and socket directory,
# the stack user the api's socket directory, nginx's directory and the logs
# nginx writes itself, Redis's directory; the rest stays the invoker's.
prepare_dirs() {
    mkdir -p "$V" "$RUN" "$LOG" "$PGDATA_DIR" "$PG_RUN" "$APP_RUN" "$V/redis" "$RMQ_DIR/log" \
        "$RMQ_DIR/mnesia" "$NGX_DIR"
    chmod 0755 "$RUN"
    chmod 0700 "$PGDATA_DIR" "$PG_RUN" "$APP_RUN" "$NGX_DIR" "$V/redis"
    local f
    for f in "${ALL_LOGS[@]}"; do [[ -e $LOG/$f ]] || : >"$LOG/$f"; done
    ensure_db_password
    if ((IS_ROOT)); then
        id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install postgresql-15, or run as non-root)"
        ensure_app_user
        chown postgres:postgres "$PGDATA_DIR" "$PG_RUN"
        chown "$APP_USER:" "$APP_RUN" "$LOG/nginx-error.log" "$LOG/nginx-access.log"
        chown -R "$APP_USER:" "$NGX_DIR" "$V/redis"
        if ! runuser -u postgres -- test -w "$PG_RUN" -a -x "$PGDATA_DIR" 2>/dev/null; then
            die "the postgres user cannot reach $V (a parent directory is not world-searchable?); set BAKERY_VAR to a directory it can reach, e.g. /tmp/bakery"
        fi
        if ! runuser -u "$APP_USER" -- test -w "$APP_RUN" -a -w "$NGX_DIR" -a -x "$BAKERY_BIN/bakery-api" \
            -a -x "$BAKERY_BIN/bakery-worker" -a -r "$BAKERY_WWW/index.html" 2>/dev/null; then
            die "the user $APP_USER cannot reach $V, $BAKERY_BIN or $BAKERY_WWW (a parent directory is not world-searchable?); move them, or set BAKERY_VAR, BAKERY_BIN and BAKERY_WWW to places it can reach"
        fi
    fi
    local sock=$PG_RUN/.s.PGSQL.$BAKERY_PG_PORT
    ((${#sock} < 100)) || die "socket paths under $RUN are too long for unix sockets (${#sock} chars); use a shorter BAKERY_VAR"
}

# Who may connect (rendered at every start, so an older cluster is brought
# in line too): the superuser only on the unix socket and only from the OS
# user the server runs as (peer, mapped: initdb's superuser is `postgres`
# whoever runs it), for creating the role and database; the application
# role bakery only over TCP on loopback, with its password (SCRAM). Nothing
# else: no `trust`, so no other local user gets in.
render_pg_auth() {
    local owner
    owner=$(as_pg id -un)
    as_pg tee "$PGDATA_DIR/pg_hba.conf" >/dev/null <<EOF
# Generated by scripts/stack.sh whenever it starts supervisord; do not edit.
# TYPE  DATABASE  USER      ADDRESS        METHOD
local   all       postgres                 peer map=owner
host    bakery    bakery    127.0.0.1/32   scram-sha-256
EOF
    as_pg tee "$PGDATA_DIR/pg_ident.conf" >/dev/null <<EOF
# Generated by scripts/stack.sh whenever it starts supervisord; do not edit.
# MAPNAME  SYSTEM-USERNAME  PG-USERNAME
owner      $owner         postgres
EOF
}

render_postgres() {
    local log=$LOG/postgres.log
    if [[ ! -s $PGDATA_DIR/PG_VERSION ]]; then
        say "initialising PostgreSQL cluster in $PGDATA_DIR"
        if ! as_pg "$BAKERY_PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth-local=peer \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >>"$log" 2>&1; then
            fail_ready postgres 0 "$log" "initdb failed"
        fi
        printf "\n# Bakery: settings managed by scripts/stack.sh\ninclude_if_exists = 'bakery.conf'\n" |
            as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
    fi
    render_pg_auth
    as_pg tee "$PGDATA_DIR/bakery.conf" >/dev/null <<EOF
# Generated by scripts/stack.sh whenever it starts supervisord; do not edit.
listen_addresses = '127.0.0.1'
port = $BAKERY_PG_PORT
unix_socket_directories = '$PG_RUN'
unix_socket_permissions = 0600
password_encryption = 'scram-sha-256'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
}

render_redis() {
    cat >"$V/redis/redis.conf" <<EOF
# Generated by scripts/stack.sh whenever it starts supervisord; do not edit. Cache only.
bind 127.0.0.1
port $BAKERY_REDIS_PORT
protected-mode yes
daemonize no
logfile ""
dir "$V/redis"
save ""
appendonly no
# A cache: bounded, the least recently used keys go first when it is full
# (every key may go: all of them can be refilled from PostgreSQL).
maxmemory $BAKERY_REDIS_MAXMEMORY
maxmemory-policy allkeys-lru
EOF
}

render_rabbitmq() {
    # Sourced by the rabbitmq-server script: keeps /etc/rabbitmq/rabbitmq-env.conf
    # out, and makes the script exec the Erlang VM as it does under systemd
    # (instead of waiting for it in a wrapper shell), so the VM is the
    # process supervisord watches: a killed broker leaves no VM behind.
    printf '# Generated by scripts/stack.sh; do not edit.\nRUNNING_UNDER_SYSTEMD=true\n' >"$RMQ_DIR/rabbitmq-env.conf"
    printf '[].\n' >"$RMQ_DIR/enabled_plugins"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Generated by scripts/stack.sh whenever it starts supervisord; do not edit.
listeners.tcp.default = 127.0.0.1:$BAKERY_AMQP_PORT
# Applied only when the node boots with an empty database (first start):
default_vhost = bakery
default_user = bakery
default_pass = bakery
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
log.console = true
log.console.level = info
log.console.use_colors = off
log.file = false
EOF
}

# nginx as one process (master_process off; the template has daemon off): a
# worker outliving its killed master would keep the port, and the restarted
# nginx could not bind it.
NGX_ARGS=(-p "$NGX_DIR/" -c "$NGX_DIR/nginx.conf" -e "$LOG/nginx-error.log" -g 'master_process off;')

# The variables of nginx/bakery.conf.in (the same list as docker/nginx-entrypoint.sh).
# shellcheck disable=SC2016  # literal ${...}: the list of variables to substitute
NGX_VARS='${BAKERY_HTTP_LISTEN} ${BAKERY_VAR} ${BAKERY_WWW} ${BAKERY_UPSTREAM} ${BAKERY_RESOLVER} ${BAKERY_ORDER_RATE} ${BAKERY_ORDER_BURST} ${BAKERY_ORDER_CONN} ${BAKERY_LOGIN_RATE} ${BAKERY_LOGIN_BURST} ${BAKERY_METRICS_ALLOW_RULES}'

render_nginx() {
    # No resolver: the api is a unix socket.
    BAKERY_HTTP_LISTEN=127.0.0.1:$BAKERY_HTTP_PORT BAKERY_UPSTREAM=unix:$BAKERY_FCGI BAKERY_RESOLVER= \
        envsubst "$NGX_VARS" <"$REPO/nginx/bakery.conf.in" >"$NGX_DIR/nginx.conf.tmp"
    mv -f "$NGX_DIR/nginx.conf.tmp" "$NGX_DIR/nginx.conf"
    # Tested as the user it runs as: the temp directories it creates are its own.
    if ! as_app nginx -t -q "${NGX_ARGS[@]}" >>"$LOG/nginx-error.log" 2>&1; then
        as_app nginx -t "${NGX_ARGS[@]}" 2>&1 | sed 's/^/  /' >&2 || true
        fail_ready nginx 0 "$LOG/nginx-error.log" "configuration test failed ($NGX_DIR/nginx.conf)"
    fi
}

# A value in supervisord.conf ('%' is its interpolation character), and one
# argument of a command (split like shell words: quoted where needed).
cv() { printf '%s' "${1//%/%%}"; }
carg() {
    local a=${1//%/%%}
    if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then printf '%s' "$a"; return; fi
    a=${a//\\/\\\\}
    printf '"%s"' "${a//\"/\\\"}"
}

# One [program:NAME] section. setpriv --pdeathsig: the kernel sends the
# program its stop signal if supervisord itself dies, so a dead supervisord
# leaves no orphan holding a port. startretries=100: a program that cannot
# start yet (a dependency is down) is retried, a second longer between tries
# each time, for over an hour, instead of going FATAL at once.
program() { # NAME PRIORITY LOGFILE STOPSIGNAL STOPWAITSECS DIRECTORY COMMAND...
    local name=$1 prio=$2 logf=$3 sig=$4 wait=$5 dir=$6 a cmd=
    shift 6
    for a in setpriv --pdeathsig "$sig" -- "$@"; do cmd+=" $(carg "$a")"; done
    cat <<EOF

[program:$name]
command=${cmd# }
directory=$(cv "$dir")
priority=$prio
autostart=false
autorestart=true
startsecs=1
startretries=100
stopsignal=$sig
stopwaitsecs=$wait
redirect_stderr=true
stdout_logfile=$(cv "$LOG/$logf")
stdout_logfile_maxbytes=0
stdout_logfile_backups=0
EOF
}

# As root: the program just written runs as the stack user.
app_user() { if ((IS_ROOT)); then printf 'user=%s\n' "$APP_USER"; fi; }

render_supervisord() { # OUTFILE
    local p
    for p in "$V" "$REPO" "$BAKERY_BIN" "$BAKERY_PG_BIN" "$RABBIT_BIN"; do
        if [[ $p == *$'\n'* || $p =~ [[:space:]][\;#] ]]; then
            die "unsupported path for supervisord.conf (a newline, or ' ;' or ' #' in it): $p"
        fi
    done
    {
        cat <<EOF
; Generated by scripts/stack.sh whenever it starts supervisord; do not edit.
; The programs are started by scripts/stack.sh, in order.
[unix_http_server]
file=$(cv "$SV_SOCK")
chmod=0700

[supervisord]
logfile=$(cv "$LOG/supervisord.log")
logfile_maxbytes=0
logfile_backups=0
pidfile=$(cv "$SV_PIDFILE")
childlogdir=$(cv "$LOG")
directory=$(cv "$REPO")
umask=022

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://$(cv "$SV_SOCK")
EOF
        program postgres 10 postgres.log INT 60 / "$BAKERY_PG_BIN/postgres" -D "$PGDATA_DIR"
        if ((IS_ROOT)); then echo "user=postgres"; fi
        program redis 20 redis.log TERM 10 "$V/redis" redis-server "$V/redis/redis.conf"
        app_user
        program epmd 30 rabbitmq.log TERM 10 "$RMQ_DIR" epmd -port "$BAKERY_EPMD_PORT" -address 127.0.0.1
        program rabbitmq 40 rabbitmq.log TERM 60 "$RMQ_DIR" env "${RMQ_ENV[@]}" "$RABBIT_BIN/rabbitmq-server"
        program api 50 api.log TERM 30 "$V" "$BAKERY_BIN/bakery-api" --listen "$BAKERY_LISTEN" --processes "$BAKERY_PROCESSES"
        printf 'stopasgroup=true\nkillasgroup=true\n'
        app_user
        # On SIGTERM the worker finishes the orders it holds: payment time + 30 s.
        program worker 60 worker.log TERM $(( (PAYMENT_MS + 999) / 1000 + 30 )) "$V" "$BAKERY_BIN/bakery-worker"
        app_user
        program nginx 70 nginx-error.log QUIT 10 "$V" nginx "${NGX_ARGS[@]}"
        app_user
    } >"$1"
}

# Renders every configuration and starts supervisord (no program yet).
start_supervisord() {
    prepare_dirs
    render_postgres
    render_redis
    render_rabbitmq
    render_nginx
    render_supervisord "$SV_CONF"
    if ! supervisord -c "$SV_CONF" >>"$LOG/supervisord.log" 2>&1 9>&-; then
        fail_ready supervisord 0 "$LOG/supervisord.log" "failed to start"
    fi
    wait_for supervisord 20 "$LOG/supervisord.log" sv_up
}

# The programs of a supervisord that died got their stop signal from the
# kernel; waits until they have let go of the ports.
wait_orphans() {
    WAIT_WHAT="did not let go of the stack's ports (make status)" \
        wait_for "the programs of the supervisord that died" 60 "$LOG/supervisord.log" ports_free
}

# The bakery role (with the generated password) and database: as the
# superuser, on the unix socket (peer). The password reaches psql on stdin,
# never on a command line.
ensure_database() {
    local log=$LOG/postgres.log
    if ! { printf '\\set pw %s\n' "$DB_PASS"; cat <<'SQL'; } |
SELECT 'CREATE ROLE bakery LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bakery')
\gexec
ALTER ROLE bakery LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD :'pw';
SELECT 'CREATE DATABASE bakery OWNER bakery' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'bakery')
\gexec
SQL
        as_pg psql -X -q -v ON_ERROR_STOP=1 -h "$PG_RUN" -p "$BAKERY_PG_PORT" -U postgres -d postgres >/dev/null 2>>"$log"
    then
        fail_ready postgres 0 "$log" "could not create role/database bakery"
    fi
}

# ------------------------------------------------------------------ up ----
up_exit_trap() {
    local rc=$?
    trap - EXIT INT TERM
    if ((rc != 0)); then
        printf 'bakery: up failed; stopping the stack under %s\n' "$V" >&2
        do_down quiet || true
    fi
    exit "$rc"
}

# Once program SVC serves: says what `up` did about it.
declare -A WAS=()
UP_T0=0 UP_FRESH=0 UP_CHANGED=0
report() { # SVC
    local svc=$1 was=${WAS[$1]}
    if ((UP_FRESH)); then
        printf 'bakery: %-9s up  (%s)\n' "$svc" "$(elapsed "$UP_T0")"
        return 0
    fi
    case $was in
        RUNNING) return 0 ;;
        STARTING | BACKOFF) say "$svc was being restarted by supervisord ($was); it is up again" ;;
        *) say "$svc was not running ($was); started it" ;;
    esac
    UP_CHANGED=1
}

step() { launch "$1"; await "$1"; report "$1"; }

# Starts supervisord if it is not running, then every program that is not
# running, in dependency order, each serving before the next; on a fully
# running stack it only checks that. Exit 1 on failure (a stack that this
# command started is then stopped again).
do_up() {
    local svc busy todo=0
    UP_T0=$(now_us)
    need_cmds envsubst psql pg_isready "$BAKERY_PG_BIN/postgres" "$BAKERY_PG_BIN/initdb" redis-server \
        redis-cli "$RABBIT_BIN/rabbitmq-server" epmd nginx curl ps flock setpriv supervisord supervisorctl
    ((IS_ROOT)) && need_cmds runuser
    [[ -f $REPO/nginx/bakery.conf.in ]] || die "missing $REPO/nginx/bakery.conf.in"
    [[ -x $BAKERY_BIN/bakery-api ]] || die "$BAKERY_BIN/bakery-api not found or not executable (build it first: make; or set BAKERY_BIN)"
    [[ -x $BAKERY_BIN/bakery-worker ]] || die "$BAKERY_BIN/bakery-worker not found or not executable (build it first: make; or set BAKERY_BIN)"
    [[ -d $BAKERY_WWW ]] || die "BAKERY_WWW=$BAKERY_WWW is not a directory"

    take_lock
    if sv_up; then
        # Its programs run with the settings it was started with.
        render_supervisord "$SV_CONF.check"
        if ! cmp -s "$SV_CONF" "$SV_CONF.check"; then
            diff "$SV_CONF" "$SV_CONF.check" | sed 's/^/  /' >&2 || true
            rm -f "$SV_CONF.check"
            die "the stack under $V runs with other settings (above: < running, > asked for); make down first"
        fi
        rm -f "$SV_CONF.check"
    else
        if [[ -e $SV_PIDFILE ]]; then
            wait_orphans
        else
            busy=$(busy_ports)
            [[ -z $busy ]] || die "ports already in use by other processes: $busy(set those variables to free ports)"
            UP_FRESH=1
            say "starting stack under $V"
        fi
        trap up_exit_trap EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
        start_supervisord
        if ((UP_FRESH == 0)); then
            say "supervisord was not running (it had died); started it"
            UP_CHANGED=1
        fi
    fi

    load_states
    for svc in "${SERVICES[@]}"; do
        WAS[$svc]=${SV_STATE[$svc]:-STOPPED}
        is_up_state "${WAS[$svc]}" || todo=1
    done
    step epmd
    launch rabbitmq    # boots slowly: waited for after the others
    step postgres
    ((todo == 0)) || ensure_database
    step redis
    if ((todo)) && ! (cd "$REPO" && "$SCRIPT_DIR/migrate.sh") 9>&-; then
        fail_ready migrations 0 "$LOG/postgres.log" "failed (output above)"
    fi
    step api
    step nginx
    await rabbitmq
    report rabbitmq
    step worker
    wait_for "api (GET /api/health)" 30 "$LOG/api.log" api_health

    trap - EXIT INT TERM
    exec 9>&-
    if ((UP_FRESH == 0 && UP_CHANGED == 0)); then
        say "stack already running under $V: all ${#SERVICES[@]} programs RUNNING (http://127.0.0.1:$BAKERY_HTTP_PORT/)"
        return 0
    fi
    cat <<EOF
bakery: stack is up under $V in $(elapsed "$UP_T0")
  storefront  http://127.0.0.1:$BAKERY_HTTP_PORT/
  api         http://127.0.0.1:$BAKERY_HTTP_PORT/api/products
  health      http://127.0.0.1:$BAKERY_HTTP_PORT/api/health
  postgres    $(mask_url "$DATABASE_URL")   (password in $DB_PASS_FILE; scripts/stack.sh psql)
  redis       $REDIS_URL
  amqp        $(mask_url "$AMQP_URL")
  logs        $LOG/   (scripts/stack.sh logs)
EOF
}

# -------------------------------------------------------- down, stop, start ----
# Stops every program (supervisord stops them in reverse dependency order),
# then supervisord; waits until it has exited. Data stays.
do_down() { # [quiet]
    local quiet=${1:-} t0 pid
    t0=$(now_us)
    if ! sv_up; then
        if [[ -e $SV_PIDFILE ]]; then
            [[ -n $quiet ]] || say "supervisord under $V had died; waiting for its programs to exit"
            wait_orphans
            rm -f "$SV_PIDFILE"
        fi
        [[ -n $quiet ]] || say "nothing running under $V"
        return 0
    fi
    [[ -n $quiet ]] || say "stopping the stack under $V"
    pid=$(ctl pid)
    ctl shutdown >/dev/null || true
    WAIT_WHAT="did not stop its programs and exit" wait_for "supervisord (pid $pid)" 300 \
        "$LOG/supervisord.log" pid_gone "$pid"
    [[ -n $quiet ]] || say "stack under $V is down ($(elapsed "$t0"))"
}

check_service() {
    [[ " ${SERVICES[*]} " == *" $1 "* ]] || die "unknown service $1 (one of: ${SERVICES[*]})"
}

# One program of a running stack (the fault tests stop and start them).
# supervisord leaves a program stopped this way alone.
stop_service() { # SVC
    check_service "$1"
    sv_up || { say "$1 is not running (the stack under $V is down)"; return 0; }
    load_states
    [[ ${SV_STATE[$1]:-} != STOPPED ]] || { say "$1 is not running"; return 0; }
    say "stopping $1 (${SV_STATE[$1]:-?} ${SV_INFO[$1]:-})"
    ctl stop "$1" >/dev/null || die "supervisorctl stop $1 failed; see $LOG/supervisord.log"
}

start_service() { # SVC
    check_service "$1"
    sv_up || die "the stack under $V is not running (make up)"
    load_states
    if [[ ${SV_STATE[$1]:-} == RUNNING ]]; then say "$1 already running"; return 0; fi
    launch "$1"
    await "$1"
    say "$1 started"
}

# ------------------------------------------------------ status, logs, run ----
do_status() {
    local rc=0
    echo "bakery stack under $V:"
    if sv_up; then
        printf '  supervisord pid %s, %s\n' "$(ctl pid)" "$SV_CONF"
        ctl status | sed 's/^/  /' || rc=3   # supervisorctl: 3 when a program is not RUNNING
    else
        printf '  supervisord not running%s\n' "$([[ -e $SV_PIDFILE ]] && echo ' (it died; make up starts it all again)')"
        rc=3
    fi
    echo "configuration:"
    print_config
    return $rc
}

tail_logs() { # TAIL-OPTIONS...  (execs tail: run it in a subshell or last)
    local files=() f
    mkdir -p "$LOG"
    for f in "${ALL_LOGS[@]}"; do files+=("$LOG/$f"); done
    exec tail "$@" -F "${files[@]}"
}

TAIL_PID=
do_run() {
    do_up
    if ((UP_FRESH == 0 && UP_CHANGED == 0)); then
        say "not attaching to a stack this command did not start (make logs follows it, make down stops it)" >&2
        exit 1
    fi
    RUN_STOPPING=0
    run_stop() {
        ((RUN_STOPPING)) && return 0
        RUN_STOPPING=1
        trap '' INT TERM HUP
        if [[ -n $TAIL_PID ]]; then kill "$TAIL_PID" 2>/dev/null || true; fi
        echo
        say "stopping the stack (started by run)"
        do_down || true
    }
    trap 'run_stop; exit 130' INT
    trap 'run_stop; exit 143' TERM
    trap 'run_stop; exit 129' HUP
    trap 'run_stop' EXIT
    say "streaming logs; Ctrl-C stops everything"
    tail_logs -n 0 &
    TAIL_PID=$!
    wait "$TAIL_PID" || true
}

# The stack's addresses as shell assignments, for eval "$(scripts/stack.sh env)":
# what a test or a shell needs to reach it (DATABASE_URL with the password).
do_env() {
    local v
    for v in BAKERY_VAR DATABASE_URL REDIS_URL AMQP_URL; do
        printf 'export %s=%q\n' "$v" "${!v}"
    done
    printf 'export BAKERY_URL=%q\n' "http://127.0.0.1:$BAKERY_HTTP_PORT"
}

usage() {
    cat <<EOF
usage: scripts/stack.sh COMMAND
  up       start supervisord and every program not running (postgres, redis,
           epmd, rabbitmq, api, worker, nginx) in order, each serving before
           the next; says what it started; on a running stack only checks
  down     stop every program and supervisord (data under \$BAKERY_VAR is kept)
  status   one line per program; exit 0 if all run, 3 otherwise
  logs     tail -F all logs in \$BAKERY_VAR/log
  psql     psql on \$DATABASE_URL with the remaining arguments
  env      the stack's URLs as shell exports (DATABASE_URL with its password):
           eval "\$(scripts/stack.sh env)"
  run      up, stream logs until Ctrl-C, then down
  stop SERVICE / start SERVICE
           stop or start one program of a running stack, e.g. for fault tests
supervisorctl -c \$BAKERY_VAR/supervisord.conf talks to its supervisord directly.
EOF
}

cmd=${1:-help}
[[ $# -gt 0 ]] && shift
case $cmd in
    up) do_up ;;
    down)
        if [[ ! -d $V ]]; then say "nothing to stop under $V"; exit 0; fi
        take_lock
        do_down
        ;;
    status) do_status ;;
    logs) tail_logs -n 50 ;;
    psql) exec psql "$DATABASE_URL" "$@" ;;
    env) do_env ;;
    stop | start)
        [[ $# -eq 1 ]] || die "usage: scripts/stack.sh $cmd SERVICE"
        take_lock
        "${cmd}_service" "$1"
        ;;
    run) do_run ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
esac
