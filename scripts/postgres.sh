#!/usr/bin/env bash
# A throw-away PostgreSQL for the store test suite (and for trying DATABASE_URL locally).
#
#   scripts/postgres.sh start   install PostgreSQL with apt if needed, create the cluster under
#                               <repo>/.data/postgres, start it on 127.0.0.1:54329, create the
#                               database, and print `DATABASE_URL=...` as the last line of stdout
#   scripts/postgres.sh stop    stop it (the data stays; remove .data/postgres to start afresh)
#   scripts/postgres.sh status  exit 0 when running
#   scripts/postgres.sh url     print the DATABASE_URL line
#
# Progress goes to stderr, so `export "$(scripts/postgres.sh start | tail -n 1)"` works in CI.
# As root, the cluster is owned by and runs as the `postgres` user (PostgreSQL refuses root);
# as any other user, it runs as that user.
set -euo pipefail

PORT="${PGTEST_PORT:-54329}"
DB_NAME="${PGTEST_DB:-realtime_test}"
DB_USER=postgres
DB_PASSWORD=postgres

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_DIR="$REPO_ROOT/.data/postgres"
PGDATA_DIR="$BASE_DIR/cluster"
SOCKET_DIR="$BASE_DIR/run"
LOG_FILE="$BASE_DIR/postgres.log"
DATABASE_URL="postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"

log() { printf '[postgres.sh] %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# Debian keeps the server binaries out of PATH, in /usr/lib/postgresql/<version>/bin.
find_bin_dir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then
    printf '%s\n' "$dir"
    return 0
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"
    return 0
  fi
  return 1
}

install_postgres() {
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is not installed and installing it needs root (apt-get)"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is not available; install it and retry"
  log "installing PostgreSQL with apt-get (this takes a minute)"
  "${sudo[@]}" apt-get update >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends postgresql >&2
}

BIN_DIR=""
resolve_bin_dir() {
  if ! BIN_DIR="$(find_bin_dir)"; then
    install_postgres
    BIN_DIR="$(find_bin_dir)" || die "PostgreSQL was installed but initdb/pg_ctl were not found"
  fi
}

# Runs a command as the cluster's owner.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u "$DB_USER" -- "$@"
  else
    "$@"
  fi
}

is_running() {
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] && as_owner "$BIN_DIR/pg_ctl" status -D "$PGDATA_DIR" >/dev/null 2>&1
}

init_cluster() {
  if [[ "$(id -u)" -eq 0 ]]; then
    id -u "$DB_USER" >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash "$DB_USER"
  fi
  mkdir -p "$BASE_DIR"
  if [[ "$(id -u)" -eq 0 ]]; then
    chown "$DB_USER": "$BASE_DIR"
    # The postgres user must be able to reach the folder through the repository's parents.
    runuser -u "$DB_USER" -- test -w "$BASE_DIR" ||
      die "user $DB_USER cannot write $BASE_DIR (a parent directory is not traversable?)"
  fi
  as_owner mkdir -p "$SOCKET_DIR"
  if [[ -f "$PGDATA_DIR/PG_VERSION" ]]; then
    local cluster_version server_version
    cluster_version="$(cat "$PGDATA_DIR/PG_VERSION")"
    server_version="$("$BIN_DIR/pg_ctl" --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
    [[ "$cluster_version" == "$server_version" ]] ||
      die "$PGDATA_DIR was made by PostgreSQL $cluster_version, this is $server_version; remove $BASE_DIR and retry"
    return 0
  fi
  log "creating a cluster in $PGDATA_DIR"
  local pwfile
  pwfile="$(as_owner mktemp "$BASE_DIR/pwfile.XXXXXX")"
  printf '%s\n' "$DB_PASSWORD" | as_owner tee "$pwfile" >/dev/null
  as_owner "$BIN_DIR/initdb" -D "$PGDATA_DIR" -U "$DB_USER" --pwfile="$pwfile" -E UTF8 --locale=C \
    --auth-local=trust --auth-host=scram-sha-256 >&2
  rm -f "$pwfile"
  # Localhost only, on its own port and socket folder, so it never clashes with a system cluster.
  as_owner tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null <<EOF

# scripts/postgres.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCKET_DIR'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
}

psql_owner() {
  as_owner "$BIN_DIR/psql" -X -q -h "$SOCKET_DIR" -p "$PORT" -U "$DB_USER" -d postgres -v ON_ERROR_STOP=1 "$@"
}

ensure_database() {
  if [[ "$(psql_owner -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]]; then
    log "creating database $DB_NAME"
    psql_owner -c "CREATE DATABASE \"$DB_NAME\"" >&2
  fi
}

start() {
  resolve_bin_dir
  if is_running; then
    log "already running on 127.0.0.1:$PORT"
  else
    init_cluster
    log "starting PostgreSQL ($("$BIN_DIR/pg_ctl" --version)) on 127.0.0.1:$PORT"
    # The port is given per start (PGTEST_PORT), so a checkout can move off a busy one.
    if ! as_owner "$BIN_DIR/pg_ctl" start -D "$PGDATA_DIR" -l "$LOG_FILE" -o "-p $PORT" -w -t 60 >&2; then
      tail -n 20 "$LOG_FILE" >&2 || true
      die "PostgreSQL did not start (see $LOG_FILE)"
    fi
  fi
  ensure_database
  printf 'DATABASE_URL=%s\n' "$DATABASE_URL"
}

stop() {
  if ! BIN_DIR="$(find_bin_dir)"; then
    log "PostgreSQL is not installed; nothing to stop"
    return 0
  fi
  if is_running; then
    as_owner "$BIN_DIR/pg_ctl" stop -D "$PGDATA_DIR" -m fast -w >&2
    log "stopped"
  else
    log "not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    BIN_DIR="$(find_bin_dir)" || exit 1
    if is_running; then
      log "running on 127.0.0.1:$PORT"
    else
      log "not running"
      exit 1
    fi
    ;;
  url) printf 'DATABASE_URL=%s\n' "$DATABASE_URL" ;;
  *)
    echo "usage: $0 start|stop|status|url" >&2
    exit 2
    ;;
esac
