#include "haystack/core/clock.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace haystack {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool WaitFor(absl::Duration d, const StopToken& stop) const override {
    return stop.WaitFor(std::max(d, absl::ZeroDuration()));
  }
};

}  // namespace

const Clock& SystemClock() {
  static const RealClock clock;
  return clock;
}

absl::Time FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

bool FakeClock::WaitFor(absl::Duration d, const StopToken& stop) const {
  if (stop.stop_requested()) return true;
  {
    std::lock_guard lock(mu_);
    const absl::Duration step = std::max(d, absl::ZeroDuration());
    now_ += step;
    slept_ += step;
    ++waits_;
  }
  return stop.stop_requested();
}

void FakeClock::Advance(absl::Duration d) {
  std::lock_guard lock(mu_);
  now_ += d;
}

void FakeClock::Set(absl::Time t) {
  std::lock_guard lock(mu_);
  now_ = t;
}

absl::Duration FakeClock::slept() const {
  std::lock_guard lock(mu_);
  return slept_;
}

int FakeClock::waits() const {
  std::lock_guard lock(mu_);
  return waits_;
}

}  // namespace haystack
