// While a run executes: renews its lease (heartbeat) and watches for a cancellation request
// (the store's hint plus polling), turning either event into a stop of the executor.
#ifndef HAYSTACK_SRC_JOB_RUN_WATCHER_H_
#define HAYSTACK_SRC_JOB_RUN_WATCHER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "haystack/core/logging.h"
#include "haystack/core/stop_token.h"
#include "haystack/job/run_job.h"
#include "haystack/store/run_store.h"

namespace haystack::job_internal {

class RunWatcher {
 public:
  // Starts watching at once. `shutdown` (SIGTERM) is forwarded to token() as kShutdown.
  RunWatcher(RunStore& store, Lease lease, const StopToken& shutdown, const JobTiming& timing,
             const Logger& logger);
  ~RunWatcher();  // stops the thread
  RunWatcher(const RunWatcher&) = delete;
  RunWatcher& operator=(const RunWatcher&) = delete;

  // The executor's stop token: cancellation, shutdown or a lost lease.
  StopToken token() const { return stop_.token(); }
  // True if another execution took the lease over: this one must not write anything more.
  bool lease_lost() const { return lease_lost_.load(); }
  // True if the run database stayed unreachable past the store's retry budget: the executor
  // was stopped, since it could not checkpoint anything (and the lease cannot be renewed).
  bool database_lost() const { return database_lost_.load(); }

 private:
  void Loop();
  void LoseDatabase(const absl::Status& error);

  RunStore& store_;
  Lease lease_;
  JobTiming timing_;
  Logger logger_;
  StopToken shutdown_;
  StopSource stop_;
  StopCallback forward_shutdown_;
  StopSource quit_;  // ends Loop()
  std::atomic<bool> lease_lost_{false};
  std::atomic<bool> database_lost_{false};
  std::unique_ptr<CancellationListener> listener_;
  std::thread thread_;
};

}  // namespace haystack::job_internal

#endif  // HAYSTACK_SRC_JOB_RUN_WATCHER_H_
