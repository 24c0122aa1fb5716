// Acceptance tests of the inference contract with haystack-inference-worker as a separate
// process on loopback and real .h5ad artifacts: submit/watch/result, idempotent resubmit, a
// worker killed mid-job (restarted, or not), cancellation, the job deadline, and bad inputs.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "catch2/catch.hpp"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/inference/grpc_inference_backend.h"
#include "haystack/inference/icl_baseline.h"
#include "haystack/inference/local_icl_backend.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "worker_fixtures.h"

namespace haystack {
namespace {

using testing::Client;
using testing::Genes;
using testing::Inputs;
using testing::ReadX;
using testing::TempDir;
using testing::WorkerProcess;
using testing::WriteCells;
using testing::WriteInputs;

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
  SECTION("unsupported URI scheme") {
    base.prompt_uri = "s3://bucket/prompt.h5ad";
    expect(base, absl::StatusCode::kInvalidArgument, "unsupported scheme");
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
