# A throwaway PgBouncer in transaction pooling mode in front of the cluster that pg_start started,
# listening on a unix socket only. Source after postgres.sh, then: pgb_start (exports
# HAYSTACK_TEST_PGBOUNCER_URL) ... pgb_stop.
#
# The pool is deliberately small (2 server connections for the test database): many clients
# then share few server sessions, so a client that relied on session state (SET, LISTEN,
# prepared statements, temp tables) would see another client's or none.

pgb_start() {
  [ -n "${PG_DIR:-}" ] || die "pgb_start needs the cluster of pg_start"
  command -v pgbouncer >/dev/null || die "pgbouncer is not installed"
  PGB_DIR="$(mktemp -d /tmp/haystack-pgb-XXXXXX)"
  export PGB_DIR
  local pool_size="${HAYSTACK_TEST_PGBOUNCER_POOL_SIZE:-2}"
  cat >"$PGB_DIR/pgbouncer.ini" <<INI
[databases]
haystack_test = host=$PG_DIR dbname=haystack_test user=haystack pool_size=$pool_size
[pgbouncer]
pool_mode = transaction
listen_addr =
listen_port = 6432
unix_socket_dir = $PGB_DIR
auth_type = any
max_client_conn = 2000
default_pool_size = $pool_size
reserve_pool_size = 0
logfile = $PGB_DIR/pgbouncer.log
pidfile = $PGB_DIR/pgbouncer.pid
admin_users = haystack
# SHOW STATS every second (the load test reads its transaction counts).
stats_period = 1
INI
  local run_as=()
  # PgBouncer refuses to run as root, like PostgreSQL.
  if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres:postgres "$PGB_DIR"
    run_as=(runuser -u postgres --)
  fi
  "${run_as[@]}" pgbouncer -d "$PGB_DIR/pgbouncer.ini" ||
    { cat "$PGB_DIR/pgbouncer.log" >&2; die "PgBouncer did not start"; }
  local tries=0
  until [ -S "$PGB_DIR/.s.PGSQL.6432" ]; do
    tries=$((tries + 1))
    [ "$tries" -le 100 ] || { cat "$PGB_DIR/pgbouncer.log" >&2; die "PgBouncer did not listen"; }
    sleep 0.1
  done
  export HAYSTACK_TEST_PGBOUNCER_URL="postgresql:///haystack_test?host=$PGB_DIR&port=6432&user=haystack"
  log "PgBouncer (transaction pooling, $pool_size server connections) running on $PGB_DIR"
}

pgb_stop() {
  [ -n "${PGB_DIR:-}" ] || return 0
  [ -f "$PGB_DIR/pgbouncer.pid" ] && kill "$(cat "$PGB_DIR/pgbouncer.pid")" 2>/dev/null || true
  rm -rf "$PGB_DIR"
  unset PGB_DIR
}
