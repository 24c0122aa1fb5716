// The worker's job table: idempotent submission by client key, a FIFO queue served by a fixed
// number of runner threads, cancellation, and change notification for WatchJob streams.
#ifndef HAYSTACK_SRC_INFERENCE_INTERNAL_WORKER_JOBS_H_
#define HAYSTACK_SRC_INFERENCE_INTERNAL_WORKER_JOBS_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/logging.h"
#include "haystack/core/stop_token.h"
#include "haystack/inference/inference_worker.h"
#include "haystack/inference/job_runner.h"
#include "internal/proto_convert.h"

namespace haystack::inference_internal {

// A job as it was at one moment; `sequence` counts its changes (state, progress).
struct JobSnapshot {
  v1::Job job;
  uint64_t sequence = 0;
};

struct SubmitOutcome {
  v1::Job job;
  bool created = false;
};

class WorkerJobs {
 public:
  WorkerJobs(JobRunner& runner, const InferenceWorkerOptions& options, Logger logger,
             std::string instance_id);
  ~WorkerJobs();  // Shutdown()
  WorkerJobs(const WorkerJobs&) = delete;
  WorkerJobs& operator=(const WorkerJobs&) = delete;

  // Validates and enqueues, or returns the live job with the same key. A key whose job
  // failed or was cancelled gets a new job (a retry); a key reused with a different spec is
  // ALREADY_EXISTS. Statuses carry the gRPC-facing code and message.
  absl::StatusOr<SubmitOutcome> Submit(const std::string& client_key, const v1::JobSpec& spec);
  absl::StatusOr<JobSnapshot> Get(const std::string& job_id) const;
  absl::StatusOr<v1::Job> Cancel(const std::string& job_id, const std::string& reason);

  // Waits up to `timeout` for the job's sequence to pass `seen_sequence`; returns the job as
  // it is then (changed or not). UNAVAILABLE once the table shuts down.
  absl::StatusOr<JobSnapshot> WaitForChange(const std::string& job_id, uint64_t seen_sequence,
                                            absl::Duration timeout) const;

  // Cancels every job and joins the runner threads. Idempotent.
  void Shutdown();

 private:
  struct Entry {
    v1::Job job;
    uint64_t sequence = 0;
    StopSource stop;
    std::string cancel_reason;  // set by Cancel/Shutdown while the job runs
  };

  void RunnerLoop();
  void RunJob(const std::string& job_id);
  // Under mu_: bumps the sequence and update time and wakes watchers.
  void Touch(Entry& entry);
  void EvictFinished();

  JobRunner& runner_;
  const InferenceWorkerOptions options_;
  Logger logger_;
  const std::string instance_id_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::condition_variable queue_cv_;
  std::map<std::string, std::unique_ptr<Entry>> jobs_;  // by job id
  std::map<std::string, std::string> by_key_;           // client key → job id
  std::deque<std::string> queue_;
  std::deque<std::string> finished_order_;  // for eviction, oldest first
  uint64_t next_job_number_ = 1;
  bool shutting_down_ = false;
  std::vector<std::thread> runners_;
};

}  // namespace haystack::inference_internal

#endif  // HAYSTACK_SRC_INFERENCE_INTERNAL_WORKER_JOBS_H_
