# A throwaway PostgreSQL 15 cluster in a temp directory, listening on a unix socket only.
# Source, then: pg_start (exports HAYSTACK_TEST_POSTGRES_URL) ... pg_stop. PG_MAX_CONNECTIONS
# overrides max_connections (200).

PG_BIN="/usr/lib/postgresql/15/bin"

pg_start() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 is not installed ($PG_BIN/initdb missing)"
  PG_DIR="$(mktemp -d /tmp/haystack-pg-XXXXXX)"
  export PG_DIR
  local run_as=()
  # initdb refuses to run as root; run the cluster as the postgres system user then.
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres:postgres "$PG_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U haystack --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c max_connections=${PG_MAX_CONNECTIONS:-200} -c fsync=off" \
    >/dev/null || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  "$PG_BIN/createdb" -h "$PG_DIR" -U haystack haystack_test
  export HAYSTACK_TEST_POSTGRES_URL="postgresql:///haystack_test?host=$PG_DIR&user=haystack"
  # Lets tests restart the server (the "PostgreSQL restarted mid-run" fault test).
  export HAYSTACK_TEST_POSTGRES_CTL="${run_as[*]} $PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log"
  log "PostgreSQL 15 running on $PG_DIR"
}

pg_stop() {
  [ -n "${PG_DIR:-}" ] || return 0
  local run_as=()
  [ "$(id -u)" -eq 0 ] && run_as=(runuser -u postgres --)
  "${run_as[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  unset PG_DIR
}
