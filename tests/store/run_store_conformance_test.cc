// The RunStore contract, run against SQLite and PostgreSQL alike.
#include <atomic>
#include <catch2/catch.hpp>
#include <thread>
#include <vector>

#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/core/run.h"
#include "store/store_fixture.h"
#include "support/model_fixtures.h"

namespace haystack::testing {
namespace {

constexpr absl::Duration kLease = absl::Minutes(5);

#define HAYSTACK_FOR_EACH_BACKEND(fixture)                                 \
  const Backend backend_under_test =                                       \
      GENERATE(Backend::kSqlite, Backend::kPostgres, Backend::kPgBouncer); \
  StoreFixture fixture(backend_under_test);                                \
  if (!fixture.available()) return;                                        \
  INFO("backend: " << BackendName(backend_under_test))

TerminalUpdate Completed() {
  TerminalUpdate update;
  update.status = RunStatus::kCompleted;
  update.reason = TerminationReason::kConverged;
  update.final_score = 8;
  update.best_iteration = 1;
  update.notification = NotificationKind::kRunCompleted;
  update.notification_recipient = "ada@example.org";
  return update;
}

TerminalUpdate Cancelled() {
  TerminalUpdate update;
  update.status = RunStatus::kCancelled;
  update.reason = TerminationReason::kCancelled;
  update.notification = NotificationKind::kRunCancelled;
  update.notification_recipient = "ada@example.org";
  return update;
}

TEST_CASE("a created run reads back as it was written", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto run = store->GetRun(id);
  REQUIRE(run.ok());
  CHECK(run->invalid_fields.empty());
  CHECK(run->status == RunStatus::kPending);
  CHECK(run->raw_query == SamplePendingRun(id).raw_query);
  CHECK(run->user_email == "ada@example.org");
  CHECK(run->random_seed == 42);
  CHECK(run->attempt == 0);
  auto config = ParseRunConfig(run->config_json);
  REQUIRE(config.ok());
  CHECK(config->max_iterations == 3);

  CHECK(store->CreateRun(SamplePendingRun(id)).code() == absl::StatusCode::kAlreadyExists);
  auto missing = store->GetRun("hay_does_not_exist");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(GetErrorKind(missing.status()) == ErrorKind::kDatabase);
}

TEST_CASE("a claim takes a lease, starts the run and fences out a second claimer", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto store = fixture.Open(&clock);
  const std::string id = fixture.CreatePendingRun(*store);

  auto first = store->ClaimRun(id, "worker-a", kLease);
  REQUIRE(first.ok());
  CHECK(first->attempt == 1);
  auto run = store->GetRun(id);
  REQUIRE(run.ok());
  CHECK(run->status == RunStatus::kRunning);
  CHECK(run->start_time == clock.Now());
  CHECK(run->lease_owner == "worker-a");

  auto second = store->ClaimRun(id, "worker-b", kLease);
  CHECK(second.status().code() == absl::StatusCode::kAborted);
  CHECK_THAT(std::string(second.status().message()), Catch::Contains("worker-a"));

  // The lease expires (the first worker died): a re-execution takes over with a new attempt,
  // and the old holder's writes are refused from then on.
  clock.Advance(kLease + absl::Seconds(1));
  auto takeover = store->ClaimRun(id, "worker-b", kLease);
  REQUIRE(takeover.ok());
  CHECK(takeover->attempt == 2);
  RunProgress progress;
  progress.phase = RunPhase::kInference;
  CHECK(store->UpdateProgress(*first, progress).code() == absl::StatusCode::kAborted);
  CHECK(store->FinishRun(*first, Completed()).status().code() == absl::StatusCode::kAborted);
  CHECK(store->UpdateProgress(*takeover, progress).ok());
  run = store->GetRun(id);
  CHECK(run->start_time == absl::FromUnixSeconds(1'800'000'000));  // first start kept
  CHECK(run->current_phase == RunPhase::kInference);
}

TEST_CASE("a released lease can be claimed at once and renewing extends it", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto store = fixture.Open(&clock);
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "worker-a", kLease);
  REQUIRE(lease.ok());
  clock.Advance(absl::Minutes(4));
  REQUIRE(store->RenewLease(*lease, kLease).ok());
  CHECK(lease->expires_at == clock.Now() + kLease);
  clock.Advance(absl::Minutes(4));  // past the first expiry, inside the renewed one
  CHECK(store->ClaimRun(id, "worker-b", kLease).status().code() == absl::StatusCode::kAborted);
  REQUIRE(store->ReleaseLease(*lease).ok());
  auto next = store->ClaimRun(id, "worker-b", kLease);
  REQUIRE(next.ok());
  CHECK(next->attempt == 2);
}

TEST_CASE("concurrent claimers in threads: exactly one wins", "[store][race]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  constexpr int kClaimers = 6;
  std::vector<std::unique_ptr<RunStore>> stores;
  for (int i = 0; i < kClaimers; ++i) stores.push_back(fixture.Open());
  for (int round = 0; round < 10; ++round) {
    const std::string id = fixture.CreatePendingRun(*stores[0]);
    std::atomic<int> winners = 0;
    std::atomic<int> refused = 0;
    std::vector<std::thread> threads;
    for (int i = 0; i < kClaimers; ++i) {
      threads.emplace_back([&, i] {
        auto lease = stores[i]->ClaimRun(id, "worker-" + std::to_string(i), kLease);
        if (lease.ok()) {
          ++winners;
        } else if (lease.status().code() == absl::StatusCode::kAborted) {
          ++refused;
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(winners == 1);
    CHECK(refused == kClaimers - 1);
    CHECK(stores[0]->GetRun(id)->attempt == 1);
  }
}

TEST_CASE("a cancellation request racing the run's own writes always survives", "[store][race]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto job_store = fixture.Open();
  auto api_store = fixture.Open();
  int cancelled = 0;
  int completed = 0;
  // The race is the database's; the pooler only adds latency (fewer rounds keep the time).
  const int rounds = backend_under_test == Backend::kPgBouncer ? 200 : 1000;
  for (int round = 0; round < rounds; ++round) {
    const std::string id = fixture.CreatePendingRun(*api_store);
    auto lease = job_store->ClaimRun(id, "job", kLease);
    REQUIRE(lease.ok());
    absl::Status cancel;
    // Staggered so that both orders occur: from "cancel first" to "job finished first".
    const bool api_first = round % 2 == 0;
    const auto api_delay = std::chrono::microseconds(api_first ? 0 : (round % 10) * 300);
    const auto job_delay = std::chrono::microseconds(api_first ? (round % 10) * 300 : 0);
    std::thread api([&] {
      std::this_thread::sleep_for(api_delay);
      cancel = api_store->RequestCancellation(id);
    });
    // The job: a progress write, then an attempt to complete; a refusal because of the
    // cancellation makes it finish as cancelled, as the lifecycle does.
    std::this_thread::sleep_for(job_delay);
    RunProgress progress;
    progress.phase = RunPhase::kOutputGeneration;
    absl::Status progressed = job_store->UpdateProgress(*lease, progress);
    auto finished = job_store->FinishRun(*lease, Completed());
    if (!finished.ok()) {
      REQUIRE(GetErrorKind(finished.status()) == ErrorKind::kCancelled);
      finished = job_store->FinishRun(*lease, Cancelled());
    }
    api.join();
    REQUIRE(progressed.ok());
    REQUIRE(finished.ok());
    auto run = job_store->GetRun(id);
    REQUIRE(run.ok());
    if (cancel.ok()) {
      // Once the API was told "cancellation recorded", the run must end cancelled.
      REQUIRE(run->status == RunStatus::kCancelled);
      REQUIRE(run->termination_reason == TerminationReason::kCancelled);
      REQUIRE(run->cancel_requested_at.has_value());
      ++cancelled;
    } else {
      REQUIRE(cancel.code() == absl::StatusCode::kFailedPrecondition);
      REQUIRE(run->status == RunStatus::kCompleted);
      ++completed;
    }
  }
  CHECK(cancelled + completed == rounds);
  // Both orders occurred, or the race was not exercised.
  CHECK(cancelled > 0);
  CHECK(completed > 0);
  WARN(BackendName(backend_under_test)
       << ": cancelled " << cancelled << ", completed " << completed);
}

TEST_CASE("no write leaves a terminal state", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  auto done = store->FinishRun(*lease, Completed());
  REQUIRE(done.ok());
  CHECK(done->status == RunStatus::kCompleted);
  CHECK(done->final_score == 8);
  CHECK(done->end_time.has_value());
  CHECK_FALSE(done->lease_owner.has_value());

  RunProgress progress;
  progress.phase = RunPhase::kInference;
  CHECK(store->UpdateProgress(*lease, progress).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->FinishRun(*lease, Cancelled()).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(store->RequestCancellation(id).code() == absl::StatusCode::kFailedPrecondition);
  CHECK(store->ClaimRun(id, "other", kLease).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(store->RecordIteration(*lease, SampleIteration(2)).code() ==
        absl::StatusCode::kFailedPrecondition);
  auto after = store->GetRun(id);
  CHECK(after->status == RunStatus::kCompleted);
  CHECK(after->termination_reason == TerminationReason::kConverged);
}

TEST_CASE("completing or failing a run with a pending cancellation is refused", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  REQUIRE(store->RequestCancellation(id).ok());
  REQUIRE(store->RequestCancellation(id).ok());  // repeated requests are harmless
  auto refused = store->FinishRun(*lease, Completed());
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(GetErrorKind(refused.status()) == ErrorKind::kCancelled);
  TerminalUpdate failed;
  failed.status = RunStatus::kFailed;
  failed.reason = TerminationReason::kError;
  failed.error = RunError{"InferenceError", "worker died", RunPhase::kInference, 1};
  CHECK(GetErrorKind(store->FinishRun(*lease, failed).status()) == ErrorKind::kCancelled);
  auto cancelled = store->FinishRun(*lease, Cancelled());
  REQUIRE(cancelled.ok());
  CHECK(cancelled->status == RunStatus::kCancelled);
}

TEST_CASE("a run the API marked cancelled can still be claimed to finish the cancellation",
          "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = NewRunId(absl::Now());
  Run run = SamplePendingRun(id);
  // The API's direct convention (docs/operations.md, "What a re-execution does").
  run.status = RunStatus::kCancelled;
  REQUIRE(store->CreateRun(run).ok());
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  auto claimed = store->GetRun(id);
  CHECK(claimed->status == RunStatus::kCancelled);
  CHECK(IsCancellationRequested(*claimed));
  CHECK_FALSE(IsFinalized(*claimed));
  CHECK_FALSE(store->FinishRun(*lease, Completed()).ok());
  auto finished = store->FinishRun(*lease, Cancelled());
  REQUIRE(finished.ok());
  CHECK(IsFinalized(*finished));
}

TEST_CASE("iterations are recorded idempotently with their scores", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  REQUIRE(store->RecordIteration(*lease, SampleIteration(1, 5)).ok());
  REQUIRE(store->RecordIteration(*lease, SampleIteration(2, 6)).ok());
  REQUIRE(store->RecordIteration(*lease, SampleIteration(2, 8)).ok());  // a retried write
  auto run = store->GetRun(id);
  REQUIRE(run.ok());
  CHECK(run->invalid_fields.empty());
  REQUIRE(run->iterations.size() == 2);
  CHECK(run->iterations[0] == SampleIteration(1, 5));
  CHECK(run->iterations[1] == SampleIteration(2, 8));
  CHECK(run->grounding_scores == std::vector<std::optional<int>>{5, 8});
  CHECK(run->current_iteration == 2);
}

TEST_CASE("the notification ledger hands a notification out at most once", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  REQUIRE(store->FinishRun(*lease, Completed()).ok());
  auto listed = store->ListNotifications(id);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  CHECK((*listed)[0].status == NotificationStatus::kPending);
  CHECK((*listed)[0].recipient == "ada@example.org");

  auto claimed = store->ClaimNotification(id, NotificationKind::kRunCompleted, "job-a", kLease);
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());
  CHECK((*claimed)->status == NotificationStatus::kSending);
  CHECK((*claimed)->attempts == 1);
  CHECK_THAT((*claimed)->claimed_by, Catch::StartsWith("job-a "));
  auto again = store->ClaimNotification(id, NotificationKind::kRunCompleted, "job-b", kLease);
  REQUIRE(again.ok());
  CHECK_FALSE(again->has_value());
  REQUIRE(
      store
          ->RecordNotificationResult(
              **claimed, {.delivered = true, .provider = "outbox", .provider_message_id = "msg-1"})
          .ok());
  CHECK(
      store
          ->RecordNotificationResult(
              **claimed, {.delivered = true, .provider = "outbox", .provider_message_id = "msg-1"})
          .code() == absl::StatusCode::kFailedPrecondition);
  listed = store->ListNotifications(id);
  CHECK((*listed)[0].status == NotificationStatus::kSent);
  CHECK((*listed)[0].provider_message_id == "msg-1");
  CHECK((*listed)[0].sent_at.has_value());
  auto after_sent = store->ClaimNotification(id, NotificationKind::kRunCompleted, "job-b", kLease);
  REQUIRE(after_sent.ok());
  CHECK_FALSE(after_sent->has_value());
}

TEST_CASE("a claim left in sending by a dead execution is taken over once it expires",
          "[store][notify]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto store = fixture.Open(&clock);
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  REQUIRE(store->FinishRun(*lease, Completed()).ok());
  const absl::Duration claim = absl::Minutes(2);
  auto dead = store->ClaimNotification(id, NotificationKind::kRunCompleted, "dead-job", claim);
  REQUIRE(dead.ok());
  REQUIRE(dead->has_value());
  CHECK((*dead)->claim_expires_at == clock.Now() + claim);

  // While the claim is live nobody else sends; the ledger shows who holds it and until when.
  clock.Advance(claim - absl::Seconds(1));
  auto early = store->ClaimNotification(id, NotificationKind::kRunCompleted, "next-job", claim);
  REQUIRE(early.ok());
  CHECK_FALSE(early->has_value());
  auto listed = store->ListNotifications(id);
  CHECK((*listed)[0].status == NotificationStatus::kSending);
  CHECK_THAT((*listed)[0].claimed_by, Catch::StartsWith("dead-job "));

  // Expired: the next execution takes it over (the outcome of the first is unknown: at least
  // once), and the dead claimant can no longer record anything.
  clock.Advance(absl::Seconds(2));
  auto taken = store->ClaimNotification(id, NotificationKind::kRunCompleted, "next-job", claim);
  REQUIRE(taken.ok());
  REQUIRE(taken->has_value());
  CHECK((*taken)->attempts == 2);
  CHECK_THAT((*taken)->claimed_by, Catch::StartsWith("next-job "));
  CHECK(store->RecordNotificationResult(**dead, {.delivered = true, .provider = "outbox"}).code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE(store->RecordNotificationResult(**taken, {.delivered = true, .provider = "outbox"}).ok());
  listed = store->ListNotifications(id);
  CHECK((*listed)[0].status == NotificationStatus::kSent);
  auto events = store->ListEvents(id);
  REQUIRE(events.ok());
  std::vector<std::string> kinds;
  for (const auto& e : *events) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<std::string>{"created", "claimed", "finished", "notification_claimed",
                                          "notification_claimed", "notified"});
  CHECK_THAT(events->at(4).message, Catch::Contains("sent again"));
}

TEST_CASE("every mutation is in the event history, in order", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  auto lease = store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  RunProgress progress;
  progress.phase = RunPhase::kQueryAnalysis;
  REQUIRE(store->UpdateProgress(*lease, progress).ok());
  REQUIRE(store->RecordIteration(*lease, SampleIteration(1)).ok());
  REQUIRE(store
              ->AppendEvent({.run_id = id,
                             .at = absl::Now(),
                             .attempt = 1,
                             .kind = "warning",
                             .message = "literature source unavailable"})
              .ok());
  REQUIRE(store->FinishRun(*lease, Completed()).ok());
  auto events = store->ListEvents(id);
  REQUIRE(events.ok());
  std::vector<std::string> kinds;
  for (const auto& e : *events) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<std::string>{"created", "claimed", "phase", "iteration", "warning",
                                          "finished"});
  CHECK((*events)[2].phase == RunPhase::kQueryAnalysis);
  CHECK((*events)[3].iteration == 1);
}

TEST_CASE("migrations re-applied are no-ops", "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto first = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*first);
  for (int i = 0; i < 3; ++i) {
    auto again = fixture.Open();
    auto version = again->SchemaVersion();
    REQUIRE(version.ok());
    CHECK(*version == 2);
    CHECK(again->GetRun(id).ok());  // data survives
  }
}

// Behind a transaction pooler the LISTEN would stay on whichever server session ran it: the
// store polls only there.
TEST_CASE("cancellation listeners: a hint on PostgreSQL, polling on SQLite and behind PgBouncer",
          "[store]") {
  HAYSTACK_FOR_EACH_BACKEND(fixture);
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);
  const std::string other = fixture.CreatePendingRun(*store);
  auto listener = store->ListenForCancellation(id);
  REQUIRE(listener.ok());
  REQUIRE(store->RequestCancellation(other).ok());  // someone else's run: no hint for us
  CHECK_FALSE((*listener)->Wait(absl::Milliseconds(200)));
  REQUIRE(store->RequestCancellation(id).ok());
  const bool hinted = (*listener)->Wait(absl::Seconds(5));
  CHECK(hinted == (fixture.backend() == Backend::kPostgres));
  CHECK(IsCancellationRequested(*store->GetRun(id)));  // the truth is always in the row
}

}  // namespace
}  // namespace haystack::testing
