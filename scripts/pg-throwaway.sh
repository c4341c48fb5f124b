#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, from the machine's PostgreSQL
# binaries (initdb, pg_ctl, createdb).
#
#   scripts/pg-throwaway.sh start DIR   creates and starts a cluster in DIR (which
#                                       must be missing or empty) and prints its
#                                       URL as the last line of stdout:
#                                         postgres://USER@127.0.0.1:PORT/tessera
#   scripts/pg-throwaway.sh stop DIR    stops that cluster and removes DIR
#
# The cluster listens on 127.0.0.1 on a free port and on a unix socket in DIR,
# trusts every local connection, and runs with fsync off: fast, and not for
# data anyone wants to keep. PostgreSQL refuses to run as root, so as root the
# cluster runs as the system user `tessera-test` (created when missing).
#
# Set PG_BINDIR to use binaries other than those `pg_config --bindir` names.
set -euo pipefail

die() { printf 'pg-throwaway: %s\n' "$*" >&2; exit 1; }
say() { printf 'pg-throwaway: %s\n' "$*" >&2; }

MARKER=".tessera-pg-throwaway"
RUN_USER="tessera-test"

usage() { die "usage: $0 start DIR | stop DIR"; }

find_bindir() {
  local dir=""
  if [ -n "${PG_BINDIR:-}" ]; then
    dir=$PG_BINDIR
  elif command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir)
  fi
  if [ -z "${PG_BINDIR:-}" ] && { [ -z "$dir" ] || [ ! -x "$dir/initdb" ]; }; then
    # Debian keeps the server binaries out of PATH, one directory per version.
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
      if [ -x "$candidate/initdb" ]; then dir=$candidate; break; fi
    done
  fi
  for tool in initdb pg_ctl createdb; do
    [ -n "$dir" ] && [ -x "$dir/$tool" ] \
      || die "PostgreSQL server binaries not found (no $tool in '${dir:-anywhere}'); install them (Debian: apt-get install postgresql) or set PG_BINDIR"
  done
  printf '%s\n' "$dir"
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$RUN_USER" -- "$@"
  else
    "$@"
  fi
}

owner_name() {
  if [ "$(id -u)" -eq 0 ]; then printf '%s\n' "$RUN_USER"; else id -un; fi
}

ensure_run_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  if ! id -u "$RUN_USER" >/dev/null 2>&1; then
    command -v useradd >/dev/null 2>&1 || die "cannot create the user $RUN_USER: useradd is missing"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER" \
      || die "cannot create the system user $RUN_USER"
  fi
  command -v runuser >/dev/null 2>&1 || die "runuser is missing (util-linux)"
}

# Is something listening on 127.0.0.1:$1?
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local dir=$1
  local bindir
  bindir=$(find_bindir)
  if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
    die "$dir exists and is not empty; stop the cluster there first or choose another directory"
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  touch "$dir/$MARKER"
  ensure_run_user
  if [ "$(id -u)" -eq 0 ]; then
    chown -R "$RUN_USER" "$dir"
    chmod 700 "$dir"
    runuser -u "$RUN_USER" -- test -w "$dir" \
      || die "$RUN_USER cannot reach $dir; choose a directory whose parents others may enter (e.g. under /tmp)"
  fi
  local data="$dir/data"
  local user
  user=$(owner_name)

  say "initdb in $data ($bindir)"
  as_owner "$bindir/initdb" --pgdata="$data" --username="$user" --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  cat >>"$data/postgresql.conf" <<EOF

# pg-throwaway: fast and disposable.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 128MB
EOF

  local attempt port=""
  for attempt in $(seq 1 20); do
    local candidate=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if port_in_use "$candidate"; then continue; fi
    if as_owner "$bindir/pg_ctl" --pgdata="$data" --log="$dir/postgres.log" --wait --timeout=60 \
        --options="-c port=$candidate" start >/dev/null 2>&1; then
      port=$candidate
      break
    fi
    # Lost a race for the port (or worse): the log says which.
    say "start on port $candidate failed (attempt $attempt); last log lines:"
    tail -n 3 "$dir/postgres.log" >&2 || true
  done
  [ -n "$port" ] || die "PostgreSQL did not start; see $dir/postgres.log"
  printf '%s\n' "$port" >"$dir/port"

  as_owner "$bindir/createdb" --host="$dir" --port="$port" --username="$user" tessera \
    || die "cannot create the database tessera"
  say "PostgreSQL $("$bindir/pg_ctl" --version | awk '{print $3}') is running in $dir on 127.0.0.1:$port"
  printf 'postgres://%s@127.0.0.1:%s/tessera\n' "$user" "$port"
}

stop() {
  local dir=$1
  [ -d "$dir" ] || { say "nothing to stop: $dir does not exist"; return 0; }
  [ -e "$dir/$MARKER" ] || die "$dir was not made by $0; not touching it"
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bindir
    bindir=$(find_bindir)
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=immediate --wait stop >/dev/null \
      || die "pg_ctl stop failed; the cluster in $dir may still be running"
  fi
  rm -rf -- "$dir"
  say "stopped and removed $dir"
}

[ $# -eq 2 ] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
