// Writes that know their own outcome (PostgreSQL through the fault proxy): a COMMIT that reaches
// the server and commits, whose acknowledgement is lost with the connection, is recognised by
// the store's retry as its own success — never refused, never applied or logged twice.
#include <catch2/catch.hpp>
#include <functional>
#include <optional>
#include <thread>

#include "absl/time/clock.h"
#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/core/run.h"
#include "haystack/store/open_run_store.h"
#include "store/store_fixture.h"
#include "support/model_fixtures.h"
#include "support/pg_fault_proxy.h"

namespace haystack::testing {
namespace {

constexpr absl::Duration kLease = absl::Minutes(5);

// Real time, with a hook that runs at the first wait between two attempts: the moment after a
// lost acknowledgement and before the retry, when the world may change.
class HookedClock final : public Clock {
 public:
  explicit HookedClock(std::function<void()> hook) : hook_(std::move(hook)) {}
  absl::Time Now() const override { return absl::Now(); }
  bool WaitFor(absl::Duration d, const StopToken& stop) const override {
    if (hook_) std::exchange(hook_, nullptr)();
    return SystemClock().WaitFor(d, stop);
  }

 private:
  mutable std::function<void()> hook_;
};

struct ProxiedStore {
  explicit ProxiedStore(const Clock* clock = &SystemClock(), Backend backend = Backend::kPostgres)
      : fixture(backend) {
    if (!fixture.available()) return;
    proxy = std::make_unique<PgFaultProxy>(fixture.url());
    direct = fixture.Open();
    auto opened = OpenRunStore(proxy->url(), fixture.Options(clock));
    INFO(opened.status().message());
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  std::vector<std::string> EventKinds(const std::string& id) {
    auto events = direct->ListEvents(id);
    REQUIRE(events.ok());
    std::vector<std::string> kinds;
    for (const auto& e : *events) kinds.push_back(e.kind);
    return kinds;
  }
  StoreFixture fixture;
  std::unique_ptr<PgFaultProxy> proxy;
  std::unique_ptr<RunStore> direct;  // the test's own view, not through the proxy
  std::unique_ptr<RunStore> store;   // the store under test, through the proxy
};

TerminalUpdate CompletedWithEmail() {
  TerminalUpdate update;
  update.status = RunStatus::kCompleted;
  update.reason = TerminationReason::kConverged;
  update.final_score = 8;
  update.best_iteration = 1;
  update.notification = NotificationKind::kRunCompleted;
  update.notification_recipient = "ada@example.org";
  return update;
}

TEST_CASE("a lost acknowledgement of the email claim: the claim is recognised and returned",
          "[store][lost-ack]") {
  ProxiedStore p;
  if (!p.fixture.available()) return;
  const std::string id = p.fixture.CreatePendingRun(*p.store);
  auto lease = p.store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  REQUIRE(p.store->FinishRun(*lease, CompletedWithEmail()).ok());

  p.proxy->DropAckAfterCommitOf("SET status = 'sending'");
  auto claimed = p.store->ClaimNotification(id, NotificationKind::kRunCompleted, "job", kLease);
  CHECK(p.proxy->acks_dropped() == 1);
  INFO(claimed.status().message());
  REQUIRE(claimed.ok());
  // Before: the retry found `sending` and concluded someone else was sending: nobody was.
  REQUIRE(claimed->has_value());
  CHECK((*claimed)->status == NotificationStatus::kSending);
  CHECK((*claimed)->attempts == 1);
  REQUIRE(
      p.store->RecordNotificationResult(**claimed, {.delivered = true, .provider = "outbox"}).ok());
  CHECK((*p.direct->ListNotifications(id))[0].status == NotificationStatus::kSent);
}

TEST_CASE("a lost acknowledgement of the finish: the finished run is returned, not a refusal",
          "[store][lost-ack]") {
  ProxiedStore p;
  if (!p.fixture.available()) return;
  const std::string id = p.fixture.CreatePendingRun(*p.store);
  auto lease = p.store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  p.proxy->DropAckAfterCommitOf("termination_reason = $5");
  auto finished = p.store->FinishRun(*lease, CompletedWithEmail());
  CHECK(p.proxy->acks_dropped() == 1);
  INFO(finished.status().message());
  REQUIRE(finished.ok());  // before: "cannot finish run …: it is already finalized"
  CHECK(finished->status == RunStatus::kCompleted);
  CHECK((*p.direct->ListNotifications(id)).size() == 1);
  CHECK(p.EventKinds(id) == std::vector<std::string>{"created", "claimed", "finished"});
}

TEST_CASE("a lost acknowledgement of an iteration: recorded once, one event", "[store][lost-ack]") {
  ProxiedStore p;
  if (!p.fixture.available()) return;
  const std::string id = p.fixture.CreatePendingRun(*p.store);
  auto lease = p.store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  p.proxy->DropAckAfterCommitOf("UPDATE runs SET iterations = $4");
  REQUIRE(p.store->RecordIteration(*lease, SampleIteration(1, 6)).ok());
  CHECK(p.proxy->acks_dropped() == 1);
  auto run = p.direct->GetRun(id);
  REQUIRE(run->iterations.size() == 1);
  CHECK(run->grounding_scores == std::vector<std::optional<int>>{6});
  // Before: the retry appended a second "iteration" event.
  CHECK(p.EventKinds(id) == std::vector<std::string>{"created", "claimed", "iteration"});
}

TEST_CASE("a lost acknowledgement of a claim, a create and a phase: each recognised once",
          "[store][lost-ack]") {
  // Behind PgBouncer too: the retry comes on a new client connection and, likely, another
  // server session.
  const Backend backend = GENERATE(Backend::kPostgres, Backend::kPgBouncer);
  ProxiedStore p(&SystemClock(), backend);
  if (!p.fixture.available()) return;
  INFO("backend: " << BackendName(backend));
  const std::string id = NewRunId(absl::Now());
  p.proxy->DropAckAfterCommitOf("INSERT INTO runs");
  REQUIRE(p.store->CreateRun(SamplePendingRun(id)).ok());  // before: kAlreadyExists
  p.proxy->DropAckAfterCommitOf("UPDATE runs SET attempt = $2");
  auto lease = p.store->ClaimRun(id, "job", kLease);
  INFO(lease.status().message());
  REQUIRE(lease.ok());
  CHECK(lease->attempt == 1);  // before: a second claim, attempt 2
  RunProgress progress;
  progress.phase = RunPhase::kQueryAnalysis;
  p.proxy->DropAckAfterCommitOf("current_phase");
  REQUIRE(p.store->UpdateProgress(*lease, progress).ok());
  CHECK(p.proxy->acks_dropped() == 3);
  CHECK(p.EventKinds(id) == std::vector<std::string>{"created", "claimed", "phase"});
  CHECK(p.direct->GetRun(id)->attempt == 1);
}

TEST_CASE(
    "a lost acknowledgement of a cancellation, the run finished meanwhile: still the "
    "caller's success",
    "[store][lost-ack]") {
  StoreFixture fixture(Backend::kPostgres);
  if (!fixture.available()) return;
  auto job_store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*job_store);
  auto lease = job_store->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());
  // Between the lost acknowledgement and the retry, the job sees the (committed) request and
  // finishes the run as cancelled.
  HookedClock clock([&] {
    TerminalUpdate cancelled;
    cancelled.status = RunStatus::kCancelled;
    cancelled.reason = TerminationReason::kCancelled;
    REQUIRE(job_store->FinishRun(*lease, cancelled).ok());
  });
  ProxiedStore p(&clock);
  p.proxy->DropAckAfterCommitOf("cancel_requested_at = COALESCE");
  absl::Status requested = p.store->RequestCancellation(id);
  CHECK(p.proxy->acks_dropped() == 1);
  INFO(requested.message());
  CHECK(requested.ok());  // before: kFailedPrecondition "it is already finalized" (cancel exit 1)
  CHECK(p.direct->GetRun(id)->status == RunStatus::kCancelled);
  CHECK(p.EventKinds(id) ==
        std::vector<std::string>{"created", "claimed", "cancel_requested", "finished"});
}

TEST_CASE("an unreachable database is given up on after the retry budget, on the injected clock",
          "[store][outage]") {
  StoreFixture fixture(Backend::kPostgres);
  if (!fixture.available()) return;
  PgFaultProxy proxy(fixture.url());
  FakeClock clock;
  RunStoreOptions options;
  options.clock = &clock;
  options.retry.budget = absl::Seconds(30);
  auto store = OpenRunStore(proxy.url(), options);
  REQUIRE(store.ok());
  const std::string id = fixture.CreatePendingRun(**store);

  proxy.Refuse();
  auto run = (*store)->GetRun(id);
  REQUIRE_FALSE(run.ok());
  CHECK(run.status().code() == absl::StatusCode::kUnavailable);
  CHECK(GetErrorKind(run.status()) == ErrorKind::kDatabase);
  CHECK_THAT(std::string(run.status().message()), Catch::Contains("retry budget"));
  // The backoff (50 ms doubling to 2 s) was waited on the fake clock, up to the budget.
  const absl::Duration waited = clock.slept();
  CHECK(waited <= absl::Seconds(30));
  CHECK(waited >= absl::Seconds(28));
  CHECK(clock.waits() >= 15);

  // The outage's budget is shared: the next operation only gets what is left of it, instead of
  // a budget of its own (the watcher and the job's thread took turns waiting 30 s each before).
  CHECK_FALSE((*store)->ListEvents(id).ok());
  CHECK(clock.slept() <= absl::Seconds(30));
  const int waits = clock.waits();

  // Back: the next operation works and the budget is whole again.
  proxy.Restore();
  REQUIRE((*store)->GetRun(id).ok());
  proxy.Refuse();
  CHECK_FALSE((*store)->GetRun(id).ok());
  CHECK(clock.waits() > waits + 10);
}

TEST_CASE("a stalled database: a shutdown ends the operation within the stop grace",
          "[store][outage]") {
  StoreFixture fixture(Backend::kPostgres);
  if (!fixture.available()) return;
  PgFaultProxy proxy(fixture.url());
  StopSource shutdown;
  RunStoreOptions options;
  options.stop = shutdown.token();
  options.stop_grace = absl::Milliseconds(500);
  auto store = OpenRunStore(proxy.url(), options);
  REQUIRE(store.ok());
  const std::string id = fixture.CreatePendingRun(**store);
  auto lease = (*store)->ClaimRun(id, "job", kLease);
  REQUIRE(lease.ok());

  proxy.Stall();  // the statement goes out and nothing comes back
  std::thread signal([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    shutdown.RequestStop(StopReason::kShutdown);
  });
  absl::Status renewed = (*store)->RenewLease(*lease, kLease);  // would wait 60 s, then retry
  signal.join();
  CHECK(renewed.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(renewed.message()), Catch::Contains("stopping"));
  // After the stop, an operation does not even try while the outage lasts.
  absl::Status released = (*store)->ReleaseLease(*lease);
  CHECK(released.code() == absl::StatusCode::kUnavailable);
  proxy.Restore();
}

}  // namespace
}  // namespace haystack::testing
