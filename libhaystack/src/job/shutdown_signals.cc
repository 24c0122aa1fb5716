#include "haystack/job/shutdown_signals.h"

#include <pthread.h>
#include <signal.h>

namespace haystack {
namespace {

sigset_t ShutdownSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR2);  // private: wakes the thread for destruction
  return set;
}

}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigset_t set = ShutdownSignalSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    while (true) {
      int signal_number = 0;
      if (sigwait(&set, &signal_number) != 0) continue;
      if (signal_number == SIGUSR2) return;
      received_ = signal_number;
      source_.RequestStop(StopReason::kShutdown);
    }
  });
}

ShutdownSignals::~ShutdownSignals() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
  sigset_t set = ShutdownSignalSet();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace haystack
