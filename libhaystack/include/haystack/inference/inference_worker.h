// The server side of haystack.inference.v1: a gRPC InferenceService that queues jobs, runs them
// with a JobRunner on a fixed number of slots, streams their events and cancels them, plus the
// standard grpc.health.v1 service. haystack-inference-worker serves it with the CPU baseline;
// it is also the template for the GPU worker's behaviour (docs/inference.md).
#ifndef HAYSTACK_INFERENCE_INFERENCE_WORKER_H_
#define HAYSTACK_INFERENCE_INFERENCE_WORKER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/logging.h"
#include "haystack/inference/job_runner.h"

namespace haystack {

// The service name registered with the health service.
inline constexpr char kInferenceServiceName[] = "haystack.inference.v1.InferenceService";

struct InferenceWorkerOptions {
  std::string listen_address = "127.0.0.1:0";  // port 0: the OS picks one (see port())
  int max_running_jobs = 1;                    // jobs computing at once; more wait QUEUED
  int max_queued_jobs = 64;                    // beyond this SubmitJob answers RESOURCE_EXHAUSTED
  int max_retained_jobs = 1000;  // finished jobs kept for GetJob/WatchJob/idempotent resubmit
  absl::Duration heartbeat_interval = absl::Seconds(5);  // WatchJob heartbeat when idle
  int64_t max_message_bytes = 16 << 20;  // receive limit (messages are small: URIs and ids)
};

class InferenceWorker {
 public:
  // Starts serving on options.listen_address. `runner` must outlive the worker.
  static absl::StatusOr<std::unique_ptr<InferenceWorker>> Start(
      JobRunner& runner, const InferenceWorkerOptions& options, Logger logger);
  virtual ~InferenceWorker() = default;

  virtual int port() const = 0;
  // Random per process start; reported in every Job so that clients can see a restart.
  virtual const std::string& instance_id() const = 0;

  // Marks the service NOT_SERVING, cancels running and queued jobs, ends open streams and
  // stops the server, waiting at most `grace` for in-flight calls. Idempotent.
  virtual void Shutdown(absl::Duration grace) = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_INFERENCE_WORKER_H_
