// Time, behind an interface so that leases, timeouts and timings can be tested.
#ifndef HAYSTACK_CORE_CLOCK_H_
#define HAYSTACK_CORE_CLOCK_H_

#include <mutex>

#include "absl/time/time.h"

namespace haystack {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// Wall-clock time. Stateless; the returned reference is valid for the life of the program.
const Clock& SystemClock();

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'790'000'000)) : now_(start) {}
  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void Set(absl::Time t);

 private:
  mutable std::mutex mu_;
  absl::Time now_;
};

}  // namespace haystack

#endif  // HAYSTACK_CORE_CLOCK_H_
