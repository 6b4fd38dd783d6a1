#!/usr/bin/env bash
# Bakery local service stack: PostgreSQL, Redis, RabbitMQ (private node + private
# epmd), the bakery-api FastCGI responder pool, bakery-worker and nginx, all
# running from files under $BAKERY_VAR, as plain background processes (no
# systemd, no system services touched).
#
# usage: scripts/stack.sh up|down|status|logs|psql [ARGS...]|run|help
#
# Configuration (environment, defaults in brackets; REPO = this script's repo):
#   BAKERY_VAR            [$REPO/var]   state, logs, sockets, pid files
#   BAKERY_HTTP_PORT      [8080]        nginx, 127.0.0.1 only
#   BAKERY_PG_PORT        [5433]
#   BAKERY_REDIS_PORT     [6380]
#   BAKERY_AMQP_PORT      [5673]
#   BAKERY_AMQP_DIST_PORT [AMQP+20000]  Erlang distribution port of the broker
#   BAKERY_EPMD_PORT      [4370]        private epmd
#   BAKERY_PROCESSES      [4]           bakery-api responder pool size
#   BAKERY_BIN            [$REPO/build] where bakery-api and bakery-worker are
#   BAKERY_WWW            [$REPO/www]   static storefront
#   BAKERY_PG_BIN         [/usr/lib/postgresql/15/bin, else newest installed]
# Exported to the app processes: DATABASE_URL, REDIS_URL, AMQP_URL,
# BAKERY_LISTEN and BAKERY_FCGI (= $BAKERY_VAR/run/api.sock), the variables
# above, and every other BAKERY_* variable of the caller, untouched.
#
# Who runs what: as root, PostgreSQL runs as the `postgres` user (runuser);
# everything else runs as the invoking user (nginx workers too: -g 'user root;').
# Not as root, everything runs as the invoking user.
#
# Each service's process runs in its own session (setsid), so Ctrl-C in a
# terminal never reaches it and `down` can signal its whole process group.
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
: "${BAKERY_PROCESSES:=4}"
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

if [[ -z ${BAKERY_PG_BIN:-} ]]; then
    if [[ -x /usr/lib/postgresql/15/bin/pg_ctl ]]; then
        BAKERY_PG_BIN=/usr/lib/postgresql/15/bin
    else
        BAKERY_PG_BIN=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
        if [[ -z $BAKERY_PG_BIN ]] && command -v pg_ctl >/dev/null; then
            BAKERY_PG_BIN=$(dirname "$(command -v pg_ctl)")
        fi
    fi
fi
RABBIT_BIN=${RABBIT_BIN:-/usr/lib/rabbitmq/bin}

V=$BAKERY_VAR
RUN=$V/run
LOG=$V/log
PGDATA_DIR=$V/pg
RMQ_DIR=$V/rabbitmq
NGX_DIR=$V/nginx
RMQ_NODE=bakery-$BAKERY_AMQP_PORT@localhost

BAKERY_LISTEN=$RUN/api.sock
BAKERY_FCGI=$BAKERY_LISTEN
DATABASE_URL=postgresql://bakery@127.0.0.1:$BAKERY_PG_PORT/bakery
REDIS_URL=redis://127.0.0.1:$BAKERY_REDIS_PORT/0
AMQP_URL=amqp://bakery:bakery@127.0.0.1:$BAKERY_AMQP_PORT/bakery
export BAKERY_VAR BAKERY_HTTP_PORT BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT \
    BAKERY_AMQP_DIST_PORT BAKERY_EPMD_PORT BAKERY_PROCESSES BAKERY_BIN BAKERY_WWW \
    BAKERY_LISTEN BAKERY_FCGI DATABASE_URL REDIS_URL AMQP_URL

IS_ROOT=0
[[ $(id -u) == 0 ]] && IS_ROOT=1

ALL_LOGS=(postgres.log redis.log rabbitmq.log api.log worker.log nginx-error.log nginx-access.log)
SERVICES=(postgres redis epmd rabbitmq api worker nginx)

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

# Is anything accepting TCP connections on 127.0.0.1:PORT?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Pid of service NAME from its pid file (empty if none).
pidfile_of() {
    case $1 in
        postgres) echo "$PGDATA_DIR/postmaster.pid" ;;
        *) echo "$RUN/$1.pid" ;;
    esac
}
read_pid() {
    local f pid=
    f=$(pidfile_of "$1")
    if [[ -r $f ]]; then { read -r pid <"$f"; } 2>/dev/null || true; fi
    [[ $pid =~ ^[0-9]+$ ]] && ((pid > 1)) && printf '%s' "$pid"
    return 0
}

# Does process PID carry a BAKERY_VAR other than ours (another stack's)?
other_stack() {
    local e
    e=$(tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -m1 '^BAKERY_VAR=') || return 1
    [[ $e != "BAKERY_VAR=$V" ]]
}

# Is PID alive and really service NAME of THIS stack (not a recycled pid, not
# the other stack's process)? Judged from its command line (nginx and redis
# rewrite theirs into a title, and their environment with it) and, for the
# processes we spawn, the BAKERY_VAR in their environment.
proc_is() { # NAME PID
    local name=$1 pid=$2 cmd
    [[ -n $pid ]] && alive "$pid" || return 1
    cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) $(cat "/proc/$pid/comm" 2>/dev/null)" || return 1
    case $name in
        postgres) [[ $cmd == *"postgres"*" -D $PGDATA_DIR "* ]] ;;
        redis) [[ $cmd == *"redis-server"*"127.0.0.1:$BAKERY_REDIS_PORT"* ]] ;;
        nginx) [[ $cmd == *"nginx"*"$NGX_DIR/nginx.conf"* ]] ;;
        epmd) [[ $cmd == *epmd*" -port $BAKERY_EPMD_PORT "* ]] && ! other_stack "$pid" ;;
        rabbitmq) [[ $cmd == *rabbitmq-server* || $cmd == *beam* ]] && grep -qzxF "RABBITMQ_MNESIA_BASE=$RMQ_DIR/mnesia" "/proc/$pid/environ" 2>/dev/null ;;
        api | worker) [[ $cmd == *"bakery-$name"* ]] && ! other_stack "$pid" ;;
        *) return 1 ;;
    esac
}

# "running PID" / "stale" / "stopped" for service NAME
svc_state() {
    local pid
    pid=$(read_pid "$1")
    if [[ -z $pid ]]; then
        echo stopped
    elif proc_is "$1" "$pid"; then
        echo "running $pid"
    else
        echo stale
    fi
}

svc_port() {
    case $1 in
        postgres) echo "$BAKERY_PG_PORT" ;;
        redis) echo "$BAKERY_REDIS_PORT" ;;
        epmd) echo "$BAKERY_EPMD_PORT" ;;
        rabbitmq) echo "$BAKERY_AMQP_PORT" ;;
        nginx) echo "$BAKERY_HTTP_PORT" ;;
        api) echo "$BAKERY_LISTEN" ;;
        worker) echo "-" ;;
    esac
}

# /proc/PID/stat fields after "(comm) ": state ppid pgrp ...
# Sets STAT_STATE and STAT_PGRP; false if PID does not exist.
read_stat() {
    local line rest
    STAT_STATE='' STAT_PGRP=''
    { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
    rest=${line##*) }
    STAT_STATE=${rest%% *}
    rest=${rest#* }
    rest=${rest#* }
    STAT_PGRP=${rest%% *}
}

# Alive = exists and is not a zombie (PID 1 may reap orphans only lazily, and
# kill -0 succeeds on a zombie).
alive() {
    read_stat "$1" && [[ $STAT_STATE != [ZX] ]]
}

# Is any live (non-zombie) process left in process group PGID?
group_alive() {
    local f line rest st
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        rest=${line##*) }
        st=${rest%% *}
        rest=${rest#* }
        rest=${rest#* }
        [[ ${rest%% *} == "$1" && $st != [ZX] ]] && return 0
    done
    return 1
}

not_zombie() { ! read_stat "$1" || [[ $STAT_STATE != [ZX] ]]; }

pgid_of() { if read_stat "$1"; then printf '%s' "$STAT_PGRP"; fi; }

# Does process group PGID have a live member whose command line contains PAT?
group_has() { # PGID PAT
    local f line rest st pid cmd
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        rest=${line##*) }
        st=${rest%% *}
        rest=${rest#* }
        rest=${rest#* }
        [[ ${rest%% *} == "$1" && $st != [ZX] ]] || continue
        pid=${f#/proc/}
        pid=${pid%/stat}
        cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
        [[ $cmd == *"$2"* ]] && return 0
    done
    return 1
}

# Leftovers of a crashed service: the pid in its pid file is dead, but members
# of the process group it led live on (nginx workers whose master was killed,
# responders of a killed pool, the rabbitmq-server wrapper's VM). A live group
# whose id is the pid we recorded is ours: Linux does not hand out a pid that
# is still in use as a process group id. Stops them and removes the pid file.
reap_stale() { # SVC [quiet]
    local svc=$1 quiet=${2:-} pid pat deadline
    pid=$(read_pid "$svc")
    if [[ -n $pid ]] && ! alive "$pid" && [[ $pid != "$MY_PGID" ]]; then
        case $svc in
            nginx) pat="nginx: " ;;
            api) pat=bakery-api ;;
            worker) pat=bakery-worker ;;
            rabbitmq) pat=beam ;;
            *) pat= ;;
        esac
        if [[ -n $pat ]] && group_has "$pid" "$pat"; then
            [[ -n $quiet ]] || say "stopping leftovers of crashed $svc (process group $pid)"
            kill -TERM -- "-$pid" 2>/dev/null || true
            deadline=$(( $(now_us) + 5000000 ))
            while group_alive "$pid" && (( $(now_us) < deadline )); do sleep 0.1; done
            if group_alive "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
        fi
    fi
    rm -f "$(pidfile_of "$svc")"
}
MY_PGID=$(pgid_of $$)

# Stop the process PID: SIGTERM, wait up to TIMEOUT seconds, then SIGKILL;
# finally stop whatever is left of its process group (every service runs in a
# session of its own: setsid here, or its own daemonizing), e.g. the
# responders of a pool whose master died, or rabbitmq-server's wrapper shell.
stop_pid() { # NAME PID [TIMEOUT]
    local name=$1 pid=$2 timeout=${3:-10} deadline pgid
    pgid=$(pgid_of "$pid")
    if [[ -z $pgid || $pgid -le 1 || $pgid == "$MY_PGID" ]]; then pgid=; fi
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(( $(now_us) + timeout * 1000000 ))
    while alive "$pid"; do
        if (( $(now_us) >= deadline )); then
            say "$name (pid $pid) ignored SIGTERM for ${timeout}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    if [[ -n $pgid ]] && group_alive "$pgid"; then
        deadline=$(( $(now_us) + 3000000 ))
        kill -TERM -- "-$pgid" 2>/dev/null || true
        while group_alive "$pgid" && (( $(now_us) < deadline )); do sleep 0.1; done
        if group_alive "$pgid"; then kill -KILL -- "-$pgid" 2>/dev/null || true; fi
    fi
}

# Failure during `up`: explain, show the log, (the EXIT trap stops the stack).
fail_ready() { # DESCRIPTION TIMEOUT LOGFILE [REASON]
    local desc=$1 timeout=$2 logf=$3 reason=${4:-}
    if [[ -n $reason ]]; then
        printf 'bakery: %s %s; see %s\n' "$desc" "$reason" "$logf" >&2
    else
        printf 'bakery: %s did not become ready in %ss; see %s\n' "$desc" "$timeout" "$logf" >&2
    fi
    if [[ -r $logf ]]; then
        printf -- '----- last 20 lines of %s -----\n' "$logf" >&2
        tail -n 20 "$logf" >&2 || true
        printf -- '-----\n' >&2
    fi
    exit 1
}

# wait_for DESCRIPTION TIMEOUT_SECONDS LOGFILE COMMAND...
# Polls COMMAND every 0.1 s until it succeeds. On timeout prints
# "bakery: <service> did not become ready in Ns; see <logfile>" and the last
# 20 lines of the log, stops what `up` started and exits 1. If WAIT_PID is set
# (WAIT_PID=123 wait_for ...) and that process dies, it fails at once.
wait_for() {
    local desc=$1 timeout=$2 logf=$3 deadline
    shift 3
    deadline=$(( $(now_us) + timeout * 1000000 ))
    until "$@" >/dev/null 2>&1; do
        if [[ -n ${WAIT_PID:-} ]] && ! alive "$WAIT_PID"; then
            fail_ready "$desc" "$timeout" "$logf" "exited during startup"
        fi
        if (( $(now_us) >= deadline )); then
            fail_ready "$desc" "$timeout" "$logf"
        fi
        sleep 0.1
    done
}

# Start "$@" in the background in its own session, output appended to LOGFILE,
# no stdin, without our lock fd. Prints its pid.
spawn() { # LOGFILE CMD...
    local logf=$1
    shift
    setsid "$@" >>"$logf" 2>&1 </dev/null 9>&- &
    printf '%s' "$!"
}

need_cmds() {
    local missing=() c pkg
    for c in "$@"; do
        [[ $c == */* ]] && { [[ -x $c ]] || missing+=("$c"); continue; }
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    ((${#missing[@]} == 0)) && return 0
    for c in "${missing[@]}"; do
        case $c in
            envsubst) pkg=gettext-base ;;
            psql) pkg=postgresql-client-15 ;;
            *pg_ctl | *initdb) pkg=postgresql-15 ;;
            redis-server) pkg=redis-server ;;
            redis-cli) pkg=redis-tools ;;
            *rabbitmq-server | epmd) pkg="rabbitmq-server (erlang-base)" ;;
            nginx) pkg=nginx-light/nginx ;;
            curl) pkg=curl ;;
            setsid | runuser | flock) pkg=util-linux ;;
            *) pkg="?" ;;
        esac
        printf 'bakery: missing command %s (Debian package: %s)\n' "$c" "$pkg" >&2
    done
    exit 1
}

# Environment of the private broker (server and CLI tools alike).
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
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
)

# AMQP 0-9-1 handshake: send the protocol header, expect a method frame (0x01,
# Connection.Start) back. True only once the broker has fully booted.
amqp_ready() {
    (
        exec 3<>"/dev/tcp/127.0.0.1/$BAKERY_AMQP_PORT" || exit 1
        printf 'AMQP\x00\x00\x09\x01' >&3
        IFS= read -r -t 2 -n 1 -d '' b <&3 || exit 1
        [[ $b == $'\x01' ]]
    ) 2>/dev/null
}

redis_ready() { redis-cli -h 127.0.0.1 -p "$BAKERY_REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
api_health() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$BAKERY_HTTP_PORT/api/health"; }

# Serialise up/down on one BAKERY_VAR (fd 9; every daemon is started without it).
take_lock() {
    mkdir -p "$V"
    exec 9>"$V/.stack.lock"
    if ! flock -w 120 9; then
        die "another scripts/stack.sh is working on $V (lock $V/.stack.lock)"
    fi
}

print_config() {
    local v
    for v in BAKERY_VAR BAKERY_HTTP_PORT BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT \
        BAKERY_AMQP_DIST_PORT BAKERY_EPMD_PORT BAKERY_PROCESSES BAKERY_BIN BAKERY_WWW \
        BAKERY_LISTEN DATABASE_URL REDIS_URL AMQP_URL; do
        printf '  %-22s %s\n' "$v" "${!v}"
    done
}

# ---------------------------------------------------------------- down ----
# Stops one service of this stack if it runs, and clears its leftovers.
stop_service() { # SVC [quiet]
    local svc=$1 quiet=${2:-} st pid
    st=$(svc_state "$svc")
    pid=
    [[ $st == running* ]] && pid=${st#running }
    [[ -z $pid || -n $quiet ]] || say "stopping $svc (pid $pid)"
    case $svc in
        nginx | worker | api)
            [[ -z $pid ]] || stop_pid "$svc" "$pid" 10
            reap_stale "$svc" "$quiet"
            [[ $svc != api ]] || rm -f "$BAKERY_LISTEN"
            ;;
        rabbitmq)
            # The wrapper passes SIGTERM to the VM, which turns it into
            # init:stop(), a clean broker shutdown.
            [[ -z $pid ]] || stop_pid rabbitmq "$pid" 30
            reap_stale rabbitmq "$quiet"
            ;;
        epmd)
            if [[ -n $pid ]]; then
                stop_pid epmd "$pid" 5
            elif port_open "$BAKERY_EPMD_PORT" && [[ $st == stale ]]; then
                # an epmd on our port that we have no live pid for (e.g. started by erl)
                ERL_EPMD_PORT=$BAKERY_EPMD_PORT timeout 5 epmd -kill >/dev/null 2>&1 || true
            fi
            rm -f "$RUN/epmd.pid"
            ;;
        redis)
            [[ -z $pid ]] || stop_pid redis "$pid" 10
            rm -f "$RUN/redis.pid"
            ;;
        postgres)
            if [[ -n $pid ]]; then
                as_pg "$BAKERY_PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1 || true
                if alive "$pid"; then stop_pid postgres "$pid" 10; fi
            fi
            # postmaster.pid is PostgreSQL's own; it removes it (and tolerates a stale one).
            ;;
        *) die "unknown service $svc (one of: ${SERVICES[*]})" ;;
    esac
}

do_down() {
    local quiet=${1:-} svc
    [[ -d $V ]] || { [[ -n $quiet ]] || say "nothing to stop under $V"; return 0; }
    for svc in nginx worker api rabbitmq epmd redis postgres; do
        stop_service "$svc" "$quiet"
    done
    [[ -n $quiet ]] || say "stack under $V is down"
}

# Starts one stopped service of a running stack (fault tests stop and start
# single services). Migrations are not re-run.
start_service() { # SVC
    local svc=$1
    [[ $(svc_state "$svc") != running* ]] || { say "$svc already running"; return 0; }
    case $svc in
        postgres) start_postgres ;;
        redis) start_redis ;;
        rabbitmq) launch_rabbitmq && wait_rabbitmq ;;
        api) start_api ;;
        worker) start_worker ;;
        nginx) start_nginx ;;
        *) die "cannot start $svc alone (one of: postgres redis rabbitmq api worker nginx)" ;;
    esac
    say "$svc started"
}

# ------------------------------------------------------------------ up ----
UP_DONE=0
up_exit_trap() {
    local rc=$?
    if ((UP_DONE == 0)); then
        trap - EXIT INT TERM
        printf 'bakery: up failed; stopping what was started under %s\n' "$V" >&2
        do_down quiet || true
        exit $((rc == 0 ? 1 : rc))
    fi
}

prepare_dirs() {
    mkdir -p "$V" "$RUN" "$LOG" "$PGDATA_DIR" "$V/redis" "$RMQ_DIR/log" "$RMQ_DIR/mnesia" "$NGX_DIR"
    local f
    for f in "${ALL_LOGS[@]}"; do [[ -e $LOG/$f ]] || : >"$LOG/$f"; done
    if ((IS_ROOT)); then
        id postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (install postgresql-15, or run as non-root)"
        chown postgres:postgres "$PGDATA_DIR"
        chmod 0700 "$PGDATA_DIR"
        chown root:postgres "$RUN"    # postgres puts its socket here
        chmod 0775 "$RUN"
        chown postgres "$LOG/postgres.log"
        if ! runuser -u postgres -- test -w "$RUN" -a -x "$PGDATA_DIR" -a -w "$LOG/postgres.log" 2>/dev/null; then
            die "the postgres user cannot reach $V (a parent directory is not world-searchable?); set BAKERY_VAR to a directory it can reach, e.g. /tmp/bakery"
        fi
    else
        chmod 0700 "$PGDATA_DIR"
    fi
    local sock=$RUN/.s.PGSQL.$BAKERY_PG_PORT
    ((${#sock} < 100)) || die "socket paths under $RUN are too long for unix sockets (${#sock} chars); use a shorter BAKERY_VAR"
}

start_postgres() {
    local log=$LOG/postgres.log
    if [[ ! -s $PGDATA_DIR/PG_VERSION ]]; then
        say "initialising PostgreSQL cluster in $PGDATA_DIR"
        if ! as_pg "$BAKERY_PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C.UTF-8 >>"$log" 2>&1; then
            fail_ready postgres 0 "$log" "initdb failed"
        fi
        printf "\n# Bakery: settings managed by scripts/stack.sh\ninclude_if_exists = 'bakery.conf'\n" |
            as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
    fi
    # Rewritten on every start so port/paths follow the environment.
    as_pg tee "$PGDATA_DIR/bakery.conf" >/dev/null <<EOF
# Generated by scripts/stack.sh on every start; do not edit.
listen_addresses = '127.0.0.1'
port = $BAKERY_PG_PORT
unix_socket_directories = '$RUN'
unix_socket_permissions = 0777
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    # A postmaster killed a moment ago may still be a zombie (not yet reaped
    # by PID 1); PostgreSQL would take its stale postmaster.pid for a live one.
    local old
    old=$(read_pid postgres)
    if [[ -n $old ]] && read_stat "$old" && [[ $STAT_STATE == [ZX] ]]; then
        wait_for "postgres (old postmaster $old to be reaped)" 15 "$log" not_zombie "$old"
    fi
    # shellcheck disable=SC2094  # pg_ctl -l appends to the log, as does its stderr
    if ! as_pg "$BAKERY_PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$log" -w -t 60 start >/dev/null 2>>"$log" 9>&-; then
        fail_ready postgres 60 "$log" "failed to start (pg_ctl start)"
    fi
    # role + database, once
    if ! psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$BAKERY_PG_PORT" -U postgres -d postgres >/dev/null 2>>"$log" <<'SQL'
SELECT 'CREATE ROLE bakery LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bakery')
\gexec
SELECT 'CREATE DATABASE bakery OWNER bakery' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'bakery')
\gexec
SQL
    then
        fail_ready postgres 0 "$log" "could not create role/database bakery"
    fi
}

start_redis() {
    local log=$LOG/redis.log
    cat >"$V/redis/redis.conf" <<EOF
# Generated by scripts/stack.sh on every start; do not edit. Cache only.
bind 127.0.0.1
port $BAKERY_REDIS_PORT
protected-mode yes
daemonize yes
pidfile "$RUN/redis.pid"
logfile "$log"
dir "$V/redis"
save ""
appendonly no
EOF
    if ! redis-server "$V/redis/redis.conf" >>"$log" 2>&1 9>&-; then
        fail_ready redis 0 "$log" "failed to start"
    fi
    wait_for redis 10 "$log" redis_ready
}

# RabbitMQ boots slowly (~6 s here), so it is launched first and waited for
# after PostgreSQL, Redis and the migrations. run/rabbitmq.pid is the
# rabbitmq-server wrapper shell (leader of the broker's process group): on
# SIGTERM it stops the Erlang VM cleanly (init:stop) and waits for it.
launch_rabbitmq() {
    local log=$LOG/rabbitmq.log pid
    printf '# Generated by scripts/stack.sh: keeps /etc/rabbitmq/rabbitmq-env.conf out.\n' >"$RMQ_DIR/rabbitmq-env.conf"
    printf '[].\n' >"$RMQ_DIR/enabled_plugins"
    cat >"$RMQ_DIR/rabbitmq.conf" <<EOF
# Generated by scripts/stack.sh on every start; do not edit.
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
    # private epmd, owned by us (still running when only the broker restarts)
    if [[ $(svc_state epmd) != running* ]]; then
        pid=$(spawn "$log" epmd -port "$BAKERY_EPMD_PORT" -address 127.0.0.1)
        echo "$pid" >"$RUN/epmd.pid"
        WAIT_PID=$pid wait_for epmd 10 "$log" epmd -port "$BAKERY_EPMD_PORT" -names
    fi

    pid=$(cd "$RMQ_DIR" && spawn "$log" env "${RMQ_ENV[@]}" "$RABBIT_BIN/rabbitmq-server")
    echo "$pid" >"$RUN/rabbitmq.pid"
}

wait_rabbitmq() {
    WAIT_PID=$(read_pid rabbitmq) wait_for rabbitmq 90 "$LOG/rabbitmq.log" amqp_ready
}

start_api() {
    local log=$LOG/api.log pid
    rm -f "$BAKERY_LISTEN"
    pid=$(cd "$REPO" && spawn "$log" "$BAKERY_BIN/bakery-api" --listen "$BAKERY_LISTEN" --processes "$BAKERY_PROCESSES")
    echo "$pid" >"$RUN/api.pid"
    WAIT_PID=$pid wait_for "api (socket $BAKERY_LISTEN)" 30 "$log" test -S "$BAKERY_LISTEN"
}

start_worker() {
    local log=$LOG/worker.log pid
    pid=$(cd "$REPO" && spawn "$log" "$BAKERY_BIN/bakery-worker")
    echo "$pid" >"$RUN/worker.pid"
}

nginx_args() {
    NGX_ARGS=(-p "$NGX_DIR/" -c "$NGX_DIR/nginx.conf" -e "$LOG/nginx-error.log")
    ((IS_ROOT)) && NGX_ARGS+=(-g 'user root;')
    return 0
}

render_nginx() {
    # shellcheck disable=SC2016  # literal ${...}: the list of variables to substitute
    BAKERY_HTTP_LISTEN=127.0.0.1:$BAKERY_HTTP_PORT BAKERY_UPSTREAM=unix:$BAKERY_FCGI \
        envsubst '${BAKERY_HTTP_LISTEN} ${BAKERY_VAR} ${BAKERY_WWW} ${BAKERY_UPSTREAM}' \
        <"$REPO/nginx/bakery.conf.in" >"$NGX_DIR/nginx.conf.tmp"
    mv -f "$NGX_DIR/nginx.conf.tmp" "$NGX_DIR/nginx.conf"
}

start_nginx() {
    local log=$LOG/nginx-error.log pid
    render_nginx
    nginx_args
    if ! nginx -t -q "${NGX_ARGS[@]}" >>"$log" 2>&1; then
        nginx -t "${NGX_ARGS[@]}" 2>&1 | sed 's/^/  /' >&2 || true
        fail_ready nginx 0 "$log" "configuration test failed ($NGX_DIR/nginx.conf)"
    fi
    pid=$(spawn "$log" nginx "${NGX_ARGS[@]}")
    WAIT_PID=$pid wait_for nginx 10 "$log" port_open "$BAKERY_HTTP_PORT"
    [[ -s $RUN/nginx.pid ]] || echo "$pid" >"$RUN/nginx.pid"
}

# Starts the stack. Exits (0) if it is already fully running, and (1) if it is
# partially running. Never call it as `do_up || ...` (that would disable set -e).
UP_MODE=up
do_up() {
    local t0 svc st running=() stopped=() p
    t0=$(now_us)
    need_cmds envsubst psql "$BAKERY_PG_BIN/pg_ctl" "$BAKERY_PG_BIN/initdb" redis-server redis-cli \
        "$RABBIT_BIN/rabbitmq-server" epmd nginx curl setsid flock
    ((IS_ROOT)) && need_cmds runuser
    [[ -f $REPO/nginx/bakery.conf.in ]] || die "missing $REPO/nginx/bakery.conf.in"

    take_lock
    for svc in "${SERVICES[@]}"; do
        st=$(svc_state "$svc")
        if [[ $st == running* ]]; then running+=("$svc(pid ${st#running })"); else stopped+=("$svc"); fi
    done
    if ((${#stopped[@]} == 0)); then
        say "bakery stack already running under $V (http://127.0.0.1:$BAKERY_HTTP_PORT/); use make down first"
        if [[ $UP_MODE == run ]]; then
            say "not attaching to a stack this command did not start" >&2
            exit 1
        fi
        exit 0
    fi
    if ((${#running[@]} > 0)); then
        say "bakery stack partially running under $V: running ${running[*]}; stopped ${stopped[*]}" >&2
        say "use make down first (scripts/stack.sh down), then make up" >&2
        exit 1
    fi

    # Stale pid files (and leftovers) from a crash: none names a live process
    # of ours (postmaster.pid is PostgreSQL's, which copes with a stale one).
    for svc in nginx worker api rabbitmq epmd redis; do reap_stale "$svc"; done
    rm -f "$BAKERY_LISTEN"

    [[ -x $BAKERY_BIN/bakery-api ]] || die "$BAKERY_BIN/bakery-api not found or not executable (build it first: make; or set BAKERY_BIN)"
    [[ -x $BAKERY_BIN/bakery-worker ]] || die "$BAKERY_BIN/bakery-worker not found or not executable (build it first: make; or set BAKERY_BIN)"
    [[ -d $BAKERY_WWW ]] || die "BAKERY_WWW=$BAKERY_WWW is not a directory"

    for p in BAKERY_PG_PORT BAKERY_REDIS_PORT BAKERY_AMQP_PORT BAKERY_AMQP_DIST_PORT \
        BAKERY_EPMD_PORT BAKERY_HTTP_PORT; do
        if port_open "${!p}"; then
            die "port ${!p} ($p) is already in use by another process; set $p to a free port"
        fi
    done

    UP_DONE=0
    trap up_exit_trap EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    prepare_dirs
    say "starting stack under $V"
    launch_rabbitmq
    start_postgres
    say "postgres  up  ($(elapsed "$t0"))"
    start_redis
    say "redis     up  ($(elapsed "$t0"))"
    if ! (cd "$REPO" && "$SCRIPT_DIR/migrate.sh") 9>&-; then
        fail_ready migrations 0 "$LOG/postgres.log" "failed (output above)"
    fi
    wait_rabbitmq
    say "rabbitmq  up  ($(elapsed "$t0"))"
    start_api
    start_worker
    start_nginx
    WAIT_PID=$(read_pid api) wait_for "api (GET /api/health)" 30 "$LOG/api.log" api_health
    st=$(svc_state worker)
    [[ $st == running* ]] || fail_ready worker 0 "$LOG/worker.log" "exited during startup"

    UP_DONE=1
    trap - EXIT INT TERM
    exec 9>&-
    cat <<EOF
bakery: stack is up under $V in $(elapsed "$t0")
  storefront  http://127.0.0.1:$BAKERY_HTTP_PORT/
  api         http://127.0.0.1:$BAKERY_HTTP_PORT/api/products
  health      http://127.0.0.1:$BAKERY_HTTP_PORT/api/health
  postgres    $DATABASE_URL   (scripts/stack.sh psql)
  redis       $REDIS_URL
  amqp        $AMQP_URL
  logs        $LOG/   (scripts/stack.sh logs)
EOF
}

# -------------------------------------------------------------- status ----
do_status() {
    local svc st all=0 pid
    echo "bakery stack under $V:"
    for svc in "${SERVICES[@]}"; do
        st=$(svc_state "$svc")
        if [[ $st == running* ]]; then
            pid=${st#running }
            printf '  %-9s running  pid %-7s %s\n' "$svc" "$pid" "$(svc_port "$svc")"
        else
            printf '  %-9s stopped%s\n' "$svc" "$([[ $st == stale ]] && echo ' (stale pid file)')"
            all=3
        fi
    done
    echo "configuration:"
    print_config
    return $all
}

do_logs() {
    mkdir -p "$LOG"
    local files=() f
    for f in "${ALL_LOGS[@]}"; do files+=("$LOG/$f"); done
    exec tail -n 50 -F "${files[@]}"
}

TAIL_PID=
do_run() {
    UP_MODE=run
    do_up
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
    local files=() f
    for f in "${ALL_LOGS[@]}"; do files+=("$LOG/$f"); done
    tail -n 0 -F "${files[@]}" &
    TAIL_PID=$!
    wait "$TAIL_PID" || true
}

usage() {
    cat <<EOF
usage: scripts/stack.sh COMMAND
  up       start postgres, redis, rabbitmq, api, worker, nginx (idempotent)
  down     stop everything started by up (data under \$BAKERY_VAR is kept)
  status   one line per service; exit 0 if all run, 3 otherwise
  logs     tail -F all logs in \$BAKERY_VAR/log
  psql     psql on \$DATABASE_URL with the remaining arguments
  run      up, stream logs until Ctrl-C, then down
  stop SERVICE / start SERVICE
           stop or start one service of a running stack (postgres, redis,
           rabbitmq, api, worker, nginx), e.g. for fault tests
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
    logs) do_logs ;;
    psql) exec psql "$DATABASE_URL" "$@" ;;
    stop)
        [[ $# -eq 1 ]] || die "usage: scripts/stack.sh stop SERVICE"
        take_lock
        stop_service "$1"
        ;;
    start)
        [[ $# -eq 1 ]] || die "usage: scripts/stack.sh start SERVICE"
        take_lock
        start_service "$1"
        ;;
    run) do_run ;;
    help | -h | --help) usage ;;
    *) usage >&2; exit 2 ;;
esac
