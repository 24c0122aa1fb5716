// Opening a run store from a database URL.
#ifndef HAYSTACK_STORE_OPEN_RUN_STORE_H_
#define HAYSTACK_STORE_OPEN_RUN_STORE_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/core/logging.h"
#include "haystack/core/retry.h"
#include "haystack/core/stop_token.h"
#include "haystack/store/run_store.h"

namespace haystack {

// How PostgreSQL connections reach the server (docs/operations.md, "Behind PgBouncer").
enum class PostgresPooling {
  // Directly, or through a pooler in session mode: each connection is one server session, so
  // the cancellation hint can LISTEN on it and the statement timeouts are set once per session.
  kNone,
  // Through a pooler in transaction mode (PgBouncer pool_mode=transaction): consecutive
  // transactions may run on different server sessions, so nothing is set per session (the
  // timeouts are SET LOCAL in each write transaction) and cancellation is found by polling only,
  // since a LISTEN would stay on whichever session ran it.
  kTransaction,
};

struct RunStoreOptions {
  // Leases, timestamps and the waits between retries; must outlive the store.
  const Clock* clock = &SystemClock();
  // Retries of lost connections, lock contention and serialization failures. The budget is the
  // longest the database may stay unreachable: it is shared by every operation of the store
  // (the lifecycle's thread and the lease watcher alike), so once the database has been
  // unreachable for that long each operation makes one more attempt and reports kUnavailable,
  // instead of waiting a whole budget of its own.
  RetryPolicy retry = {.max_attempts = 0,
                       .initial_backoff = absl::Milliseconds(50),
                       .max_backoff = absl::Seconds(2),
                       .budget = absl::Seconds(30)};
  // Real-time bounds on one attempt: opening a connection, and one statement's round trip (a
  // silent network is given up on after this; PostgreSQL's own statement_timeout is the same).
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration statement_timeout = absl::Seconds(60);
  absl::Duration busy_timeout = absl::Seconds(15);  // SQLite lock waits per statement
  PostgresPooling pooling = PostgresPooling::kNone;
  // The process's shutdown (SIGTERM). Once it fires, no retry waits any more, a lock wait ends
  // at once, and a statement still in flight `stop_grace` later is abandoned: the store then
  // answers within stop_grace, whatever the database does.
  StopToken stop;
  absl::Duration stop_grace = absl::Seconds(2);
  // Where PostgreSQL's notices and warnings go (never raw to stderr).
  Logger logger = Logger::Null();
};

// `url` is one of
//   sqlite:///absolute/path.db, sqlite:relative/path.db, sqlite::memory: (tests), or a bare
//   path ending in .db/.sqlite/.sqlite3 — the embedded SQLite store (file and directories are
//   created);
//   postgresql://user:password@host:port/dbname?options, postgres://…, or a libpq
//   "key=value" connection string — PostgreSQL through libpq.
// Migrations are applied before the store is returned. A URL that cannot work whatever the
// database does — malformed, an unknown parameter or sslmode, an SQLite path that is a directory
// or not writable — is a kConfiguration error; an unreachable database is kUnavailable (kind
// kDatabase). The URL's password never appears in errors.
absl::StatusOr<std::unique_ptr<RunStore>> OpenRunStore(std::string_view url,
                                                       const RunStoreOptions& options = {});

}  // namespace haystack

#endif  // HAYSTACK_STORE_OPEN_RUN_STORE_H_
