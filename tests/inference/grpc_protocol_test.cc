// The worker (InferenceWorker) and the client (GrpcInferenceBackend) over loopback gRPC, in
// one process, with a scripted runner: the protocol's semantics without model I/O. The same
// contract with the real worker process and real .h5ad files is in worker_process_test.cc.
#include <atomic>
#include <mutex>
#include <thread>

#include "catch2/catch.hpp"
#include "fmt/format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "haystack/core/error.h"
#include "haystack/inference/grpc_inference_backend.h"
#include "haystack/inference/inference_worker.h"
#include "haystack/inference/v1/inference.grpc.pb.h"
#include "scripted_runner.h"

namespace haystack {
namespace {

namespace v1 = ::haystack::inference::v1;

struct Fixture {
  testing::ScriptedRunner runner;
  std::unique_ptr<InferenceWorker> worker;
  std::unique_ptr<v1::InferenceService::Stub> stub;

  explicit Fixture(InferenceWorkerOptions options = {}) {
    options.heartbeat_interval = absl::Milliseconds(200);
    options.max_running_jobs = 2;
    auto started = InferenceWorker::Start(runner, options, Logger::Null());
    REQUIRE(started.ok());
    worker = *std::move(started);
    stub = v1::InferenceService::NewStub(
        grpc::CreateChannel(target(), grpc::InsecureChannelCredentials()));
  }
  std::string target() const { return fmt::format("127.0.0.1:{}", worker->port()); }

  std::unique_ptr<GrpcInferenceBackend> Client(GrpcInferenceOptions options = {}) const {
    options.target = "grpc://" + target();
    options.retry.initial_backoff = absl::Milliseconds(20);
    options.retry.max_backoff = absl::Milliseconds(200);
    auto client = GrpcInferenceBackend::Create(options, Logger::Null());
    REQUIRE(client.ok());
    return *std::move(client);
  }
};

InferenceRequest Request(std::string query, std::map<std::string, std::string> extra = {}) {
  InferenceRequest request;
  request.run_id = "hay_20261125_abc";
  request.iteration = 1;
  request.query_uri = std::move(query);
  request.prompt_uri = "/data/prompt.h5ad";
  request.output_uri = "/data/out.h5ad";
  request.parameters.seed = 5;
  request.parameters.extra = std::move(extra);
  return request;
}

v1::SubmitJobRequest RawSubmit(const std::string& key, const std::string& query) {
  v1::SubmitJobRequest request;
  request.set_client_key(key);
  request.mutable_spec()->set_prompt_uri("/p.h5ad");
  request.mutable_spec()->set_query_uri(query);
  request.mutable_spec()->set_output_uri("/o.h5ad");
  (*request.mutable_spec()->mutable_parameters()->mutable_extra())["step_ms"] = "20";
  return request;
}

TEST_CASE("submit, watch and result through the client", "[grpc]") {
  Fixture f;
  auto client = f.Client();
  std::mutex mu;
  std::vector<InferenceProgress> seen;
  auto result = client->Run(Request("/q1.h5ad"), StopToken(), [&](const InferenceProgress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
  });
  REQUIRE(result.ok());
  CHECK(result->predictions_uri == "/data/out.h5ad");
  CHECK(result->control_predictions_uri.empty());
  CHECK(result->backend == "scripted");
  CHECK(f.runner.runs("/q1.h5ad") == 1);
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.back().state == "succeeded");
  CHECK(seen.back().cells_done == 4);
  CHECK(seen.back().cells_total == 4);
}

TEST_CASE("synthetic control runs two jobs and names both outputs", "[grpc]") {
  Fixture f;
  auto client = f.Client();
  InferenceRequest request = Request("/q2.h5ad");
  request.control_prompt_uri = "/data/control_prompt.h5ad";
  request.control_output_uri = "/data/control_out.h5ad";
  auto result = client->Run(request, StopToken(), {});
  REQUIRE(result.ok());
  CHECK(result->predictions_uri == "/data/out.h5ad");
  CHECK(result->control_predictions_uri == "/data/control_out.h5ad");
  CHECK(f.runner.runs("/q2.h5ad") == 2);
}

TEST_CASE("the same client key is one job, computed once", "[grpc]") {
  Fixture f;
  auto client = f.Client();
  const auto request = Request("/q3.h5ad", {{"step_ms", "30"}});
  // Two orchestrator attempts at the same iteration, concurrently, then a third afterwards.
  absl::StatusOr<InferenceResult> a, b;
  std::thread other([&] { a = client->Run(request, StopToken(), {}); });
  b = client->Run(request, StopToken(), {});
  other.join();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  auto c = client->Run(request, StopToken(), {});
  REQUIRE(c.ok());
  CHECK(f.runner.runs("/q3.h5ad") == 1);

  SECTION("raw: created is true once, the job id is the same") {
    grpc::ClientContext ctx1, ctx2;
    v1::SubmitJobResponse first, second;
    REQUIRE(f.stub->SubmitJob(&ctx1, RawSubmit("key-raw", "/q4.h5ad"), &first).ok());
    REQUIRE(f.stub->SubmitJob(&ctx2, RawSubmit("key-raw", "/q4.h5ad"), &second).ok());
    CHECK(first.created());
    CHECK_FALSE(second.created());
    CHECK(first.job().job_id() == second.job().job_id());
    CHECK(first.job().worker_instance() == f.worker->instance_id());
  }
  SECTION("raw: a key reused with another spec is ALREADY_EXISTS") {
    grpc::ClientContext ctx1, ctx2;
    v1::SubmitJobResponse response;
    REQUIRE(f.stub->SubmitJob(&ctx1, RawSubmit("key-two", "/q5.h5ad"), &response).ok());
    const grpc::Status status =
        f.stub->SubmitJob(&ctx2, RawSubmit("key-two", "/other.h5ad"), &response);
    CHECK(status.error_code() == grpc::StatusCode::ALREADY_EXISTS);
    CHECK(status.error_message().find("different spec") != std::string::npos);
  }
}

TEST_CASE("WatchJob streams a snapshot, changes and heartbeats, then ends", "[grpc]") {
  Fixture f;
  grpc::ClientContext submit_ctx;
  v1::SubmitJobRequest submit = RawSubmit("key-watch", "/q6.h5ad");
  (*submit.mutable_spec()->mutable_parameters()->mutable_extra())["step_ms"] = "300";
  (*submit.mutable_spec()->mutable_parameters()->mutable_extra())["steps"] = "2";
  v1::SubmitJobResponse submitted;
  REQUIRE(f.stub->SubmitJob(&submit_ctx, submit, &submitted).ok());

  grpc::ClientContext ctx;
  v1::WatchJobRequest watch;
  watch.set_job_id(submitted.job().job_id());
  auto reader = f.stub->WatchJob(&ctx, watch);
  std::vector<v1::JobEvent> events;
  v1::JobEvent event;
  while (reader->Read(&event)) events.push_back(event);
  REQUIRE(reader->Finish().ok());
  REQUIRE(events.size() >= 3);
  CHECK(events.front().type() == v1::JobEvent::TYPE_SNAPSHOT);
  CHECK(events.back().job().state() == v1::JOB_STATE_SUCCEEDED);
  CHECK(events.back().job().result().output_uri() == "/o.h5ad");
  bool heartbeat = false, progress = false;
  uint64_t last_sequence = 0;
  for (const auto& e : events) {
    heartbeat |= e.type() == v1::JobEvent::TYPE_HEARTBEAT;
    progress |= e.type() == v1::JobEvent::TYPE_PROGRESS;
    CHECK(e.sequence() >= last_sequence);  // never goes back
    last_sequence = e.sequence();
  }
  CHECK(heartbeat);  // 300 ms steps, 200 ms heartbeat interval
  CHECK(progress);

  SECTION("an unknown job is NOT_FOUND") {
    grpc::ClientContext get_ctx;
    v1::GetJobRequest get;
    get.set_job_id("job-nope-1");
    v1::Job job;
    CHECK(f.stub->GetJob(&get_ctx, get, &job).error_code() == grpc::StatusCode::NOT_FOUND);
  }
}

TEST_CASE("a stop request cancels the job on the worker", "[grpc]") {
  Fixture f;
  auto client = f.Client();
  StopSource stop;
  std::atomic<bool> requested{false};
  // 1000 steps of 50 ms: 50 s unless cancelled.
  auto result = client->Run(Request("/q7.h5ad", {{"steps", "1000"}, {"step_ms", "50"}}),
                            stop.token(), [&](const InferenceProgress& p) {
                              if (p.cells_done >= 2 && !requested.exchange(true)) {
                                stop.RequestStop(StopReason::kCancelRequested);
                              }
                            });
  REQUIRE_FALSE(result.ok());
  CHECK(GetErrorKind(result.status()) == ErrorKind::kCancelled);
  INFO(result.status().message());
  CHECK(std::string(result.status().message()).find("not confirmed") == std::string::npos);
  CHECK(f.runner.cancelled_runs() == 1);
}

TEST_CASE("past the job timeout the error is a transient InferenceError", "[grpc]") {
  Fixture f;
  GrpcInferenceOptions options;
  options.job_timeout = absl::Milliseconds(400);
  auto client = f.Client(options);
  auto result =
      client->Run(Request("/q8.h5ad", {{"steps", "100"}, {"step_ms", "50"}}), StopToken(), {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
  CHECK(IsTransient(result.status()));
  CHECK(std::string(result.status().message()).find("did not finish within") != std::string::npos);
}

TEST_CASE("worker failures become classified InferenceErrors with the worker's detail", "[grpc]") {
  Fixture f;
  auto client = f.Client();
  SECTION("invalid input is permanent") {
    auto result = client->Run(Request("/q9.h5ad", {{"fail", "invalid"}}), StopToken(), {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
    CHECK_FALSE(IsTransient(result.status()));
    CHECK(std::string(result.status().message()).find("NaN at row 3") != std::string::npos);
  }
  SECTION("unavailable is transient") {
    auto result = client->Run(Request("/q10.h5ad", {{"fail", "unavailable"}}), StopToken(), {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kUnavailable);
    CHECK(IsTransient(result.status()));
  }
  SECTION("a malformed spec is refused at submission") {
    InferenceRequest request = Request("/q11.h5ad");
    request.prompt_uri = "bad://x";
    auto result = client->Run(request, StopToken(), {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(result.status().message()).find("refused") != std::string::npos);
    CHECK(f.runner.runs("/q11.h5ad") == 0);
  }
  SECTION("a missing input is a failed precondition") {
    InferenceRequest request = Request("/q12.h5ad");
    request.prompt_uri = "missing:/x.h5ad";
    auto result = client->Run(request, StopToken(), {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kFailedPrecondition);
  }
  SECTION("an incomplete request never reaches the worker") {
    InferenceRequest request = Request("/q13.h5ad");
    request.control_prompt_uri = "/data/control.h5ad";  // without control_output_uri
    auto result = client->Run(request, StopToken(), {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("one failing job of two cancels the other") {
    InferenceRequest request = Request("/q14.h5ad", {{"fail", "internal"}, {"steps", "1"}});
    request.control_prompt_uri = "/data/control.h5ad";
    request.control_output_uri = "/data/control_out.h5ad";
    // Both jobs fail; what matters is a clean, classified error and no hang.
    auto result = client->Run(request, StopToken(), {});
    REQUIRE_FALSE(result.ok());
    CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
    CHECK(std::string(result.status().message()).find("the model crashed") != std::string::npos);
  }
}

TEST_CASE("health checking reports the inference service SERVING", "[grpc]") {
  Fixture f;
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(f.target(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(kInferenceServiceName);
  grpc::health::v1::HealthCheckResponse response;
  REQUIRE(health->Check(&ctx, request, &response).ok());
  CHECK(response.status() == grpc::health::v1::HealthCheckResponse::SERVING);
  auto client = f.Client();
  CHECK(client->WaitUntilServing(StopToken()).ok());
}

TEST_CASE("an unreachable worker is a transient InferenceError", "[grpc]") {
  GrpcInferenceOptions options;
  options.target = "127.0.0.1:1";  // nothing listens on port 1
  options.ready_timeout = absl::Milliseconds(300);
  options.retry.initial_backoff = absl::Milliseconds(20);
  auto client = GrpcInferenceBackend::Create(options, Logger::Null());
  REQUIRE(client.ok());
  auto result = (*client)->Run(Request("/q15.h5ad"), StopToken(), {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kUnavailable);
  CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
  CHECK(std::string(result.status().message()).find("127.0.0.1:1") != std::string::npos);

  SECTION("invalid options are a configuration error") {
    GrpcInferenceOptions empty;
    auto bad = GrpcInferenceBackend::Create(empty, Logger::Null());
    REQUIRE_FALSE(bad.ok());
    CHECK(GetErrorKind(bad.status()) == ErrorKind::kConfiguration);
  }
}

TEST_CASE("waiting for a worker that is not there runs on the injected clock", "[grpc]") {
  // Five minutes of readiness waiting and backoff, without sleeping them.
  FakeClock clock;
  GrpcInferenceOptions options;
  options.target = "127.0.0.1:1";
  options.ready_timeout = absl::Minutes(5);
  options.retry.initial_backoff = absl::Milliseconds(200);
  options.retry.max_backoff = absl::Seconds(10);
  options.clock = &clock;
  auto client = GrpcInferenceBackend::Create(options, Logger::Null());
  REQUIRE(client.ok());
  const absl::Status serving = (*client)->WaitUntilServing(StopToken());
  CHECK(serving.code() == absl::StatusCode::kUnavailable);
  CHECK(GetErrorKind(serving) == ErrorKind::kInference);
  CHECK(clock.slept() <= absl::Minutes(5));
  CHECK(clock.slept() >= absl::Minutes(5) - absl::Seconds(10));
  // 200 ms doubling to 10 s, jittered into [d/2, d]: at least 30 waits, not a busy loop.
  CHECK(clock.waits() >= 30);
  CHECK(clock.waits() <= 70);
}

}  // namespace
}  // namespace haystack
