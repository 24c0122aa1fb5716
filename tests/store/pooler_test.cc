// The store behind PgBouncer in transaction pooling (scripts/lib/pgbouncer.sh: two server
// sessions shared by every client): it leaves no session state behind and survives the server
// sessions it used being terminated.
#include <libpq-fe.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "haystack/core/run.h"
#include "store/store_fixture.h"
#include "support/model_fixtures.h"

namespace haystack::testing {
namespace {

constexpr absl::Duration kLease = absl::Minutes(5);

// A plain libpq client of the test's own, through the same pooler.
class RawClient {
 public:
  explicit RawClient(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    INFO(PQerrorMessage(conn_));
    REQUIRE(PQstatus(conn_) == CONNECTION_OK);
  }
  ~RawClient() { PQfinish(conn_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // The first value of the first row; the statement must succeed.
  std::string Value(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    const ExecStatusType status = PQresultStatus(result);
    INFO(sql << ": " << PQresultErrorMessage(result));
    const bool ok = status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK;
    std::string value = ok && PQntuples(result) > 0 ? PQgetvalue(result, 0, 0) : "";
    PQclear(result);
    REQUIRE(ok);
    return value;
  }

 private:
  PGconn* conn_;
};

// Create, claim, checkpoint, a cancellation request, the end and its email claim: every kind of
// statement the store sends.
void RunThroughTheStore(StoreFixture& fixture) {
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  RunProgress progress;
  progress.phase = RunPhase::kQueryAnalysis;
  REQUIRE(store->UpdateProgress(*lease, progress).ok());
  REQUIRE(store->RenewLease(*lease, kLease).ok());
  REQUIRE(store->RequestCancellation(id).ok());
  TerminalUpdate cancelled;
  cancelled.status = RunStatus::kCancelled;
  cancelled.reason = TerminationReason::kCancelled;
  cancelled.notification = NotificationKind::kRunCancelled;
  cancelled.notification_recipient = "ada@example.org";
  REQUIRE(store->FinishRun(*lease, cancelled).ok());
  CHECK(store->GetRun(id)->status == RunStatus::kCancelled);
}

// The pool's server sessions, each seen through a client that holds it in a transaction: with
// the pool of two that scripts/lib/pgbouncer.sh configures, both of them.
std::vector<std::unique_ptr<RawClient>> HoldServerSessions(const std::string& url) {
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(std::make_unique<RawClient>(url));
    clients.back()->Value("BEGIN");
  }
  return clients;
}

// One case, so that no other test's own client of the pool meets the terminated sessions (the
// stores of other tests retry, as this one must).
TEST_CASE(
    "behind PgBouncer the store leaves no session state, and a terminated server session costs "
    "a retry",
    "[store][pooler]") {
  StoreFixture pooled(Backend::kPgBouncer);
  StoreFixture direct(Backend::kPostgres);
  if (!pooled.available() || !direct.available()) return;
  RunThroughTheStore(pooled);

  // Whichever server session the store used shows the server's defaults, not the store's
  // timeouts (before: statement_timeout 60 s and client_min_messages warning were left on the
  // session for whoever came next), and no LISTEN or prepared statement.
  std::vector<std::string> server_pids;
  {
    auto sessions = HoldServerSessions(pooled.url());
    for (auto& client : sessions) {
      CHECK(client->Value("SHOW statement_timeout") == "0");
      CHECK(client->Value("SHOW lock_timeout") == "0");
      CHECK(client->Value("SHOW client_min_messages") == "notice");
      CHECK(client->Value("SELECT count(*) FROM pg_listening_channels()") == "0");
      CHECK(client->Value("SELECT count(*) FROM pg_prepared_statements") == "0");
      server_pids.push_back(client->Value("SELECT pg_backend_pid()"));
      client->Value("COMMIT");
    }
  }

  // PostgreSQL ends the pool's server sessions (a restart, an administrator, an idle timeout)
  // between two of the run's writes: the next one gets a dead session from the pool, PgBouncer
  // drops the client, and the store reconnects and retries.
  auto store = pooled.Open();
  const std::string id = pooled.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  RawClient admin(direct.url());
  for (const std::string& pid : server_pids) {
    CHECK(admin.Value("SELECT pg_terminate_backend(" + pid + ")") == "t");
  }
  RunProgress progress;
  progress.phase = RunPhase::kQueryAnalysis;
  absl::Status updated = store->UpdateProgress(*lease, progress);
  INFO(updated.message());
  CHECK(updated.ok());
  CHECK(store->GetRun(id)->current_phase == RunPhase::kQueryAnalysis);
}

}  // namespace
}  // namespace haystack::testing
