// Acceptance tests of the inference contract with haystack-inference-worker as a separate
// process on loopback and real .h5ad artifacts: submit/watch/result, idempotent resubmit, a
// worker killed mid-job (restarted, or not), cancellation, the job deadline, and bad inputs.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "catch2/catch.hpp"
#include "fmt/format.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/inference/grpc_inference_backend.h"
#include "haystack/inference/icl_baseline.h"
#include "haystack/inference/local_icl_backend.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::BackgroundProcess;
using testing::TempDir;

// The worker process; `port` 0 lets the OS choose (then read from the port file).
class WorkerProcess {
 public:
  WorkerProcess(const TempDir& dir, int port = 0) {
    const std::string port_file = dir.File(fmt::format("port-{}", counter_++));
    process_ = std::make_unique<BackgroundProcess>(std::vector<std::string>{
        HAYSTACK_INFERENCE_WORKER, "--listen", fmt::format("127.0.0.1:{}", port), "--port-file",
        port_file, "--heartbeat-seconds", "0.2", "--threads", "2", "--log-format", "text"});
    for (int i = 0; i < 600 && !std::filesystem::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    INFO(process_->Stderr());
    REQUIRE(std::filesystem::exists(port_file));
    port_ = std::stoi(testing::ReadFile(port_file));
  }
  int port() const { return port_; }
  BackgroundProcess& process() { return *process_; }
  // How many jobs the worker started computing (its log has one line per start).
  int JobsRun() const {
    const std::string log = process_->Stderr();
    int n = 0;
    for (size_t at = log.find("job running"); at != std::string::npos;
         at = log.find("job running", at + 1)) {
      ++n;
    }
    return n;
  }

 private:
  static inline int counter_ = 0;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

std::vector<std::string> Genes(int n, const std::string& prefix = "GENE") {
  std::vector<std::string> genes;
  for (int i = 0; i < n; ++i) genes.push_back(fmt::format("{}{}", prefix, i));
  return genes;
}

DenseMatrix RandomExpression(int64_t rows, int64_t cols, uint64_t seed, float offset = 0.f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> value(0.f, 3.f);
  DenseMatrix m(rows, cols);
  for (float& v : m.values) v = (rng() % 10 < 4) ? value(rng) + offset : 0.f;
  return m;
}

std::string WriteCells(const TempDir& dir, const std::string& name, const DenseMatrix& x,
                       std::vector<std::string> genes) {
  AnnData data;
  data.x = x;
  for (int64_t i = 0; i < x.rows; ++i) data.obs.index.push_back(fmt::format("{}-{}", name, i));
  data.var.index = std::move(genes);
  const std::string path = dir.File(name + ".h5ad");
  const absl::Status written = WriteH5ad(data, path);
  INFO(written.message());
  REQUIRE(written.ok());
  return path;
}

struct Inputs {
  DenseMatrix prompt, control, query;
  std::string prompt_path, control_path, query_path;
};

Inputs WriteInputs(const TempDir& dir, int64_t query_cells = 300) {
  Inputs in;
  in.prompt = RandomExpression(80, 20, 1, 0.7f);
  in.control = RandomExpression(60, 20, 2);
  in.query = RandomExpression(query_cells, 20, 3);
  in.prompt_path = WriteCells(dir, "prompt", in.prompt, Genes(20));
  in.control_path = WriteCells(dir, "control", in.control, Genes(20));
  in.query_path = WriteCells(dir, "query", in.query, Genes(20));
  return in;
}

std::unique_ptr<GrpcInferenceBackend> Client(int port, GrpcInferenceOptions options = {}) {
  options.target = fmt::format("grpc://127.0.0.1:{}", port);
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(300);
  auto client = GrpcInferenceBackend::Create(options, Logger::Null());
  REQUIRE(client.ok());
  return *std::move(client);
}

InferenceRequest Request(const TempDir& dir, const Inputs& in, const std::string& run_id,
                         std::map<std::string, std::string> extra = {}) {
  InferenceRequest request;
  request.run_id = run_id;
  request.iteration = 1;
  request.query_uri = "file://" + in.query_path;
  request.prompt_uri = in.prompt_path;
  request.output_uri = dir.File(run_id + "-predictions.h5ad");
  request.parameters.seed = 3;
  request.parameters.extra = std::move(extra);
  return request;
}

DenseMatrix ReadX(const std::string& path) {
  auto data = ReadH5ad(path);
  INFO(data.status().message());
  REQUIRE(data.ok());
  REQUIRE(data->x.has_value());
  return std::get<DenseMatrix>(*data->x);
}

TEST_CASE("worker process: submit, watch and result with real .h5ad files", "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir);
  WorkerProcess worker(dir);
  auto client = Client(worker.port());

  SECTION("query as control: one job, predictions equal the in-process baseline") {
    InferenceRequest request = Request(dir, in, "run-a");
    std::atomic<int64_t> last_done{0};
    auto result = client->Run(request, StopToken(),
                              [&](const InferenceProgress& p) { last_done = p.cells_done; });
    INFO(result.status().message());
    REQUIRE(result.ok());
    CHECK(result->backend == "cpu-icl-baseline");
    CHECK(last_done == 300);
    const ExpressionMatrix p = in.prompt, q = in.query;
    auto expected = PredictIcl({.prompt = &p, .query = &q}, {.seed = 3}, StopToken());
    REQUIRE(expected.ok());
    CHECK(ReadX(request.output_uri) == *expected);

    // Python anndata reads the worker's output and sees it labelled as the baseline.
    const auto py = testing::RunProcess(
        {"/usr/bin/python3", "-c",
         "import sys, anndata; a = anndata.read_h5ad(sys.argv[1]); "
         "u = a.uns['haystack_inference']; "
         "print(a.shape[0], a.shape[1], u['backend'], bool(u['baseline']), a.obs_names[0])",
         request.output_uri});
    INFO(py.stderr_text);
    CHECK(py.stdout_text == "300 20 cpu-icl-baseline True query-0\n");
  }

  SECTION("synthetic control: two jobs; the control predictions are the query, clipped") {
    InferenceRequest request = Request(dir, in, "run-b");
    request.control_prompt_uri = in.control_path;
    request.control_output_uri = dir.File("run-b-control.h5ad");
    auto result = client->Run(request, StopToken(), {});
    INFO(result.status().message());
    REQUIRE(result.ok());
    const ExpressionMatrix p = in.prompt, r = in.control, q = in.query;
    auto treated =
        PredictIcl({.prompt = &p, .reference = &r, .query = &q}, {.seed = 3}, StopToken());
    REQUIRE(treated.ok());
    CHECK(ReadX(result->predictions_uri) == *treated);
    CHECK(ReadX(result->control_predictions_uri) == in.query);  // δ = 0, query ≥ 0
    CHECK(worker.JobsRun() == 2);

    SECTION("the in-process LocalIclBackend writes the same files") {
      LocalIclBackend local;
      InferenceRequest same = request;
      same.output_uri = dir.File("local-treated.h5ad");
      same.control_output_uri = dir.File("local-control.h5ad");
      auto local_result = local.Run(same, StopToken(), {});
      REQUIRE(local_result.ok());
      CHECK(ReadX(same.output_uri) == ReadX(request.output_uri));
      CHECK(ReadX(same.control_output_uri) == ReadX(request.control_output_uri));
    }
  }
}

TEST_CASE("worker process: a resubmitted key is the same job, computed once", "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir);
  WorkerProcess worker(dir);
  auto client = Client(worker.port());
  const InferenceRequest request = Request(dir, in, "run-idem", {{"max_cells_per_second", "600"}});
  absl::StatusOr<InferenceResult> first, second;
  std::thread other([&] { first = client->Run(request, StopToken(), {}); });
  second = client->Run(request, StopToken(), {});
  other.join();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  // A third attempt after the fact (a re-executed batch job) gets the finished job.
  auto third = Client(worker.port())->Run(request, StopToken(), {});
  REQUIRE(third.ok());
  CHECK(worker.JobsRun() == 1);
}

TEST_CASE("worker process: killed mid-job and restarted, the client completes", "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir, 3000);
  auto worker = std::make_unique<WorkerProcess>(dir);
  const int port = worker->port();
  GrpcInferenceOptions options;
  options.reconnect_timeout = absl::Seconds(30);
  auto client = Client(port, options);
  // Paced at 1500 cells/s: 2 s of work, so the kill lands mid-job.
  const InferenceRequest request = Request(dir, in, "run-kill", {{"max_cells_per_second", "1500"}});
  std::atomic<bool> started{false};
  absl::StatusOr<InferenceResult> result;
  std::thread run([&] {
    result = client->Run(request, StopToken(), [&](const InferenceProgress& p) {
      if (p.cells_done > 0) started = true;
    });
  });
  for (int i = 0; i < 600 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(started);
  worker->process().Signal(SIGKILL);
  const auto killed = worker->process().Wait();
  CHECK(killed.signaled);
  CHECK_FALSE(std::filesystem::exists(request.output_uri));  // never half-written

  WorkerProcess restarted(dir, port);
  run.join();
  INFO(result.status().message());
  REQUIRE(result.ok());
  CHECK(restarted.JobsRun() == 1);  // the key was resubmitted to the new instance
  const ExpressionMatrix p = in.prompt, q = in.query;
  auto expected = PredictIcl({.prompt = &p, .query = &q}, {.seed = 3}, StopToken());
  REQUIRE(expected.ok());
  CHECK(ReadX(request.output_uri) == *expected);
}

TEST_CASE("worker process: killed and not restarted, the client reports a clear error",
          "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir, 3000);
  WorkerProcess worker(dir);
  GrpcInferenceOptions options;
  options.reconnect_timeout = absl::Seconds(1);
  auto client = Client(worker.port(), options);
  std::atomic<bool> started{false};
  absl::StatusOr<InferenceResult> result;
  std::thread run([&] {
    result = client->Run(Request(dir, in, "run-lost", {{"max_cells_per_second", "1500"}}),
                         StopToken(), [&](const InferenceProgress& p) {
                           if (p.cells_done > 0) started = true;
                         });
  });
  for (int i = 0; i < 600 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  worker.process().Signal(SIGKILL);
  run.join();
  REQUIRE_FALSE(result.ok());
  CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
  CHECK(result.status().code() == absl::StatusCode::kUnavailable);
  INFO(result.status().message());
  CHECK(std::string(result.status().message()).find("unreachable") != std::string::npos);
}

TEST_CASE("worker process: cancellation stops the job on the worker", "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir, 20'000);
  WorkerProcess worker(dir);
  auto client = Client(worker.port());
  StopSource stop;
  std::chrono::steady_clock::time_point requested_at;
  // 20,000 cells at 1,000 cells/s: 20 s unless cancelled.
  const InferenceRequest request =
      Request(dir, in, "run-cancel", {{"max_cells_per_second", "1000"}});
  auto result = client->Run(request, stop.token(), [&](const InferenceProgress& p) {
    if (p.cells_done > 0 && !stop.token().stop_requested()) {
      requested_at = std::chrono::steady_clock::now();
      stop.RequestStop(StopReason::kCancelRequested);
    }
  });
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - requested_at).count();
  REQUIRE_FALSE(result.ok());
  CHECK(GetErrorKind(result.status()) == ErrorKind::kCancelled);
  INFO(result.status().message());
  // The client returns only once the worker confirmed CANCELLED.
  CHECK(std::string(result.status().message()).find("not confirmed") == std::string::npos);
  CHECK(worker.process().Stderr().find("job cancelled") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(request.output_uri));
  WARN(fmt::format("stop request → worker confirmed CANCELLED: {:.3f} s", seconds));
}

TEST_CASE("worker process: past the job timeout the error is DeadlineExceeded", "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir, 20'000);
  WorkerProcess worker(dir);
  GrpcInferenceOptions options;
  options.job_timeout = absl::Seconds(1);
  auto client = Client(worker.port(), options);
  auto result = client->Run(Request(dir, in, "run-slow", {{"max_cells_per_second", "1000"}}),
                            StopToken(), {});
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
  CHECK(IsTransient(result.status()));
}

TEST_CASE("worker process: bad inputs give clear errors and the worker keeps serving", "[worker]") {
  TempDir dir;
  const Inputs in = WriteInputs(dir);
  WorkerProcess worker(dir);
  auto client = Client(worker.port());
  auto expect = [&](InferenceRequest request, absl::StatusCode code, std::string_view needle) {
    auto result = client->Run(request, StopToken(), {});
    REQUIRE_FALSE(result.ok());
    INFO(result.status().message());
    CHECK(GetErrorKind(result.status()) == ErrorKind::kInference);
    CHECK(result.status().code() == code);
    CHECK(std::string(result.status().message()).find(needle) != std::string::npos);
  };
  InferenceRequest base = Request(dir, in, "run-bad");
  SECTION("gs:// URI (no GCS store in the worker yet)") {
    base.prompt_uri = "gs://bucket/prompt.h5ad";
    expect(base, absl::StatusCode::kInvalidArgument, "GCS");
  }
  SECTION("malformed file:// URI") {
    base.query_uri = "file://otherhost/data/q.h5ad";
    expect(base, absl::StatusCode::kInvalidArgument, "remote host");
  }
  SECTION("unknown artifact") {
    base.prompt_uri = dir.File("nope.h5ad");
    expect(base, absl::StatusCode::kFailedPrecondition, "does not exist");
  }
  SECTION("not an h5ad file") {
    testing::WriteFile(dir.File("garbage.h5ad"), "this is not HDF5");
    base.prompt_uri = dir.File("garbage.h5ad");
    expect(base, absl::StatusCode::kInvalidArgument, "cannot be read");
  }
  SECTION("mismatched gene lists") {
    base.prompt_uri = WriteCells(dir, "other_genes", in.prompt, Genes(20, "OTHER"));
    expect(base, absl::StatusCode::kInvalidArgument, "differ in var names");
  }
  SECTION("a requested gene the inputs lack") {
    base.genes = Genes(21);
    expect(base, absl::StatusCode::kInvalidArgument, "lack 1 of the 21 requested genes");
  }
  SECTION("empty prompt set") {
    base.prompt_uri = WriteCells(dir, "empty", DenseMatrix(0, 20), Genes(20));
    expect(base, absl::StatusCode::kInvalidArgument, "prompt cell set is empty");
  }
  SECTION("NaN in the query") {
    DenseMatrix nan_query = in.query;
    nan_query.at(7, 4) = std::nanf("");
    base.query_uri = WriteCells(dir, "nan_query", nan_query, Genes(20));
    expect(base, absl::StatusCode::kInvalidArgument, "row 7, column 4");
  }
  SECTION("an unknown backend option") {
    base.parameters.extra["temperature"] = "0.5";
    expect(base, absl::StatusCode::kInvalidArgument, "not an option of the CPU baseline");
  }
  // Whatever was wrong, the worker is still up and computes the next job.
  auto ok = client->Run(Request(dir, in, "run-after"), StopToken(), {});
  INFO(ok.status().message());
  CHECK(ok.ok());
}

TEST_CASE("worker process: SIGTERM stops it gracefully", "[worker]") {
  TempDir dir;
  WorkerProcess worker(dir);
  worker.process().Signal(SIGTERM);
  const auto exited = worker.process().Wait(std::chrono::milliseconds(30'000));
  CHECK_FALSE(exited.signaled);
  CHECK(exited.exit_code == 0);
  CHECK(exited.stderr_text.find("inference worker stopped") != std::string::npos);
}

}  // namespace
}  // namespace haystack
