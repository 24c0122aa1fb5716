// The job lifecycle against a scripted executor, on SQLite and PostgreSQL.
#include "haystack/job/run_job.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <thread>

#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "job/recording_notifier.h"
#include "job/scripted_executor.h"
#include "store/store_fixture.h"
#include "support/model_fixtures.h"

namespace haystack::testing {
namespace {

JobTiming FastTiming() {
  return {.lease = absl::Seconds(30),
          .heartbeat = absl::Milliseconds(100),
          .cancellation_poll = absl::Milliseconds(20)};
}

struct Harness {
  explicit Harness(Backend backend) : fixture(backend) {
    if (fixture.available()) store = fixture.Open();
  }
  JobResult Execute(const std::string& run_id, ScriptedExecutor& executor,
                    std::optional<std::string> control_strategy = std::nullopt,
                    const StopToken& shutdown = StopToken()) {
    JobRequest request{.run_id = run_id,
                       .control_strategy = std::move(control_strategy),
                       .worker_id = NewWorkerId(),
                       .app_url = "https://haystack.example.org/"};
    return RunJob(request, *store, executor, &notifier, shutdown, Logger::Null(), FastTiming());
  }
  StoreFixture fixture;
  std::unique_ptr<RunStore> store;
  RecordingNotifier notifier;
};

#define HAYSTACK_JOB_HARNESS(h)                                                      \
  const Backend backend_under_test = GENERATE(Backend::kSqlite, Backend::kPostgres); \
  Harness h(backend_under_test);                                                     \
  if (!h.fixture.available()) return;                                                \
  INFO("backend: " << BackendName(backend_under_test))

TEST_CASE("a run that converges is completed, recorded and emailed once", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  ScriptedExecutor executor({.iterations = 2});
  const JobResult result = h.Execute(id, executor);
  CHECK(result.exit_code == kExitSuccess);
  auto run = h.store->GetRun(id);
  REQUIRE(run.ok());
  CHECK(run->status == RunStatus::kCompleted);
  CHECK(run->termination_reason == TerminationReason::kConverged);
  CHECK(run->final_score == 6);
  CHECK(run->best_iteration == 2);
  CHECK(run->grounding_scores == std::vector<std::optional<int>>{5, 6});
  CHECK(run->output_report_path == "runs/" + id + "/report.md");
  CHECK(run->end_time.has_value());
  CHECK_FALSE(run->lease_owner.has_value());
  const auto sent = h.notifier.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].kind == NotificationKind::kRunCompleted);
  CHECK(sent[0].recipient == "ada@example.org");
  CHECK(sent[0].results_url == "https://haystack.example.org/runs/" + id);
  CHECK(sent[0].final_score == 6);
  CHECK(sent[0].score_threshold == 7);

  // Re-executing a finished run is a no-op: no executor call, no second email.
  ScriptedExecutor again({.iterations = 2});
  const JobResult repeat = h.Execute(id, again);
  CHECK(repeat.exit_code == kExitSuccess);
  CHECK(again.calls() == 0);
  CHECK(h.notifier.sent().size() == 1);
  CHECK(h.store->GetRun(id)->updated_at == run->updated_at);
}

TEST_CASE("a failing run records its error kind, phase and iteration and exits 1", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  ScriptedExecutor executor({.iterations = 2,
                             .ending = Script::Ending::kFail,
                             .error = InferenceError("the worker returned no predictions")});
  const JobResult result = h.Execute(id, executor);
  CHECK(result.exit_code == kExitRunFailed);
  auto run = h.store->GetRun(id);
  CHECK(run->status == RunStatus::kFailed);
  CHECK(run->termination_reason == TerminationReason::kError);
  REQUIRE(run->error.has_value());
  CHECK(run->error->error_type == "InferenceError");
  CHECK(run->error->message == "the worker returned no predictions");
  CHECK(run->error->phase == RunPhase::kInference);
  CHECK(run->error->iteration == 2);
  CHECK(run->iterations.size() == 2);  // finished work is kept
  const auto sent = h.notifier.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].kind == NotificationKind::kRunFailed);
  CHECK(sent[0].error_type == "InferenceError");
  ScriptedExecutor again({});
  CHECK(h.Execute(id, again).exit_code == kExitRunFailed);  // terminal: same answer, no work
  CHECK(again.calls() == 0);
}

TEST_CASE("an exception inside the executor fails the run with exit 1", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  ScriptedExecutor executor({.iterations = 1, .ending = Script::Ending::kThrow});
  CHECK(h.Execute(id, executor).exit_code == kExitRunFailed);
  auto run = h.store->GetRun(id);
  CHECK(run->status == RunStatus::kFailed);
  REQUIRE(run->error.has_value());
  CHECK(run->error->error_type == std::string(ErrorKindName(ErrorKind::kInternal)));
  CHECK_THAT(run->error->message, Catch::Contains("scripted explosion"));
}

TEST_CASE("a cancellation requested mid-run ends it cancelled, emailed once", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  auto api = h.fixture.Open();
  ScriptedExecutor executor({.ending = Script::Ending::kWaitForStop});
  std::thread canceller([&] {
    // Wait until the executor has checkpointed its first iteration, then cancel.
    for (int i = 0; i < 500; ++i) {
      auto run = api->GetRun(id);
      if (run.ok() && !run->iterations.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    REQUIRE(api->RequestCancellation(id).ok());
  });
  const absl::Time started = absl::Now();
  const JobResult result = h.Execute(id, executor);
  canceller.join();
  CHECK(result.exit_code == kExitSuccess);
  CHECK(absl::Now() - started < absl::Seconds(30));  // stopped, did not wait out the script
  auto run = h.store->GetRun(id);
  CHECK(run->status == RunStatus::kCancelled);
  CHECK(run->termination_reason == TerminationReason::kCancelled);
  CHECK(run->iterations.size() == 1);
  const auto sent = h.notifier.sent();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].kind == NotificationKind::kRunCancelled);
}

TEST_CASE("a run cancelled before it starts is finished without executing", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  REQUIRE(h.store->RequestCancellation(id).ok());
  ScriptedExecutor executor({});
  CHECK(h.Execute(id, executor).exit_code == kExitSuccess);
  CHECK(executor.calls() == 0);
  CHECK(h.store->GetRun(id)->status == RunStatus::kCancelled);
}

TEST_CASE("a shutdown stops the run with exit 75 and a re-execution resumes it", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  StopSource sigterm;
  ScriptedExecutor first({.iterations = 3, .ending = Script::Ending::kWaitForStop});
  std::thread signaller([&] {
    for (int i = 0; i < 500; ++i) {
      auto run = h.fixture.Open()->GetRun(id);
      if (run.ok() && !run->iterations.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    sigterm.RequestStop(StopReason::kShutdown);
  });
  const JobResult stopped = h.Execute(id, first, std::nullopt, sigterm.token());
  signaller.join();
  CHECK(stopped.exit_code == kExitTransient);
  auto run = h.store->GetRun(id);
  CHECK(run->status == RunStatus::kRunning);  // state intact, not terminal
  CHECK(run->iterations.size() == 1);
  CHECK_FALSE(run->lease_owner.has_value());  // released: the retry need not wait
  CHECK(h.notifier.sent().empty());

  ScriptedExecutor resumed({.iterations = 3, .ending = Script::Ending::kWaitForStop});
  CHECK(h.Execute(id, resumed).exit_code == kExitSuccess);
  CHECK(resumed.recorded() == std::vector<int>{2, 3});  // iteration 1 was not redone
  run = h.store->GetRun(id);
  CHECK(run->status == RunStatus::kCompleted);
  CHECK(run->attempt == 2);
  CHECK(run->grounding_scores == std::vector<std::optional<int>>{5, 6, 7});
}

TEST_CASE("invocation errors exit 2 with a message naming the problem", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  ScriptedExecutor executor({});
  JobResult missing = h.Execute("", executor);
  CHECK(missing.exit_code == kExitUsage);
  CHECK_THAT(missing.message, Catch::Contains("RUN_ID"));
  JobResult unknown = h.Execute("hay_20261124_000000000000", executor);
  CHECK(unknown.exit_code == kExitUsage);
  CHECK_THAT(unknown.message, Catch::Contains("hay_20261124_000000000000"));
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  JobResult bad_strategy = h.Execute(id, executor, "telepathy");
  CHECK(bad_strategy.exit_code == kExitUsage);
  CHECK_THAT(bad_strategy.message, Catch::Contains("CONTROL_STRATEGY 'telepathy'"));
  CHECK_THAT(bad_strategy.message, Catch::Contains("query_as_control"));
  CHECK(executor.calls() == 0);
  CHECK(h.store->GetRun(id)->status == RunStatus::kPending);  // untouched
}

TEST_CASE("CONTROL_STRATEGY overrides the run's control strategy", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  ScriptedExecutor executor({.iterations = 1});
  CHECK(h.Execute(id, executor, "query_as_control").exit_code == kExitSuccess);
  CHECK(executor.last_strategy() == ControlStrategy::kQueryAsControl);
}

TEST_CASE("a run held by a live lease elsewhere exits 75 without touching it", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  REQUIRE(h.store->ClaimRun(id, "another-worker", absl::Minutes(5)).ok());
  ScriptedExecutor executor({});
  const JobResult result = h.Execute(id, executor);
  CHECK(result.exit_code == kExitTransient);
  CHECK_THAT(result.message, Catch::Contains("another-worker"));
  CHECK(executor.calls() == 0);
  CHECK(h.store->GetRun(id)->lease_owner == "another-worker");
}

TEST_CASE("an email that cannot be sent is recorded, the run's outcome stands", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  h.notifier.set_fail(true);
  ScriptedExecutor executor({.iterations = 1});
  CHECK(h.Execute(id, executor).exit_code == kExitSuccess);
  CHECK(h.store->GetRun(id)->status == RunStatus::kCompleted);
  auto ledger = h.store->ListNotifications(id);
  REQUIRE(ledger->size() == 1);
  CHECK((*ledger)[0].status == NotificationStatus::kFailed);
  CHECK((*ledger)[0].last_error == "smtp down");
}

TEST_CASE("an email left pending is delivered by the next execution, once", "[job]") {
  HAYSTACK_JOB_HARNESS(h);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  ScriptedExecutor executor({.iterations = 1});
  JobRequest request{.run_id = id, .worker_id = "w1"};
  // No notifier (e.g. the process died right after finishing): the intent stays pending.
  CHECK(RunJob(request, *h.store, executor, nullptr, StopToken(), Logger::Null(), FastTiming())
            .exit_code == kExitSuccess);
  CHECK((*h.store->ListNotifications(id))[0].status == NotificationStatus::kPending);
  ScriptedExecutor again({});
  CHECK(h.Execute(id, again).exit_code == kExitSuccess);
  CHECK(h.Execute(id, again).exit_code == kExitSuccess);
  CHECK(again.calls() == 0);
  CHECK(h.notifier.sent().size() == 1);
  CHECK((*h.store->ListNotifications(id))[0].status == NotificationStatus::kSent);
}

// ---- Bad records ---------------------------------------------------------------------------

struct BadRecord {
  const char* name;
  const char* sql_set;  // SET clause applied to a fresh pending run (SQLite)
  ErrorKind kind;
  const char* mentions;
};

TEST_CASE("malformed run records fail with a classified error and nothing is lost", "[job]") {
  const BadRecord bad = GENERATE(
      BadRecord{"config not JSON", "config = '{\"max_iterations\": '", ErrorKind::kConfiguration,
                "runs.config"},
      BadRecord{"config out of range", "config = '{\"max_iterations\": 0}'",
                ErrorKind::kConfiguration, "max_iterations"},
      BadRecord{"config wrong type", "config = '{\"score_threshold\": \"high\"}'",
                ErrorKind::kConfiguration, "score_threshold"},
      BadRecord{"unknown control strategy", "control_strategy = 'telepathy'",
                ErrorKind::kConfiguration, "control_strategy"},
      BadRecord{"1 MB query", "raw_query = printf('%.1000000c', 'a')", ErrorKind::kQueryParsing,
                "raw_query"},
      BadRecord{"NUL in query", "raw_query = CAST(X'49464E0067616D6D61' AS TEXT)",
                ErrorKind::kQueryParsing, "raw_query"},
      BadRecord{"invalid UTF-8 in query", "raw_query = CAST(X'49464EFFFE' AS TEXT)",
                ErrorKind::kQueryParsing, "raw_query"},
      BadRecord{"empty query", "raw_query = '   '", ErrorKind::kQueryParsing, "raw_query"});
  INFO(bad.name);
  Harness h(Backend::kSqlite);
  const std::string id = h.fixture.CreatePendingRun(*h.store);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(h.fixture.url().substr(9).c_str(), &db) == SQLITE_OK);
    const std::string sql =
        std::string("UPDATE runs SET ") + bad.sql_set + " WHERE run_id = '" + id + "'";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  const Run before = *h.store->GetRun(id);
  ScriptedExecutor executor({});
  const JobResult result = h.Execute(id, executor);
  CHECK(result.exit_code == kExitRunFailed);
  CHECK(executor.calls() == 0);
  const Run after = *h.store->GetRun(id);
  CHECK(after.status == RunStatus::kFailed);
  REQUIRE(after.error.has_value());
  CHECK(after.error->error_type == std::string(ErrorKindName(bad.kind)));
  CHECK_THAT(after.error->message, Catch::Contains(bad.mentions));
  // What the API stored is still there, byte for byte.
  CHECK(after.raw_query == before.raw_query);
  CHECK(after.config_json == before.config_json);
  CHECK(after.invalid_fields == before.invalid_fields);
}

}  // namespace
}  // namespace haystack::testing
