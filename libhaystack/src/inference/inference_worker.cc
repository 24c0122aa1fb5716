#include "haystack/inference/inference_worker.h"

#include <atomic>
#include <chrono>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "haystack/core/error.h"
#include "haystack/core/random.h"
#include "haystack/inference/v1/inference.grpc.pb.h"
#include "internal/worker_jobs.h"

namespace haystack {
namespace {

using inference_internal::IsTerminal;
using inference_internal::WorkerJobs;
namespace v1 = inference_internal::v1;

// How often an idle WatchJob handler checks whether its client went away.
constexpr absl::Duration kWatchPollInterval = absl::Milliseconds(100);

grpc::Status ToGrpc(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

std::string NewInstanceId() { return fmt::format("{:08x}", EntropyBits() & 0xFFFFFFFFull); }

class InferenceServiceImpl final : public v1::InferenceService::Service {
 public:
  InferenceServiceImpl(WorkerJobs& jobs, absl::Duration heartbeat, Logger logger)
      : jobs_(jobs), heartbeat_(heartbeat), logger_(std::move(logger)) {}

  grpc::Status SubmitJob(grpc::ServerContext*, const v1::SubmitJobRequest* request,
                         v1::SubmitJobResponse* response) override {
    auto outcome = jobs_.Submit(request->client_key(), request->spec());
    if (!outcome.ok()) {
      logger_.Info("SubmitJob refused", {{"client_key", request->client_key()},
                                         {"error", std::string(outcome.status().message())}});
      return ToGrpc(outcome.status());
    }
    *response->mutable_job() = std::move(outcome->job);
    response->set_created(outcome->created);
    return grpc::Status::OK;
  }

  grpc::Status GetJob(grpc::ServerContext*, const v1::GetJobRequest* request,
                      v1::Job* response) override {
    auto snapshot = jobs_.Get(request->job_id());
    if (!snapshot.ok()) return ToGrpc(snapshot.status());
    *response = std::move(snapshot->job);
    return grpc::Status::OK;
  }

  grpc::Status CancelJob(grpc::ServerContext*, const v1::CancelJobRequest* request,
                         v1::Job* response) override {
    auto job = jobs_.Cancel(request->job_id(), request->reason());
    if (!job.ok()) return ToGrpc(job.status());
    *response = *std::move(job);
    return grpc::Status::OK;
  }

  // Sends the snapshot, then one event per change, and a heartbeat when nothing was sent for
  // heartbeat_; ends after the terminal event, or when the client leaves.
  grpc::Status WatchJob(grpc::ServerContext* context, const v1::WatchJobRequest* request,
                        grpc::ServerWriter<v1::JobEvent>* writer) override {
    auto current = jobs_.Get(request->job_id());
    if (!current.ok()) return ToGrpc(current.status());
    inference_internal::JobSnapshot snapshot = *std::move(current);
    v1::JobEvent::Type type = v1::JobEvent::TYPE_SNAPSHOT;
    absl::Time last_write = absl::Now();
    while (true) {
      if (type != v1::JobEvent::TYPE_UNSPECIFIED) {
        v1::JobEvent event;
        event.set_type(type);
        event.set_sequence(snapshot.sequence);
        *event.mutable_job() = snapshot.job;
        if (!writer->Write(event)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
        last_write = absl::Now();
        if (IsTerminal(snapshot.job.state())) return grpc::Status::OK;
      }
      if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      auto next = jobs_.WaitForChange(request->job_id(), snapshot.sequence, kWatchPollInterval);
      if (!next.ok()) return ToGrpc(next.status());
      if (next->sequence != snapshot.sequence) {
        type = next->job.state() != snapshot.job.state() ? v1::JobEvent::TYPE_STATE_CHANGED
                                                         : v1::JobEvent::TYPE_PROGRESS;
        snapshot = *std::move(next);
      } else if (absl::Now() - last_write >= heartbeat_) {
        type = v1::JobEvent::TYPE_HEARTBEAT;
      } else {
        type = v1::JobEvent::TYPE_UNSPECIFIED;
      }
    }
  }

 private:
  WorkerJobs& jobs_;
  const absl::Duration heartbeat_;
  Logger logger_;
};

class GrpcInferenceWorker final : public InferenceWorker {
 public:
  GrpcInferenceWorker(JobRunner& runner, const InferenceWorkerOptions& options, Logger logger)
      : instance_id_(NewInstanceId()),
        jobs_(runner, options, logger, instance_id_),
        service_(jobs_, options.heartbeat_interval, logger),
        logger_(std::move(logger)) {}

  ~GrpcInferenceWorker() override { Shutdown(absl::Seconds(5)); }

  absl::Status Start(const InferenceWorkerOptions& options) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(options.listen_address, grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    builder.SetMaxReceiveMessageSize(static_cast<int>(options.max_message_bytes));
    // Clients keep idle streams alive with pings every ~30 s; allow them (the default
    // minimum interval of 5 minutes would answer with GOAWAY "too_many_pings").
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10'000);
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      return ConfigurationError(
          fmt::format("inference worker: cannot listen on {}", options.listen_address));
    }
    server_->GetHealthCheckService()->SetServingStatus(kInferenceServiceName, true);
    server_->GetHealthCheckService()->SetServingStatus("", true);
    logger_.Info(
        "inference worker serving",
        {{"port", port_}, {"instance", instance_id_}, {"address", options.listen_address}});
    return absl::OkStatus();
  }

  int port() const override { return port_; }
  const std::string& instance_id() const override { return instance_id_; }

  void Shutdown(absl::Duration grace) override {
    if (shut_down_.exchange(true)) return;
    if (server_) {
      server_->GetHealthCheckService()->SetServingStatus(false);
    }
    jobs_.Shutdown();
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
      server_->Wait();
    }
    logger_.Info("inference worker stopped", {{"instance", instance_id_}});
  }

 private:
  const std::string instance_id_;
  WorkerJobs jobs_;
  InferenceServiceImpl service_;
  Logger logger_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::atomic<bool> shut_down_{false};
};

}  // namespace

absl::StatusOr<std::unique_ptr<InferenceWorker>> InferenceWorker::Start(
    JobRunner& runner, const InferenceWorkerOptions& options, Logger logger) {
  auto worker = std::make_unique<GrpcInferenceWorker>(runner, options, std::move(logger));
  HAYSTACK_RETURN_IF_ERROR(worker->Start(options));
  return worker;
}

}  // namespace haystack
