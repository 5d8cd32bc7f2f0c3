# shellcheck shell=bash
# Project-local PostgreSQL and Redis for Proofwork.
#
# Source this file, then call `ensure_services`. Afterwards DATABASE_URL and
# REDIS_URL are exported.
#
#   DATABASE_URL set        -> used as is, no PostgreSQL is started
#   REDIS_URL set           -> used as is, no Redis is started
#   otherwise               -> project-local instances, bound to 127.0.0.1:
#       data under  ${PROOFWORK_LOCAL_DIR:-<repo>/.local}
#       PostgreSQL  ${PROOFWORK_PG_PORT:-25432}   (database "proofwork")
#       Redis       ${PROOFWORK_REDIS_PORT:-26379}
#
# The default ports lie below Linux's ephemeral range (32768-60999): a port
# in that range can be held for a moment by any outgoing connection (a load
# test opens thousands), and a start would then fail at random.
# System instances on 5432 / 6379 are never used. Missing binaries are
# installed with apt-get. Running it again reuses what is already running.
# `stop_services` stops the project-local instances of the same folder/ports.

PW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PW_APT_UPDATED=${PW_APT_UPDATED:-0}

pw_log() { printf '[services] %s\n' "$*" >&2; }
pw_die() { printf '[services] ERROR: %s\n' "$*" >&2; return 1; }

pw_local_dir() {
    local dir="${PROOFWORK_LOCAL_DIR:-$PW_ROOT/.local}"
    mkdir -p "$dir"
    (cd "$dir" && pwd)
}
pw_pg_port() { printf '%s' "${PROOFWORK_PG_PORT:-25432}"; }
pw_redis_port() { printf '%s' "${PROOFWORK_REDIS_PORT:-26379}"; }

# Runs a command as root (directly, or through sudo when not root).
pw_as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        pw_die "need root (or sudo) to run: $*"
    fi
}

# apt_install PKG...  -- apt-get update once per shell, then install.
apt_install() {
    command -v apt-get >/dev/null 2>&1 || pw_die "apt-get not found; install $* by hand" || return 1
    local made_policy=0
    if [[ $PW_APT_UPDATED != 1 ]]; then
        pw_log "apt-get update"
        pw_as_root apt-get update -qq || return 1
        PW_APT_UPDATED=1
    fi
    # Keep packages from starting their own daemons (e.g. a cluster on 5432):
    # we never use them. Only done when no policy exists already.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        pw_as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d' && made_policy=1
    fi
    pw_log "apt-get install $*"
    local rc=0
    pw_as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@" || rc=$?
    if [[ $made_policy == 1 ]]; then
        pw_as_root rm -f /usr/sbin/policy-rc.d
    fi
    return $rc
}

# Newest PostgreSQL (15+) binary folder, or nothing.
pw_pg_bindir() {
    local initdb ver best="" bestver=0
    for initdb in /usr/lib/postgresql/*/bin/initdb; do
        [[ -x $initdb ]] || continue
        ver="${initdb#/usr/lib/postgresql/}"
        ver="${ver%%/*}"
        [[ $ver =~ ^[0-9]+$ ]] || continue
        if ((ver >= 15 && ver > bestver)); then
            bestver=$ver
            best="$(dirname "$initdb")"
        fi
    done
    [[ -n $best ]] && printf '%s' "$best"
}

# A psql client: from PATH, else from the PostgreSQL binary folder, else
# installs postgresql-client. Prints its path.
pw_psql_bin() {
    local bin
    if bin="$(command -v psql 2>/dev/null)" && "$bin" --version >/dev/null 2>&1; then
        printf '%s' "$bin"
        return 0
    fi
    if bin="$(pw_pg_bindir)" && [[ -x $bin/psql ]]; then
        printf '%s' "$bin/psql"
        return 0
    fi
    apt_install postgresql-client >&2 || return 1
    command -v psql
}

# Runs a PostgreSQL server binary as the owner of the data folder.
pw_pg_run() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Makes every parent of $1 traversable for the postgres user (root only).
pw_make_traversable() {
    [[ $EUID -eq 0 ]] || return 0
    local dir="$1"
    while [[ $dir != / && -n $dir ]]; do
        if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
            pw_log "chmod o+x $dir (so the postgres user can reach its data)"
            chmod o+x "$dir"
        fi
        dir="$(dirname "$dir")"
    done
}

pw_port_listening() { # port -> 0 when something accepts TCP on 127.0.0.1:port
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ensure_postgres() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        pw_log "PostgreSQL: using DATABASE_URL from the environment (starting none)"
        export DATABASE_URL
        return 0
    fi
    local bindir
    if ! bindir="$(pw_pg_bindir)"; then
        pw_log "PostgreSQL 15+ binaries not found under /usr/lib/postgresql; installing"
        apt_install postgresql || return 1
        bindir="$(pw_pg_bindir)" || pw_die "no PostgreSQL 15+ after installing the postgresql package" || return 1
    fi
    if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        pw_die "running as root but there is no 'postgres' user to run PostgreSQL as" || return 1
    fi

    local local_dir port base data sock log
    local_dir="$(pw_local_dir)"
    port="$(pw_pg_port)"
    base="$local_dir/pg"
    data="$base/data"
    sock="$base/sock"
    log="$base/pg.log"
    # Unix socket paths are limited to ~107 bytes.
    if ((${#sock} + 20 > 107)); then
        sock="/tmp/proofwork-pg-$port"
        pw_log "PostgreSQL: local folder path is long; socket goes to $sock"
    fi

    mkdir -p "$base" "$sock"
    if [[ $EUID -eq 0 ]]; then
        chown postgres: "$base" "$sock"
        chmod 700 "$base"
        pw_make_traversable "$local_dir"
        [[ $sock == "$base"/* ]] || chmod 755 "$(dirname "$sock")" 2>/dev/null || true
    fi

    if [[ ! -s $data/PG_VERSION ]]; then
        local locale=C
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C.UTF-8; fi
        pw_log "PostgreSQL: initdb $data ($(basename "$(dirname "$bindir")"), locale $locale)"
        rm -rf "$data"
        pw_pg_run "$bindir/initdb" -D "$data" --auth=trust -U postgres \
            --encoding=UTF8 --locale="$locale" >"$base/initdb.log" 2>&1 ||
            { cat "$base/initdb.log" >&2; pw_die "initdb failed (log: $base/initdb.log)"; return 1; }
    fi

    local running=0
    if pw_pg_run "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        # Running: on the port we want?
        local cur_port
        cur_port="$(sed -n 4p "$data/postmaster.pid" 2>/dev/null || true)"
        if [[ $cur_port == "$port" ]]; then
            running=1
            pw_log "PostgreSQL: already running on 127.0.0.1:$port ($data)"
        else
            pw_log "PostgreSQL: running on port $cur_port, restarting on $port"
            pw_pg_run "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null || return 1
        fi
    fi
    if [[ $running == 0 ]]; then
        if pw_port_listening "$port"; then
            pw_die "port $port is taken by another program; set PROOFWORK_PG_PORT" || return 1
        fi
        pw_log "PostgreSQL: starting on 127.0.0.1:$port (data $data, log $log)"
        pw_pg_run "$bindir/pg_ctl" -D "$data" -l "$log" \
            -o "-p $port -k '$sock' -c listen_addresses=127.0.0.1" -w -t 60 start >/dev/null ||
            { tail -n 20 "$log" >&2; pw_die "PostgreSQL did not start (log: $log)"; return 1; }
    fi

    local psql="$bindir/psql"
    local admin="postgres://postgres@127.0.0.1:$port/postgres"
    if [[ "$("$psql" "$admin" -XtAc "SELECT 1 FROM pg_database WHERE datname = 'proofwork'")" != 1 ]]; then
        pw_log "PostgreSQL: creating database proofwork"
        "$psql" "$admin" -Xq -c "CREATE DATABASE proofwork" || return 1
    fi
    export DATABASE_URL="postgres://postgres@127.0.0.1:$port/proofwork"
    pw_log "PostgreSQL: DATABASE_URL=$DATABASE_URL"
}

ensure_redis() {
    if [[ -n ${REDIS_URL:-} ]]; then
        pw_log "Redis: using REDIS_URL from the environment (starting none)"
        export REDIS_URL
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        pw_log "Redis binaries not found; installing"
        apt_install redis-server || return 1
    fi
    local local_dir port dir
    local_dir="$(pw_local_dir)"
    port="$(pw_redis_port)"
    dir="$local_dir/redis"
    mkdir -p "$dir"
    if [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]; then
        pw_log "Redis: already running on 127.0.0.1:$port"
    else
        if pw_port_listening "$port"; then
            pw_die "port $port is taken by a program that is not Redis; set PROOFWORK_REDIS_PORT" || return 1
        fi
        pw_log "Redis: starting on 127.0.0.1:$port (dir $dir)"
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
            --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" \
            --logfile "$dir/redis.log" || { pw_die "redis-server failed (log: $dir/redis.log)"; return 1; }
        local i
        for ((i = 0; i < 100; i++)); do
            [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] && break
            sleep 0.1
        done
        [[ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]] ||
            { tail -n 20 "$dir/redis.log" >&2; pw_die "Redis did not answer on port $port"; return 1; }
    fi
    export REDIS_URL="redis://127.0.0.1:$port"
    pw_log "Redis: REDIS_URL=$REDIS_URL"
}

ensure_services() {
    ensure_postgres || return 1
    ensure_redis || return 1
}

# Stops the project-local instances (same PROOFWORK_LOCAL_DIR / ports).
stop_services() {
    local local_dir bindir data dir pid
    local_dir="${PROOFWORK_LOCAL_DIR:-$PW_ROOT/.local}"
    data="$local_dir/pg/data"
    if [[ -s $data/PG_VERSION ]] && bindir="$(pw_pg_bindir)"; then
        if pw_pg_run "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
            pw_log "PostgreSQL: stopping ($data)"
            pw_pg_run "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null
        else
            pw_log "PostgreSQL: not running ($data)"
        fi
    fi
    dir="$local_dir/redis"
    if [[ -s $dir/redis.pid ]]; then
        pid="$(cat "$dir/redis.pid")"
        if [[ $pid =~ ^[0-9]+$ ]] && grep -q redis "/proc/$pid/comm" 2>/dev/null; then
            pw_log "Redis: stopping (pid $pid)"
            kill "$pid"
            local i
            for ((i = 0; i < 50; i++)); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
        else
            pw_log "Redis: not running ($dir)"
        fi
        rm -f "$dir/redis.pid"
    fi
}

status_services() {
    local local_dir bindir data
    local_dir="${PROOFWORK_LOCAL_DIR:-$PW_ROOT/.local}"
    data="$local_dir/pg/data"
    if [[ -s $data/PG_VERSION ]] && bindir="$(pw_pg_bindir)" &&
        pw_pg_run "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        echo "PostgreSQL: running on 127.0.0.1:$(sed -n 4p "$data/postmaster.pid") ($data)"
    else
        echo "PostgreSQL: not running ($data)"
    fi
    if [[ "$(redis-cli -h 127.0.0.1 -p "$(pw_redis_port)" ping 2>/dev/null)" == PONG ]]; then
        echo "Redis: running on 127.0.0.1:$(pw_redis_port)"
    else
        echo "Redis: not running on 127.0.0.1:$(pw_redis_port)"
    fi
}

# free_port -> prints a free TCP port on 127.0.0.1 (avoiding the usual ones).
free_port() {
    local p
    while :; do
        if command -v python3 >/dev/null 2>&1; then
            p="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
        else
            p="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
        fi
        case $p in 5432 | 6379 | 25432 | 26379 | 3000) continue ;; esac
        printf '%s' "$p"
        return 0
    done
}

# db_url_with_name URL NAME -> URL with its database replaced by NAME.
db_url_with_name() {
    local url="$1" name="$2" rest query=""
    if [[ $url == *\?* ]]; then
        query="?${url#*\?}"
        url="${url%%\?*}"
    fi
    rest="${url#*://}"
    if [[ $rest == */* ]]; then
        url="${url%/*}"
    fi
    printf '%s/%s%s' "$url" "$name" "$query"
}

# ensure_nextest -> cargo-nextest on PATH (the Rust tests run with it: each
# test in its own process, with a time bound). Uses the one on PATH, else
# installs it from crates.io once into ${PROOFWORK_TOOLS_DIR:-~/.cache/proofwork/tools}.
ensure_nextest() {
    if cargo nextest --version >/dev/null 2>&1; then return 0; fi
    local root="${PROOFWORK_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/proofwork/tools}"
    export PATH="$root/bin:$PATH"
    if cargo nextest --version >/dev/null 2>&1; then return 0; fi
    pw_log "installing cargo-nextest from crates.io into $root (once; a few minutes)"
    cargo install --locked --root "$root" cargo-nextest || return 1
}
