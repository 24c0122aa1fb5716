// One retry policy and one retry loop for every client that retries: HTTP (SendGrid, Cloud
// Storage, the LLM), gRPC (the inference worker) and SQL (the run store).
//
// A policy bounds the retries three ways: a number of attempts, a time budget, and the caller's
// stop token (SIGTERM). Waits are jittered exponential backoff ("equal jitter": uniform in
// [d/2, d]) taken on the injected Clock, so a test with a FakeClock runs a whole schedule
// without sleeping.
#ifndef HAYSTACK_CORE_RETRY_H_
#define HAYSTACK_CORE_RETRY_H_

#include <bitset>
#include <cstdint>
#include <initializer_list>
#include <optional>

#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/core/random.h"
#include "haystack/core/stop_token.h"

namespace haystack {

// A set of HTTP status codes (100–599): a plain value, so that a policy copies without
// allocating.
class HttpStatusSet {
 public:
  HttpStatusSet(std::initializer_list<int> statuses);
  bool contains(int status) const;

 private:
  static constexpr int kLimit = 600;
  std::bitset<kLimit> bits_;
};

struct RetryPolicy {
  int max_attempts = 5;  // including the first; 0: no limit (the budget decides)
  absl::Duration initial_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  double multiplier = 2.0;
  // A server asking to wait longer than this (HTTP Retry-After, X-RateLimit-Reset) is not
  // retried: its answer is returned to the caller as is.
  absl::Duration max_server_delay = absl::Seconds(120);
  // HTTP statuses worth another attempt (Google's retry strategy; SendGrid's 429/5xx). Used by
  // HTTP clients only.
  HttpStatusSet retryable_statuses = {408, 429, 500, 502, 503, 504};
  // Retry a non-idempotent operation after an error that may have happened after it took
  // effect (an HTTP timeout or reset after sending). Failures known to precede the operation
  // (a refused connection) are always retried.
  bool retry_ambiguous_failures = false;
  // No attempt starts, and no wait ends, later than this after the first attempt.
  absl::Duration budget = absl::InfiniteDuration();
};

// The wait after `failures` failed attempts (1-based) without a server's hint: d·(1 + u)/2 with
// u in [0, 1), where d = min(max_backoff, initial_backoff · multiplier^(failures - 1)).
absl::Duration BackoffDelay(const RetryPolicy& policy, int failures, double u);

// The bookkeeping of one retried operation:
//
//   RetryLoop retry(policy, clock, stop);
//   while (true) {
//     absl::Status status = Attempt();
//     if (status.ok() || !Retryable(status) || !retry.WaitBeforeRetry()) return status;
//   }
//
// Not thread-safe: one loop per operation.
class RetryLoop {
 public:
  // `deadline` (if earlier than the budget's end) bounds the loop too, e.g. a deadline shared
  // with other operations. The first attempt counts from construction. A `jitter_seed` of 0
  // draws one from the operating system (core/random.h EntropyBits).
  RetryLoop(const RetryPolicy& policy, const Clock& clock, StopToken stop = StopToken(),
            absl::Time deadline = absl::InfiniteFuture(), uint64_t jitter_seed = 0);

  // Call after a failed attempt. Waits the next backoff (or `server_delay`, when the server
  // asked for one) and returns true, or returns false without waiting when no attempt may
  // follow: max_attempts made, the wait would end past the deadline, or the stop token fired
  // (before or during the wait).
  bool WaitBeforeRetry(std::optional<absl::Duration> server_delay = std::nullopt);

  // Like WaitBeforeRetry, for callers that wait through another API (an HTTP client's sleep
  // function): the wait to take before the next attempt, which counts as made, or nullopt
  // when no attempt may follow.
  std::optional<absl::Duration> NextWait(std::optional<absl::Duration> server_delay = std::nullopt);

  int attempts() const { return attempts_; }  // attempts made so far (failed ones, plus one)
  bool stopped() const { return stop_.stop_requested(); }
  // Time left before the deadline (never negative).
  absl::Duration Remaining() const;

 private:
  const RetryPolicy policy_;
  const Clock& clock_;
  StopToken stop_;
  absl::Time deadline_;
  SeededRandom jitter_;
  int attempts_ = 1;
};

}  // namespace haystack

#endif  // HAYSTACK_CORE_RETRY_H_
