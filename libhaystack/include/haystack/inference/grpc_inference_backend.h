// The client of haystack.inference.v1: runs a request's jobs on a remote worker (the GPU
// worker with STACK, or haystack-inference-worker).
//
// Per job: wait until the worker's health service reports SERVING, SubmitJob with the
// request's idempotency key, then WatchJob until a terminal event. gRPC sets no deadline by
// default; here every unary call has `call_timeout` and the whole job `job_timeout`.
// - A dropped or silent stream (no event, not even a heartbeat, for `silence_timeout`) is
//   re-attached with WatchJob; UNAVAILABLE is retried with exponential backoff (`retry`, the
//   project's one RetryPolicy: jittered, initial_backoff … max_backoff) for up to
//   `reconnect_timeout` without any answer. Budgets and waits are on `clock`; the deadlines
//   handed to gRPC are real time.
// - A worker that forgot the job (NOT_FOUND: it restarted) gets the same key resubmitted, at
//   most `max_resubmits` times; the worker's idempotency makes this safe.
// - A stop request cancels the stream, sends CancelJob and waits up to `cancel_timeout` for
//   the worker to confirm; the result is then CancelledError (kind kCancelled).
// - Past `job_timeout` the result is an InferenceError with code kDeadlineExceeded
//   (transient); the job is left running so that a re-execution of the run re-attaches to it.
// - A failed job is an InferenceError carrying the worker's message; its code follows the
//   worker's category (invalid input → kInvalidArgument, resource exhausted →
//   kResourceExhausted, unavailable → kUnavailable, internal → kInternal).
#ifndef HAYSTACK_INFERENCE_GRPC_INFERENCE_BACKEND_H_
#define HAYSTACK_INFERENCE_GRPC_INFERENCE_BACKEND_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/core/logging.h"
#include "haystack/core/retry.h"
#include "haystack/inference/inference_backend.h"

namespace haystack {

struct GrpcInferenceOptions {
  // "host:port", "grpc://host:port" or any gRPC target ("dns:///host:port").
  std::string target;
  absl::Duration call_timeout = absl::Seconds(30);
  absl::Duration job_timeout = absl::Hours(2);
  absl::Duration ready_timeout = absl::Minutes(5);  // cold-starting GPU workers take minutes
  absl::Duration reconnect_timeout = absl::Minutes(2);
  absl::Duration silence_timeout = absl::Seconds(60);  // > the worker's heartbeat interval
  absl::Duration stream_refresh = absl::Minutes(10);   // each WatchJob stream's own deadline
  absl::Duration cancel_timeout = absl::Seconds(10);
  // Backoff between attempts (no attempt limit: the timeouts above bound the retries).
  RetryPolicy retry = {.max_attempts = 0,
                       .initial_backoff = absl::Milliseconds(200),
                       .max_backoff = absl::Seconds(10)};
  int max_resubmits = 3;
  // Receive limit. Messages hold URIs and ids only, so the 4 MiB default would do; set
  // explicitly so that a change in gRPC's default cannot surprise us.
  int64_t max_message_bytes = 16 << 20;
  // Keepalive pings on otherwise quiet connections find dead peers behind load balancers.
  absl::Duration keepalive_time = absl::Seconds(30);
  absl::Duration keepalive_timeout = absl::Seconds(10);
  const Clock* clock = &SystemClock();  // must outlive the backend
};

class GrpcInferenceBackend final : public InferenceBackend {
 public:
  // ConfigurationError for an empty target or non-positive timeouts. Connects lazily.
  static absl::StatusOr<std::unique_ptr<GrpcInferenceBackend>> Create(
      const GrpcInferenceOptions& options, Logger logger);
  ~GrpcInferenceBackend() override;

  absl::StatusOr<InferenceResult> Run(const InferenceRequest& request, const StopToken& stop,
                                      const InferenceProgressCallback& progress) override;

  // OK once grpc.health.v1 reports the inference service SERVING; InferenceError
  // (kUnavailable) after ready_timeout.
  absl::Status WaitUntilServing(const StopToken& stop);

  class Impl;

 private:
  explicit GrpcInferenceBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace haystack

#endif  // HAYSTACK_INFERENCE_GRPC_INFERENCE_BACKEND_H_
