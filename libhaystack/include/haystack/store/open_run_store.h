// Opening a run store from a database URL.
#ifndef HAYSTACK_STORE_OPEN_RUN_STORE_H_
#define HAYSTACK_STORE_OPEN_RUN_STORE_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/core/logging.h"
#include "haystack/store/run_store.h"

namespace haystack {

struct RunStoreOptions {
  const Clock* clock = &SystemClock();  // leases, timestamps; must outlive the store
  // How long a write keeps retrying a lost connection before reporting kUnavailable.
  absl::Duration reconnect_budget = absl::Seconds(30);
  absl::Duration busy_timeout = absl::Seconds(15);  // SQLite lock waits
  // Where PostgreSQL's notices and warnings go (never raw to stderr).
  Logger logger = Logger::Null();
};

// `url` is one of
//   sqlite:///absolute/path.db, sqlite:relative/path.db, sqlite::memory: (tests), or a bare
//   path ending in .db/.sqlite/.sqlite3 — the embedded SQLite store (file and directories are
//   created);
//   postgresql://user:password@host:port/dbname?options, postgres://…, or a libpq
//   "key=value" connection string — PostgreSQL through libpq.
// Migrations are applied before the store is returned. Errors are kind kDatabase (bad URL:
// kConfiguration); the URL's password never appears in them.
absl::StatusOr<std::unique_ptr<RunStore>> OpenRunStore(std::string_view url,
                                                       const RunStoreOptions& options = {});

}  // namespace haystack

#endif  // HAYSTACK_STORE_OPEN_RUN_STORE_H_
