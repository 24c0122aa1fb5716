#include "haystack/core/retry.h"

#include <thread>

#include "catch2/catch.hpp"

namespace haystack {
namespace {

TEST_CASE("a fake clock's waits advance it at once, and a fired stop ends them") {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  clock.SleepFor(absl::Seconds(3));
  CHECK_FALSE(clock.WaitFor(absl::Seconds(2), StopToken()));
  CHECK(clock.Now() == absl::FromUnixSeconds(1'800'000'005));
  CHECK(clock.slept() == absl::Seconds(5));
  CHECK(clock.waits() == 2);
  StopSource stop;
  stop.RequestStop(StopReason::kShutdown);
  CHECK(clock.WaitFor(absl::Hours(1), stop.token()));
  CHECK(clock.Now() == absl::FromUnixSeconds(1'800'000'005));  // no time passed
}

TEST_CASE("the system clock's wait returns early when the stop fires") {
  StopSource stop;
  std::thread stopper([&] { stop.RequestStop(StopReason::kShutdown); });
  CHECK(SystemClock().WaitFor(absl::Hours(1), stop.token()));
  stopper.join();
}

TEST_CASE("backoff delays grow exponentially to the cap, jittered between d/2 and d") {
  const RetryPolicy policy{
      .initial_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(5), .multiplier = 2};
  CHECK(BackoffDelay(policy, 1, 0.0) == absl::Milliseconds(500));
  CHECK(BackoffDelay(policy, 1, 1.0) == absl::Seconds(1));
  CHECK(BackoffDelay(policy, 3, 0.0) == absl::Seconds(2));
  CHECK(BackoffDelay(policy, 3, 1.0) == absl::Seconds(4));
  CHECK(BackoffDelay(policy, 10, 1.0) == absl::Seconds(5));
}

// A clock whose first wait is interrupted by a shutdown (SIGTERM arriving mid-backoff).
class SignalledDuringWait final : public Clock {
 public:
  explicit SignalledDuringWait(StopSource& stop) : stop_(stop) {}
  absl::Time Now() const override { return absl::FromUnixSeconds(1'800'000'000); }
  bool WaitFor(absl::Duration, const StopToken& token) const override {
    stop_.RequestStop(StopReason::kShutdown);
    return token.stop_requested();
  }

 private:
  StopSource& stop_;
};

TEST_CASE("a retry loop stops at max_attempts, at the budget and when stopped, on its clock") {
  FakeClock clock;
  SECTION("attempts") {
    const RetryPolicy policy{.max_attempts = 4, .initial_backoff = absl::Seconds(1)};
    RetryLoop retry(policy, clock, StopToken(), absl::InfiniteFuture(), 3);
    int attempts = 1;
    while (retry.WaitBeforeRetry()) ++attempts;
    CHECK(attempts == 4);
    CHECK(clock.waits() == 3);
    CHECK(clock.slept() >= absl::Milliseconds(500 + 1000 + 2000));
    CHECK(clock.slept() <= absl::Seconds(1 + 2 + 4));
  }
  SECTION("budget: no wait ends past it") {
    const RetryPolicy policy{.max_attempts = 0,
                             .initial_backoff = absl::Milliseconds(50),
                             .max_backoff = absl::Seconds(2),
                             .budget = absl::Seconds(30)};
    const absl::Time start = clock.Now();
    RetryLoop retry(policy, clock);
    while (retry.WaitBeforeRetry()) {
    }
    CHECK(clock.Now() - start <= absl::Seconds(30));
    CHECK(clock.Now() - start > absl::Seconds(27));
    CHECK(retry.Remaining() < absl::Seconds(2));
  }
  SECTION("a shared deadline earlier than the budget wins") {
    const RetryPolicy policy{.max_attempts = 0, .budget = absl::Seconds(30)};
    RetryLoop retry(policy, clock, StopToken(), clock.Now() + absl::Seconds(1));
    while (retry.WaitBeforeRetry()) {
    }
    CHECK(clock.slept() <= absl::Seconds(1));
  }
  SECTION("stopped") {
    StopSource stop;
    const RetryPolicy policy{.max_attempts = 0};
    RetryLoop retry(policy, clock, stop.token());
    CHECK(retry.WaitBeforeRetry());
    stop.RequestStop(StopReason::kShutdown);
    CHECK_FALSE(retry.WaitBeforeRetry());
    CHECK(retry.stopped());
  }
  SECTION("NextWait plans the same schedule for callers that wait elsewhere, without waiting") {
    const RetryPolicy policy{.max_attempts = 3, .initial_backoff = absl::Seconds(1)};
    RetryLoop retry(policy, clock);
    const auto first = retry.NextWait();
    REQUIRE(first.has_value());
    CHECK(*first >= absl::Milliseconds(500));
    CHECK(*first <= absl::Seconds(1));
    CHECK(retry.attempts() == 2);
    CHECK(retry.NextWait(absl::Seconds(7)) == absl::Seconds(7));
    CHECK_FALSE(retry.NextWait().has_value());  // 3 attempts made
    CHECK(clock.waits() == 0);
  }
  SECTION("a wait cut short by a stop does not count as an attempt") {
    StopSource stop;
    const SignalledDuringWait signalled(stop);
    RetryLoop retry(RetryPolicy{.max_attempts = 0}, signalled, stop.token());
    CHECK_FALSE(retry.WaitBeforeRetry());
    CHECK(retry.attempts() == 1);
    CHECK(retry.stopped());
  }
  SECTION("a server's requested delay is waited as is") {
    const RetryPolicy policy{.max_attempts = 3};
    RetryLoop retry(policy, clock);
    CHECK(retry.WaitBeforeRetry(absl::Seconds(9)));
    CHECK(clock.slept() == absl::Seconds(9));
  }
}

TEST_CASE("HTTP status sets hold 100-599 and ignore the rest") {
  const HttpStatusSet set = {429, 503, 99, 600, -1};
  CHECK(set.contains(429));
  CHECK(set.contains(503));
  CHECK_FALSE(set.contains(500));
  CHECK_FALSE(set.contains(99));
  CHECK_FALSE(set.contains(600));
  CHECK(RetryPolicy{}.retryable_statuses.contains(408));
}

}  // namespace
}  // namespace haystack
