#include "haystack/inference/grpc_inference_backend.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "fmt/format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "haystack/inference/inference_worker.h"
#include "haystack/inference/v1/inference.grpc.pb.h"
#include "internal/parallel_jobs.h"
#include "internal/proto_convert.h"

namespace haystack {
namespace {

namespace v1 = inference_internal::v1;
using inference_internal::CategoryName;
using inference_internal::IsTerminal;
using inference_internal::JobStateName;

absl::Status JobError(absl::StatusCode code, std::string_view message) {
  return MakeError(ErrorKind::kInference, code, message);
}

std::chrono::system_clock::time_point ToChrono(absl::Time t) { return absl::ToChronoTime(t); }

bool Retryable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE || code == grpc::StatusCode::DEADLINE_EXCEEDED ||
         code == grpc::StatusCode::RESOURCE_EXHAUSTED;
}

// The status code a permanent RPC failure maps to (kind kInference).
absl::StatusCode PermanentCode(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::ALREADY_EXISTS:
      return absl::StatusCode::kInvalidArgument;
    case grpc::StatusCode::FAILED_PRECONDITION:
      return absl::StatusCode::kFailedPrecondition;
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::StatusCode::kUnimplemented;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::StatusCode CodeForCategory(v1::JobError::Category category) {
  switch (category) {
    case v1::JobError::INVALID_INPUT:
      return absl::StatusCode::kInvalidArgument;
    case v1::JobError::RESOURCE_EXHAUSTED:
      return absl::StatusCode::kResourceExhausted;
    case v1::JobError::UNAVAILABLE:
    case v1::JobError::CANCELLED:  // not by us: the worker shut down, a re-execution may work
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

std::string StripScheme(const std::string& target) {
  if (absl::StartsWith(target, "grpc://")) return target.substr(7);
  return target;
}

// Registers ctx->TryCancel() for the life of the object, so that a stop request interrupts a
// blocking call at once.
class CancelOnStop {
 public:
  CancelOnStop(const StopToken& stop, grpc::ClientContext* ctx)
      : callback_(stop.OnStop([ctx] { ctx->TryCancel(); })) {}

 private:
  StopCallback callback_;
};

// Cancels `ctx` when no event arrived for `silence` (a hung worker keeps TCP alive but stops
// sending heartbeats). Fed() records each event.
class SilenceWatchdog {
 public:
  SilenceWatchdog(grpc::ClientContext* ctx, absl::Duration silence)
      : ctx_(ctx), silence_(silence), last_(absl::Now()), thread_([this] { Loop(); }) {}
  ~SilenceWatchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Fed() {
    std::lock_guard lock(mu_);
    last_ = absl::Now();
  }
  bool fired() const {
    std::lock_guard lock(mu_);
    return fired_;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!done_) {
      const absl::Time due = last_ + silence_;
      if (absl::Now() >= due) {
        fired_ = true;
        ctx_->TryCancel();
        return;
      }
      cv_.wait_for(lock, absl::ToChronoNanoseconds(due - absl::Now()));
    }
  }

  grpc::ClientContext* ctx_;
  const absl::Duration silence_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  absl::Time last_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace

class GrpcInferenceBackend::Impl {
 public:
  Impl(const GrpcInferenceOptions& options, Logger logger)
      : options_(options), clock_(*options.clock), logger_(std::move(logger)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
    args.SetMaxSendMessageSize(static_cast<int>(options.max_message_bytes));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_time)));
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options.keepalive_timeout)));
    args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
    // gRPC's reconnect backoff grows to 120 s by default; a restarted worker should be found
    // within our own (shorter) backoff.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(options.retry.max_backoff)));
    // Retries are done here, with the idempotency key, not by gRPC's transparent retries.
    args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
    channel_ = grpc::CreateCustomChannel(StripScheme(options.target),
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = v1::InferenceService::NewStub(channel_);
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  absl::Duration ready_timeout() const { return options_.ready_timeout; }
  absl::Time Now() const { return clock_.Now(); }

  absl::Status WaitUntilServing(const StopToken& stop, absl::Time until) {
    RetryLoop retry(options_.retry, clock_, stop, until, NextSeed());
    std::string last = "no answer";
    while (true) {
      HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
      grpc::ClientContext ctx;
      ctx.set_deadline(CallDeadline(until, options_.call_timeout));
      CancelOnStop cancel(stop, &ctx);
      grpc::health::v1::HealthCheckRequest request;
      request.set_service(kInferenceServiceName);
      grpc::health::v1::HealthCheckResponse response;
      const grpc::Status status = health_->Check(&ctx, request, &response);
      if (status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return absl::OkStatus();
      }
      last = status.ok()
                 ? fmt::format(
                       "health status {}",
                       grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()))
                 : fmt::format("{} ({})", status.error_message(),
                               static_cast<int>(status.error_code()));
      if (!retry.WaitBeforeRetry()) {
        HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
        return JobError(
            absl::StatusCode::kUnavailable,
            fmt::format("inference worker {} is not serving: {}", options_.target, last));
      }
    }
  }

  absl::StatusOr<JobOutcome> RunJob(const PlannedJob& planned, const StopToken& stop,
                                    const InferenceProgressCallback& progress) {
    const absl::Time deadline = clock_.Now() + options_.job_timeout;
    const std::string what =
        fmt::format("inference job {} on {}", planned.client_key, options_.target);
    auto deadline_error = [&] {
      return JobError(absl::StatusCode::kDeadlineExceeded,
                      fmt::format("{} did not finish within {}; it was left running so that a "
                                  "re-execution re-attaches to it",
                                  what, absl::FormatDuration(options_.job_timeout)));
    };
    if (absl::Status serving =
            WaitUntilServing(stop, std::min(deadline, clock_.Now() + options_.ready_timeout));
        !serving.ok()) {
      // Waiting for the worker used up the job's own time: that is the job timing out.
      if (!stop.stop_requested() && clock_.Now() >= deadline) return deadline_error();
      return serving;
    }

    HAYSTACK_ASSIGN_OR_RETURN(std::string job_id, Submit(planned, stop, deadline, what));
    int resubmits = 0;
    absl::Time last_contact = clock_.Now();
    int failures = 0;  // since the last event: the backoff grows with them
    while (true) {
      WatchOutcome watch = Watch(job_id, planned.role, stop, deadline, progress);
      if (watch.any_event) {
        last_contact = clock_.Now();
        failures = 0;
      }
      if (watch.terminal) return Finish(*watch.terminal, stop, what);
      if (stop.stop_requested()) return CancelRemote(job_id, stop, what);
      if (clock_.Now() >= deadline) return deadline_error();
      const grpc::StatusCode code = watch.status.error_code();
      if (code == grpc::StatusCode::NOT_FOUND) {
        if (++resubmits > options_.max_resubmits) {
          return JobError(absl::StatusCode::kUnavailable,
                          fmt::format("{}: the worker lost the job {} times (restarts?); last: {}",
                                      what, resubmits, watch.status.error_message()));
        }
        logger_.Warning("inference worker lost the job; resubmitting",
                        {{"client_key", planned.client_key}, {"job_id", job_id}});
        HAYSTACK_ASSIGN_OR_RETURN(job_id, Submit(planned, stop, deadline, what));
        last_contact = clock_.Now();
        continue;
      }
      if (!Retryable(code) && !watch.silent && code != grpc::StatusCode::OK &&
          code != grpc::StatusCode::CANCELLED) {
        return JobError(PermanentCode(code),
                        fmt::format("{}: WatchJob failed: {}", what, watch.status.error_message()));
      }
      if (clock_.Now() - last_contact > options_.reconnect_timeout) {
        return JobError(absl::StatusCode::kUnavailable,
                        fmt::format("{}: worker unreachable for {}: {}", what,
                                    absl::FormatDuration(clock_.Now() - last_contact),
                                    watch.silent ? std::string("the stream went silent")
                                                 : watch.status.error_message()));
      }
      logger_.Info(
          "re-attaching to inference job",
          {{"job_id", job_id},
           {"reason", watch.silent ? std::string("silent stream") : watch.status.error_message()}});
      if (watch.any_event) continue;  // a stream that worked: re-attach at once
      const absl::Duration wait = std::min(Backoff(++failures), deadline - clock_.Now());
      if (clock_.WaitFor(wait, stop)) return CancelRemote(job_id, stop, what);
    }
  }

 private:
  struct WatchOutcome {
    std::optional<v1::Job> terminal;
    grpc::Status status;
    bool any_event = false;
    bool silent = false;
  };

  // The jittered wait after `failures` failed attempts (core/retry.h).
  absl::Duration Backoff(int failures) {
    std::lock_guard lock(jitter_mu_);
    return BackoffDelay(options_.retry, failures, jitter_.Uniform());
  }

  uint64_t NextSeed() {
    std::lock_guard lock(jitter_mu_);
    return jitter_.Next() | 1;
  }

  // A real-time deadline for one call: `timeout`, cut to what is left of `until` (on the clock).
  std::chrono::system_clock::time_point CallDeadline(absl::Time until,
                                                     absl::Duration timeout) const {
    const absl::Duration left = std::clamp(until - clock_.Now(), absl::ZeroDuration(), timeout);
    return ToChrono(absl::Now() + left);
  }

  absl::StatusOr<std::string> Submit(const PlannedJob& planned, const StopToken& stop,
                                     absl::Time deadline, const std::string& what) {
    v1::SubmitJobRequest request;
    request.set_client_key(planned.client_key);
    *request.mutable_spec() = inference_internal::ToProto(planned.spec);
    const absl::Time give_up = std::min(deadline, clock_.Now() + options_.reconnect_timeout);
    RetryLoop retry(options_.retry, clock_, stop, give_up, NextSeed());
    while (true) {
      HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
      grpc::ClientContext ctx;
      ctx.set_deadline(CallDeadline(deadline, options_.call_timeout));
      CancelOnStop cancel(stop, &ctx);
      v1::SubmitJobResponse response;
      const grpc::Status status = stub_->SubmitJob(&ctx, request, &response);
      if (status.ok()) {
        logger_.Info(response.created() ? "inference job submitted"
                                        : "inference job already known; re-attaching",
                     {{"client_key", planned.client_key}, {"job_id", response.job().job_id()}});
        return response.job().job_id();
      }
      HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
      if (!Retryable(status.error_code())) {
        return JobError(
            PermanentCode(status.error_code()),
            fmt::format("{}: the worker refused the job: {}", what, status.error_message()));
      }
      if (!retry.WaitBeforeRetry()) {
        HAYSTACK_RETURN_IF_ERROR(stop.CheckNotStopped());
        // Out of time: the job's own deadline, or the reconnect budget before it.
        const bool past_deadline = deadline <= give_up;
        return JobError(
            past_deadline ? absl::StatusCode::kDeadlineExceeded : absl::StatusCode::kUnavailable,
            fmt::format("{}: SubmitJob failed: {}", what, status.error_message()));
      }
    }
  }

  WatchOutcome Watch(const std::string& job_id, InferenceRole role, const StopToken& stop,
                     absl::Time deadline, const InferenceProgressCallback& progress) {
    WatchOutcome outcome;
    grpc::ClientContext ctx;
    ctx.set_deadline(CallDeadline(deadline, options_.stream_refresh));
    CancelOnStop cancel(stop, &ctx);
    v1::WatchJobRequest request;
    request.set_job_id(job_id);
    {
      SilenceWatchdog watchdog(&ctx, options_.silence_timeout);
      auto reader = stub_->WatchJob(&ctx, request);
      v1::JobEvent event;
      while (reader->Read(&event)) {
        watchdog.Fed();
        outcome.any_event = true;
        const v1::Job& job = event.job();
        if (progress && event.type() != v1::JobEvent::TYPE_HEARTBEAT) {
          progress(InferenceProgress{.role = role,
                                     .state = std::string(JobStateName(job.state())),
                                     .cells_done = job.progress().cells_done(),
                                     .cells_total = job.progress().cells_total()});
        }
        if (IsTerminal(job.state())) outcome.terminal = job;
      }
      outcome.status = reader->Finish();
      outcome.silent = watchdog.fired();
    }
    return outcome;
  }

  absl::StatusOr<JobOutcome> Finish(const v1::Job& job, const StopToken& stop,
                                    const std::string& what) {
    switch (job.state()) {
      case v1::JOB_STATE_SUCCEEDED:
        return JobOutcome{.output_uri = job.result().output_uri(),
                          .cells = job.result().cells(),
                          .genes = job.result().genes(),
                          .backend = job.result().backend(),
                          .model_version = job.result().model_version()};
      case v1::JOB_STATE_CANCELLED:
        if (stop.stop_requested()) return stop.CheckNotStopped();
        [[fallthrough]];
      default:
        return JobError(
            CodeForCategory(job.error().category()),
            fmt::format("{} ({}) {}: {}: {}", what, job.job_id(), JobStateName(job.state()),
                        CategoryName(job.error().category()), job.error().message()));
    }
  }

  // After a stop: asks the worker to cancel and waits (bounded) until it confirms.
  absl::Status CancelRemote(const std::string& job_id, const StopToken& stop,
                            const std::string& what) {
    const absl::Time until = clock_.Now() + options_.cancel_timeout;
    bool confirmed = false;
    while (clock_.Now() < until && !confirmed) {
      grpc::ClientContext ctx;
      ctx.set_deadline(CallDeadline(until, options_.cancel_timeout));
      v1::CancelJobRequest request;
      request.set_job_id(job_id);
      request.set_reason(std::string(stop.CheckNotStopped().message()));
      v1::Job job;
      const grpc::Status status = stub_->CancelJob(&ctx, request, &job);
      if (status.ok() && IsTerminal(job.state())) {
        confirmed = true;
      } else if (status.ok()) {
        // Running jobs stop at their next step; poll until the worker says so.
        grpc::ClientContext get_ctx;
        get_ctx.set_deadline(CallDeadline(until, options_.cancel_timeout));
        v1::GetJobRequest get;
        get.set_job_id(job_id);
        const grpc::Status got = stub_->GetJob(&get_ctx, get, &job);
        confirmed = got.ok() && IsTerminal(job.state());
        if (!confirmed) clock_.SleepFor(absl::Milliseconds(50));
      } else if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
        confirmed = true;  // nothing left to cancel
      } else {
        clock_.SleepFor(absl::Milliseconds(100));
      }
    }
    if (!confirmed) {
      logger_.Warning("inference worker did not confirm the cancellation",
                      {{"job_id", job_id}, {"what", what}});
    }
    return Annotate(stop.CheckNotStopped(),
                    fmt::format("{} cancelled{}", what, confirmed ? "" : " (not confirmed)"));
  }

  const GrpcInferenceOptions options_;
  const Clock& clock_;
  Logger logger_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::InferenceService::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
  std::mutex jitter_mu_;
  SeededRandom jitter_{EntropyBits()};
};

absl::StatusOr<std::unique_ptr<GrpcInferenceBackend>> GrpcInferenceBackend::Create(
    const GrpcInferenceOptions& options, Logger logger) {
  if (options.target.empty()) {
    return ConfigurationError("inference endpoint: the gRPC target is empty");
  }
  for (absl::Duration d :
       {options.call_timeout, options.job_timeout, options.ready_timeout, options.reconnect_timeout,
        options.silence_timeout, options.stream_refresh, options.cancel_timeout,
        options.retry.initial_backoff, options.retry.max_backoff}) {
    if (d <= absl::ZeroDuration()) {
      return ConfigurationError("inference endpoint: every timeout and backoff must be positive");
    }
  }
  if (options.clock == nullptr) return ConfigurationError("inference endpoint: no clock");
  if (options.max_message_bytes <= 0 || options.max_message_bytes > (1ll << 31) - 1) {
    return ConfigurationError("inference endpoint: max_message_bytes must be in (0, 2 GiB)");
  }
  return std::unique_ptr<GrpcInferenceBackend>(
      new GrpcInferenceBackend(std::make_unique<Impl>(options, std::move(logger))));
}

GrpcInferenceBackend::GrpcInferenceBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GrpcInferenceBackend::~GrpcInferenceBackend() = default;

absl::Status GrpcInferenceBackend::WaitUntilServing(const StopToken& stop) {
  return impl_->WaitUntilServing(stop, impl_->Now() + impl_->ready_timeout());
}

absl::StatusOr<InferenceResult> GrpcInferenceBackend::Run(
    const InferenceRequest& request, const StopToken& stop,
    const InferenceProgressCallback& progress) {
  HAYSTACK_ASSIGN_OR_RETURN(const std::vector<PlannedJob> jobs, PlanInferenceJobs(request));
  return inference_internal::RunJobsInParallel(
      jobs, stop, [&](const PlannedJob& job, const StopToken& job_stop) {
        return impl_->RunJob(job, job_stop, progress);
      });
}

}  // namespace haystack
