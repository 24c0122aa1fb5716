// Transient stays transient: an executor error a later execution may overcome exits 75 with the
// run left resumable; the email protocol's rule for a claim left by a dead execution; the
// timing cross-checks.
#include <catch2/catch.hpp>

#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/job/notify_once.h"
#include "haystack/job/run_job.h"
#include "job/recording_notifier.h"
#include "job/scripted_executor.h"
#include "store/store_fixture.h"

namespace haystack::testing {
namespace {

JobTiming FastTiming(const Clock* clock = &SystemClock()) {
  return {.lease = absl::Seconds(30),
          .heartbeat = absl::Milliseconds(100),
          .cancellation_poll = absl::Milliseconds(20),
          .notification_claim = absl::Minutes(2),
          .clock = clock};
}

JobResult Execute(RunStore& store, const std::string& id, RunExecutor& executor, Notifier* notifier,
                  const JobTiming& timing = FastTiming(), const StopToken& shutdown = StopToken()) {
  JobRequest request{.run_id = id, .worker_id = NewWorkerId()};
  return RunJob(request, store, executor, notifier, shutdown, Logger::Null(), timing);
}

struct Resumable {
  const char* name;
  absl::Status error;
};

TEST_CASE("transient infrastructure errors exit 75 with the run resumable, not failed",
          "[job][transient]") {
  const Resumable c =
      GENERATE(Resumable{"run database past its retry budget",
                         MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                                   "the run database gave up after 40 attempt(s)")},
               Resumable{"full disk under the artifact root",
                         MakeError(ErrorKind::kStorage, absl::StatusCode::kResourceExhausted,
                                   "write /artifacts/runs/x/output.h5ad: No space left on device")},
               Resumable{"I/O error on the artifact root",
                         MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                                   "fsync /artifacts/runs/x/report.md: Input/output error")},
               Resumable{"inference job past its budget (left running to re-attach)",
                         MakeError(ErrorKind::kInference, absl::StatusCode::kDeadlineExceeded,
                                   "inference job did not finish within 2h")});
  INFO(c.name);
  StoreFixture fixture(Backend::kSqlite);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  RecordingNotifier notifier;
  ScriptedExecutor failing({.iterations = 2, .ending = Script::Ending::kFail, .error = c.error});
  const JobResult result = Execute(*store, id, failing, &notifier);
  CHECK(result.exit_code == kExitTransient);  // before: exit 1, a failed run, a failure email
  CHECK_THAT(result.message, Catch::Contains("re-execute to resume"));
  auto run = store->GetRun(id);
  CHECK(run->status == RunStatus::kRunning);
  CHECK_FALSE(run->error.has_value());
  CHECK_FALSE(run->lease_owner.has_value());  // released: the retry claims it at once
  CHECK(run->iterations.size() == 2);
  CHECK(notifier.sent().empty());

  ScriptedExecutor resumed({.iterations = 3});
  CHECK(Execute(*store, id, resumed, &notifier).exit_code == kExitSuccess);
  CHECK(resumed.recorded() == std::vector<int>{3});
  CHECK(store->GetRun(id)->status == RunStatus::kCompleted);
  CHECK(notifier.sent().size() == 1);
}

TEST_CASE("errors a re-execution cannot fix still fail the run", "[job][transient]") {
  const Resumable c = GENERATE(
      // The science's own services have retried within their budgets; the user is told.
      Resumable{"inference worker unreachable past its budget",
                MakeError(ErrorKind::kInference, absl::StatusCode::kUnavailable,
                          "inference worker 127.0.0.1:1 is not serving")},
      Resumable{"corrupt artifact", MakeError(ErrorKind::kStorage, absl::StatusCode::kDataLoss,
                                              "the predictions hold no matrix")},
      Resumable{"a refused write",
                MakeError(ErrorKind::kStorage, absl::StatusCode::kPermissionDenied,
                          "open /artifacts: Permission denied")});
  INFO(c.name);
  CHECK_FALSE(ResumableByReexecution(c.error));
  StoreFixture fixture(Backend::kSqlite);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  RecordingNotifier notifier;
  ScriptedExecutor failing({.iterations = 1, .ending = Script::Ending::kFail, .error = c.error});
  CHECK(Execute(*store, id, failing, &notifier).exit_code == kExitRunFailed);
  CHECK(store->GetRun(id)->status == RunStatus::kFailed);
  REQUIRE(notifier.sent().size() == 1);
  CHECK(notifier.sent()[0].kind == NotificationKind::kRunFailed);
}

// A finished run whose email an execution claimed and then died with (kill -9, or the database
// lost before the outcome was recorded).
std::string FinishedWithAbandonedClaim(RunStore& store, StoreFixture& fixture,
                                       absl::Duration claim) {
  const std::string id = fixture.CreatePendingRun(store);
  ScriptedExecutor executor({.iterations = 1});
  JobRequest request{.run_id = id, .worker_id = "finisher"};
  REQUIRE(RunJob(request, store, executor, nullptr, StopToken(), Logger::Null(), FastTiming())
              .exit_code == kExitSuccess);
  auto claimed = store.ClaimNotification(id, NotificationKind::kRunCompleted, "dead-job", claim);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());
  return id;
}

TEST_CASE(
    "an email claimed by an execution that died is sent by the next one once the claim "
    "expires (at least once)",
    "[job][notify]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  StoreFixture fixture(backend);
  if (!fixture.available()) return;
  INFO("backend: " << BackendName(backend));
  // The store's claim expiry and the job's wait on one clock (whole seconds: stored timestamps
  // keep milliseconds).
  FakeClock clock(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
  auto store = fixture.Open(&clock);
  const std::string id = FinishedWithAbandonedClaim(*store, fixture, absl::Minutes(2));

  RecordingNotifier notifier;
  ScriptedExecutor none({});
  // The live claim is looked at again every poll: a coarse one keeps the fake wait to a few
  // store round trips.
  JobTiming timing = FastTiming(&clock);
  timing.lease = absl::Minutes(5);
  timing.cancellation_poll = absl::Seconds(20);
  const JobResult result = Execute(*store, id, none, &notifier, timing);
  // Before: a `sending` row was never retried: exit 0, no email, nothing logged.
  CHECK(result.exit_code == kExitSuccess);
  CHECK(none.calls() == 0);
  REQUIRE(notifier.sent().size() == 1);
  CHECK(notifier.sent()[0].kind == NotificationKind::kRunCompleted);
  CHECK(clock.slept() >= absl::Minutes(2));  // it waited for the dead claim to expire
  CHECK(clock.slept() < absl::Minutes(2) + absl::Seconds(1));
  auto ledger = store->ListNotifications(id);
  CHECK((*ledger)[0].status == NotificationStatus::kSent);
  CHECK((*ledger)[0].attempts == 2);
  // A further execution sends nothing more.
  CHECK(Execute(*store, id, none, &notifier, timing).exit_code == kExitSuccess);
  CHECK(notifier.sent().size() == 1);
}

TEST_CASE("SIGTERM while another execution's claim on the email is live exits 75, sends nothing",
          "[job][notify]") {
  StoreFixture fixture(Backend::kSqlite);
  auto store = fixture.Open();
  const std::string id = FinishedWithAbandonedClaim(*store, fixture, absl::Minutes(5));
  StopSource shutdown;
  shutdown.RequestStop(StopReason::kShutdown);
  RecordingNotifier notifier;
  ScriptedExecutor none({});
  const JobResult result = Execute(*store, id, none, &notifier, FastTiming(), shutdown.token());
  CHECK(result.exit_code == kExitTransient);
  CHECK_THAT(result.message, Catch::Contains("email is still owed"));
  CHECK(notifier.sent().empty());
  CHECK((*store->ListNotifications(id))[0].status == NotificationStatus::kSending);
}

TEST_CASE("timings that cannot work are refused with the setting's name", "[job][settings]") {
  struct Bad {
    const char* name;
    JobTiming timing;
    const char* mentions;
  };
  const Bad bad =
      GENERATE(Bad{"heartbeat as long as the lease",
                   {.lease = absl::Seconds(10), .heartbeat = absl::Seconds(10)},
                   "heartbeat_seconds"},
               Bad{"poll starving the heartbeat",
                   {.lease = absl::Seconds(30),
                    .heartbeat = absl::Seconds(5),
                    .cancellation_poll = absl::Seconds(10)},
                   "cancel_poll_seconds"},
               Bad{"poll of zero (a busy loop)",
                   {.lease = absl::Seconds(30),
                    .heartbeat = absl::Seconds(5),
                    .cancellation_poll = absl::ZeroDuration()},
                   "cancel_poll_seconds"},
               Bad{"infinite lease", {.lease = absl::InfiniteDuration()}, "lease_seconds"},
               Bad{"no email claim",
                   {.lease = absl::Seconds(30),
                    .heartbeat = absl::Seconds(5),
                    .notification_claim = absl::ZeroDuration()},
                   "notification_claim_seconds"});
  INFO(bad.name);
  const absl::Status valid = ValidateJobTiming(bad.timing);
  CHECK(GetErrorKind(valid) == ErrorKind::kConfiguration);
  CHECK_THAT(std::string(valid.message()), Catch::Contains(bad.mentions));
  CHECK(ValidateJobTiming(JobTiming{}).ok());
  CHECK(ValidateJobTiming(FastTiming()).ok());
}

TEST_CASE("a RUN_ID that is not a run id exits 2 before any store or file system use",
          "[job][settings]") {
  StoreFixture fixture(Backend::kSqlite);
  auto store = fixture.Open();
  ScriptedExecutor executor({});
  for (const char* id :
       {"y/../../../x", "..", "-rf", ".hidden", "hay 1", "hay\n1", "hay_\xc3\xa9t\xc3\xa9"}) {
    INFO(id);
    const JobResult result = Execute(*store, id, executor, nullptr);
    CHECK(result.exit_code == kExitUsage);
    CHECK_THAT(result.message, Catch::Contains("RUN_ID"));
  }
  CHECK(Execute(*store, std::string(65, 'a'), executor, nullptr).exit_code == kExitUsage);
  CHECK(executor.calls() == 0);
}

}  // namespace
}  // namespace haystack::testing
