// Opens the run store under test: the conformance suite runs every case against SQLite (a
// temporary file), PostgreSQL (the throwaway cluster scripts/test starts) and the same cluster
// behind PgBouncer in transaction pooling (scripts/lib/pgbouncer.sh).
#ifndef HAYSTACK_TESTS_STORE_STORE_FIXTURE_H_
#define HAYSTACK_TESTS_STORE_STORE_FIXTURE_H_

#include <memory>
#include <optional>
#include <string>

#include "haystack/core/clock.h"
#include "haystack/store/open_run_store.h"
#include "support/temp_dir.h"

namespace haystack::testing {

enum class Backend { kSqlite, kPostgres, kPgBouncer };

const char* BackendName(Backend backend);

// A database for one test case. PostgreSQL cases share the cluster's database and stay apart
// by using fresh run ids.
class StoreFixture {
 public:
  explicit StoreFixture(Backend backend);

  // False when PostgreSQL is not configured (HAYSTACK_TEST_POSTGRES_URL, or for PgBouncer
  // HAYSTACK_TEST_PGBOUNCER_URL, unset) and not required (HAYSTACK_REQUIRE_POSTGRES unset): the
  // case is skipped with a warning.
  bool available() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  Backend backend() const { return backend_; }

  // The options a job would use with this backend (transaction pooling behind PgBouncer).
  RunStoreOptions Options(const Clock* clock = &SystemClock()) const;
  // Another independent connection to the same database.
  std::unique_ptr<RunStore> Open(const Clock* clock = &SystemClock());
  // A pending run with a fresh id, already created.
  std::string CreatePendingRun(RunStore& store);

 private:
  Backend backend_;
  TempDir dir_;
  std::string url_;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_STORE_STORE_FIXTURE_H_
