#include "haystack/core/retry.h"

#include <algorithm>
#include <cmath>

namespace haystack {

HttpStatusSet::HttpStatusSet(std::initializer_list<int> statuses) {
  for (int status : statuses) {
    if (status >= 100 && status < kLimit) bits_.set(static_cast<size_t>(status));
  }
}

bool HttpStatusSet::contains(int status) const {
  return status >= 100 && status < kLimit && bits_.test(static_cast<size_t>(status));
}

absl::Duration BackoffDelay(const RetryPolicy& policy, int failures, double u) {
  const double base = absl::ToDoubleSeconds(policy.initial_backoff) *
                      std::pow(policy.multiplier, std::max(0, failures - 1));
  const double cap = std::min(base, absl::ToDoubleSeconds(policy.max_backoff));
  return absl::Seconds(cap * (1.0 + std::clamp(u, 0.0, 1.0)) / 2.0);
}

RetryLoop::RetryLoop(const RetryPolicy& policy, const Clock& clock, StopToken stop,
                     absl::Time deadline, uint64_t jitter_seed)
    : policy_(policy),
      clock_(clock),
      stop_(std::move(stop)),
      deadline_(std::min(deadline, clock.Now() + policy.budget)),
      jitter_(jitter_seed != 0 ? jitter_seed : EntropyBits()) {}

absl::Duration RetryLoop::Remaining() const {
  return std::max(absl::ZeroDuration(), deadline_ - clock_.Now());
}

std::optional<absl::Duration> RetryLoop::NextWait(std::optional<absl::Duration> server_delay) {
  if (stop_.stop_requested()) return std::nullopt;
  if (policy_.max_attempts > 0 && attempts_ >= policy_.max_attempts) return std::nullopt;
  const absl::Duration wait = server_delay ? std::max(*server_delay, absl::ZeroDuration())
                                           : BackoffDelay(policy_, attempts_, jitter_.Uniform());
  if (clock_.Now() + wait > deadline_) return std::nullopt;
  ++attempts_;
  return wait;
}

bool RetryLoop::WaitBeforeRetry(std::optional<absl::Duration> server_delay) {
  const std::optional<absl::Duration> wait = NextWait(server_delay);
  if (!wait) return false;
  if (clock_.WaitFor(*wait, stop_)) {
    --attempts_;  // stopped: the attempt will not be made
    return false;
  }
  return true;
}

}  // namespace haystack
