// Turns SIGTERM/SIGINT into a StopReason::kShutdown request, on a dedicated thread (a signal
// handler may not take locks). Construct it in main() before any other thread starts, so that
// every thread inherits the blocked signal mask.
#ifndef HAYSTACK_JOB_SHUTDOWN_SIGNALS_H_
#define HAYSTACK_JOB_SHUTDOWN_SIGNALS_H_

#include <atomic>
#include <thread>

#include "haystack/core/stop_token.h"

namespace haystack {

class ShutdownSignals {
 public:
  ShutdownSignals();
  ~ShutdownSignals();  // stops the thread and restores the signal mask
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  StopToken token() const { return source_.token(); }
  // The signal that arrived, or 0.
  int received() const { return received_.load(); }

 private:
  StopSource source_;
  std::atomic<int> received_{0};
  std::thread thread_;
};

}  // namespace haystack

#endif  // HAYSTACK_JOB_SHUTDOWN_SIGNALS_H_
