# shellcheck shell=bash
# A local PostgreSQL cluster on a loopback port, with a `sygnal` role and database (same recipe
# as tests/support/postgres.rs); sourced by scripts/demo and scripts/postgres.
# Functions use PG_DIR (the cluster's folder), PG_PORT, PG_BIN; postgres_start writes
# $PG_DIR/sygnal.url (0600), the URL the register reads with `url-file`.

# The newest installed server's programs (Debian keeps them out of PATH).
postgres_bin() {
    local d
    d=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n1)
    if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
        echo "error: PostgreSQL is not installed (apt-get install postgresql)" >&2
        return 1
    fi
    echo "$d"
}

# Runs a command as the cluster's owner: `postgres` when we are root (initdb refuses root).
as_pg_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# postgres_setup DIR: a new cluster in DIR/data (scram-sha-256 logins only, fsync and
# synchronous_commit on, as the register requires).
postgres_setup() {
    PG_DIR=$1
    PG_BIN=$(postgres_bin)
    PG_PORT=${PG_PORT:-$(free_port)}
    mkdir -p "$PG_DIR"
    chmod 0755 "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
    local pw
    pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    printf '%s' "$pw" | as_pg_owner tee "$PG_DIR/superuser.pass" >/dev/null
    as_pg_owner chmod 600 "$PG_DIR/superuser.pass"
    as_pg_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=scram-sha-256 -E UTF8 \
        --locale=C --no-instructions --pwfile="$PG_DIR/superuser.pass" >"$PG_DIR/initdb.log"
    echo "$PG_PORT" | as_pg_owner tee "$PG_DIR/port" >/dev/null
}

# postgres_start: starts the cluster in PG_DIR; creates the `sygnal` role and database once and
# writes $PG_DIR/sygnal.url.
postgres_start() {
    PG_BIN=${PG_BIN:-$(postgres_bin)}
    PG_PORT=$(cat "$PG_DIR/port")
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -s \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1" start
    if [ ! -f "$PG_DIR/sygnal.url" ]; then
        local pw
        pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
        PGPASSWORD=$(as_pg_owner cat "$PG_DIR/superuser.pass") "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
            "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" \
            -c "CREATE ROLE sygnal LOGIN PASSWORD '$pw'" \
            -c "CREATE DATABASE sygnal OWNER sygnal"
        (umask 077; printf 'postgres://sygnal:%s@127.0.0.1:%s/sygnal\n' "$pw" "$PG_PORT" >"$PG_DIR/sygnal.url")
    fi
}

# postgres_stop: fast shutdown of the cluster in PG_DIR (if running).
postgres_stop() {
    [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] || return 0
    PG_BIN=${PG_BIN:-$(postgres_bin)}
    as_pg_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -s stop 2>/dev/null || true
}
