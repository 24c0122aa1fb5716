// The run database misbehaving under a real job (haystack-orchestrator as a process): lost
// COMMIT acknowledgements, a stalled or vanished PostgreSQL (through tests/support's fault
// proxy), an SQLite write lock held by another process. Each test is one promise of
// docs/operations.md ("Exit codes", "Emails", "SIGTERM").
#include <signal.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "absl/time/clock.h"
#include "haystack/job/exit_codes.h"
#include "orchestration.h"
#include "support/pg_fault_proxy.h"

namespace haystack::testing {
namespace {

using std::chrono::milliseconds;

constexpr char kTwoIterations[] = R"({"max_iterations": 2, "score_threshold": 10})";
// A short lease: an execution that loses the database cannot release it, and the re-execution
// waits for it to expire.
const Env kShortLease = {{"HAYSTACK_LEASE_SECONDS", "3"},
                         {"HAYSTACK_HEARTBEAT_SECONDS", "0.5"},
                         {"HAYSTACK_CANCEL_POLL_SECONDS", "0.5"}};

Env With(Env env, const Env& more) {
  for (const auto& [name, value] : more) env[name] = value;
  return env;
}

// The finished run is exactly once: completed, iterations 1..n, one email sent once.
void CheckCompletedOnce(Orchestration& o, const std::string& id, size_t iterations) {
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.iterations.size() == iterations);
  CHECK(NumberedOneToN(run));
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_completed.eml"});
  auto ledger = o.store().ListNotifications(id);
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 1);
  CHECK(ledger->front().status == NotificationStatus::kSent);
  CHECK(CountEvents(o, id, "iteration") == static_cast<int>(iterations));
  CHECK(CountEvents(o, id, "finished") == 1);
  CHECK(CountEvents(o, id, "notified") == 1);
}

TEST_CASE("every write of a run loses its COMMIT acknowledgement once: the run completes once",
          "[faults][lost-ack]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  PgFaultProxy proxy(postgres);
  Orchestration o(postgres);
  const std::string id = o.CreateRun(kTwoIterations);
  // The claim, a phase change, an iteration, the finish, the email's claim and its outcome.
  for (const char* marker :
       {"UPDATE runs SET attempt = $2", "current_phase", "UPDATE runs SET iterations = $4",
        "termination_reason = $5", "SET status = 'sending'", "provider_message_id = $5"}) {
    proxy.DropAckAfterCommitOf(marker);
  }
  const ProcessResult result = o.Execute(id, {{"HAYSTACK_DATABASE_URL", proxy.url()}});
  INFO(result.stderr_text);
  CHECK(proxy.acks_dropped() == 6);
  // Before: the finish was refused as "already finalized" (exit 1, email left pending), and a
  // lost claim of the email sent nothing.
  CHECK(result.exit_code == kExitSuccess);
  CheckCompletedOnce(o, id, 2);
  CHECK(o.Get(id).attempt == 1);  // the claim was not taken twice
  CHECK(CountEvents(o, id, "claimed") == 1);
  CHECK((*o.store().ListNotifications(id))[0].attempts == 1);
}

TEST_CASE("a cancellation whose COMMIT acknowledgement is lost exits 0 and is recorded once",
          "[faults][lost-ack]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  PgFaultProxy proxy(postgres);
  Orchestration o(postgres);
  const std::string id = o.CreateRun();
  proxy.DropAckAfterCommitOf("cancel_requested_at = COALESCE");
  const ProcessResult cancel = RunProcess(
      o.Command({"cancel", id}), {.env = o.EnvFor("", {{"HAYSTACK_DATABASE_URL", proxy.url()}})});
  INFO(cancel.stderr_text);
  CHECK(proxy.acks_dropped() == 1);
  CHECK(cancel.exit_code == kExitSuccess);
  CHECK(CountEvents(o, id, "cancel_requested") == 1);  // before: two
  const ProcessResult job = o.Execute(id);
  CHECK(job.exit_code == kExitSuccess);
  CHECK(o.Get(id).status == RunStatus::kCancelled);
}

// SIGTERM while the database does not answer: the batch engine's grace period (10 s here) is
// enough to exit 75, and the re-execution resumes.
TEST_CASE("SIGTERM with PostgreSQL stalled exits 75 within 10 s, the re-execution resumes",
          "[faults][outage]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  PgFaultProxy proxy(postgres);
  Orchestration o(postgres);
  const std::string id = o.CreateRun(kTwoIterations);
  auto job = o.Start(id, With(kShortLease, {{"HAYSTACK_DATABASE_URL", proxy.url()},
                                            {"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "250"}}));
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 2, milliseconds(90'000)));
  proxy.Stall();
  std::this_thread::sleep_for(milliseconds(1500));  // the job's statements are now hanging
  const auto signalled = std::chrono::steady_clock::now();
  job->Signal(SIGTERM);
  const ProcessResult stopped = job->Wait(milliseconds(10'000));  // killed after the grace
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled);
  std::cout << "SIGTERM with PostgreSQL stalled: exit " << stopped.exit_code << " after "
            << seconds.count() << " s\n";
  INFO(stopped.stderr_text);
  CHECK_FALSE(stopped.signaled);  // before: still waiting on the database 87 s later
  CHECK(stopped.exit_code == kExitTransient);

  proxy.Restore();
  const Run at_stop = o.Get(id);
  CHECK(at_stop.status == RunStatus::kRunning);
  REQUIRE(at_stop.iterations.size() == 1);
  WaitForLeaseExpiry(o, id);
  const ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  CheckCompletedOnce(o, id, 2);
  CHECK(o.Get(id).iterations.front() == at_stop.iterations.front());
}

TEST_CASE("PostgreSQL gone for good: exit 75 after the retry budget, not a failed run",
          "[faults][outage]") {
  const std::string postgres = PostgresUrl();
  if (postgres.empty()) return;
  PgFaultProxy proxy(postgres);
  Orchestration o(postgres);
  const std::string id = o.CreateRun(kTwoIterations);
  auto job = o.Start(id, With(kShortLease, {{"HAYSTACK_DATABASE_URL", proxy.url()},
                                            {"HAYSTACK_DATABASE_RETRY_SECONDS", "2"},
                                            {"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "100"}}));
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 2, milliseconds(90'000)));
  const auto gone = std::chrono::steady_clock::now();
  proxy.Refuse();
  // The budget is 2 s; everything after it (the watcher noticing, the executor stopping, the
  // lease release giving up) must fit in a few more.
  const ProcessResult stopped = job->Wait(milliseconds(15'000));
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - gone);
  std::cout << "PostgreSQL gone (2 s budget): exit " << stopped.exit_code << " after "
            << seconds.count() << " s\n";
  INFO(stopped.stderr_text);
  CHECK_FALSE(stopped.signaled);
  CHECK(stopped.exit_code == kExitTransient);
  CHECK_THAT(stopped.stderr_text, Catch::Contains("unreachable"));

  proxy.Restore();
  const Run after = o.Get(id);
  CHECK(after.status == RunStatus::kRunning);  // not failed: resumable
  CHECK_FALSE(after.error.has_value());
  CHECK(o.OutboxFiles().empty());
  WaitForLeaseExpiry(o, id);
  const ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  CheckCompletedOnce(o, id, 2);
}

// Holds SQLite's write lock from another connection, as another process writing would.
class SqliteWriteLock {
 public:
  explicit SqliteWriteLock(const std::string& url) {
    REQUIRE(sqlite3_open(url.substr(std::string("sqlite://").size()).c_str(), &db_) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~SqliteWriteLock() { Release(); }
  void Release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST_CASE(
    "SQLite locked by another writer: a lock outlasting the budget exits 75, SIGTERM "
    "exits 75 at once, and the re-execution resumes",
    "[faults][outage]") {
  const bool sigterm = GENERATE(false, true);
  INFO((sigterm ? "SIGTERM while blocked" : "lock outlasting the retry budget"));
  Orchestration o;
  const std::string id = o.CreateRun(kTwoIterations);
  // Without SIGTERM, the 2 s budget ends it; with it, the default 30 s budget would not.
  const Env env = With(kShortLease, {{"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "250"},
                                     {"HAYSTACK_DATABASE_RETRY_SECONDS", sigterm ? "30" : "2"}});
  auto job = o.Start(id, env);
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 2, milliseconds(90'000)));
  SqliteWriteLock lock(o.database_url);
  const auto locked = std::chrono::steady_clock::now();
  if (sigterm) {
    // Once the job is blocked on the lock (its lease renewal, every second).
    std::this_thread::sleep_for(milliseconds(2500));
    job->Signal(SIGTERM);
  }
  const ProcessResult stopped = job->Wait(milliseconds(20'000));
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - locked);
  std::cout << "SQLite locked (" << (sigterm ? "SIGTERM after 2.5 s" : "2 s budget") << "): exit "
            << stopped.exit_code << " after " << seconds.count() << " s\n";
  INFO(stopped.stderr_text);
  CHECK_FALSE(stopped.signaled);
  CHECK(stopped.exit_code == kExitTransient);  // before: a failed run, exit 1
  lock.Release();

  const Run after = o.Get(id);
  CHECK(after.status == RunStatus::kRunning);
  CHECK_FALSE(after.error.has_value());
  CHECK(o.OutboxFiles().empty());
  WaitForLeaseExpiry(o, id);
  const ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  CheckCompletedOnce(o, id, 2);
}

}  // namespace
}  // namespace haystack::testing
