// Time, behind an interface so that leases, timeouts, retries and timings can be tested.
//
// Everything that waits between attempts (HTTP, gRPC and SQL retries) waits on the injected
// Clock, so that a test with a FakeClock drives a whole retry schedule without sleeping.
// Deadlines handed to the operating system or a network library (poll, gRPC deadlines) are
// real time and stay real time.
#ifndef HAYSTACK_CORE_CLOCK_H_
#define HAYSTACK_CORE_CLOCK_H_

#include <mutex>

#include "absl/time/time.h"
#include "haystack/core/stop_token.h"

namespace haystack {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;

  // Waits `d`, or less if `stop` fires; true if it fired (at once if it already had).
  virtual bool WaitFor(absl::Duration d, const StopToken& stop) const = 0;
  // Waits `d`.
  void SleepFor(absl::Duration d) const { WaitFor(d, StopToken()); }
};

// Wall-clock time. Stateless; the returned reference is valid for the life of the program.
const Clock& SystemClock();

// A clock that only moves when told to, or when something waits on it: a wait advances it by
// the whole duration at once (unless the stop token has already fired), so a retry schedule
// runs to its end without sleeping and its waits can be read back from slept().
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'790'000'000)) : now_(start) {}
  absl::Time Now() const override;
  bool WaitFor(absl::Duration d, const StopToken& stop) const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

  // The total time waited through WaitFor/SleepFor, and how many waits there were.
  absl::Duration slept() const;
  int waits() const;

 private:
  mutable std::mutex mu_;
  mutable absl::Time now_;
  mutable absl::Duration slept_ = absl::ZeroDuration();
  mutable int waits_ = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_CORE_CLOCK_H_
