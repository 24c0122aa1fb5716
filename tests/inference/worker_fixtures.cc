#include "worker_fixtures.h"

#include <chrono>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include "catch2/catch.hpp"
#include "fmt/format.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/logging.h"

namespace haystack::testing {

namespace {

// A /proc file without its trailing newline, or `fallback` once the process is gone.
std::string ReadFileOr(const std::filesystem::path& path, std::string fallback) {
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const std::runtime_error&) {
    return fallback;
  }
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// "running, threads: grpc_global_tim (futex_wait_queue), ..." or "exited".
std::string DescribeProcess(pid_t pid) {
  const std::filesystem::path proc = fmt::format("/proc/{}", pid);
  const std::string state = ReadFileOr(proc / "stat", "");
  if (state.empty()) return "exited";
  std::string threads;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(proc / "task", ec)) {
    threads +=
        fmt::format("{}{} ({})", threads.empty() ? "" : ", ", ReadFileOr(task.path() / "comm", "?"),
                    ReadFileOr(task.path() / "wchan", "?"));
  }
  return fmt::format("stat {}; threads: {}", state, threads);
}

}  // namespace

WorkerProcess::WorkerProcess(const TempDir& dir, int port, const ProcessOptions& options) {
  const std::string port_file = dir.File(fmt::format("port-{}", counter_++));
  process_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{
          HAYSTACK_INFERENCE_WORKER, "--listen", fmt::format("127.0.0.1:{}", port), "--port-file",
          port_file, "--heartbeat-seconds", "0.2", "--threads", "2", "--log-format", "text"},
      options);
  for (int i = 0; i < 600 && !std::filesystem::exists(port_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!std::filesystem::exists(port_file)) {
    // Once seen under ASan on a loaded machine, with an empty stderr: say whether the worker
    // still runs and where each of its threads waits, before the failure ends it.
    INFO(fmt::format("no port file after 30 s; the worker: {}", DescribeProcess(process_->pid())));
    INFO("its stderr: " << process_->Stderr());
    FAIL("the inference worker did not start serving");
  }
  port_ = std::stoi(ReadFile(port_file));
}

int WorkerProcess::JobsRun() const {
  const std::string log = process_->Stderr();
  int n = 0;
  for (size_t at = log.find("job running"); at != std::string::npos;
       at = log.find("job running", at + 1)) {
    ++n;
  }
  return n;
}

std::vector<std::string> Genes(int n, const std::string& prefix) {
  std::vector<std::string> genes;
  for (int i = 0; i < n; ++i) genes.push_back(fmt::format("{}{}", prefix, i));
  return genes;
}

DenseMatrix RandomExpression(int64_t rows, int64_t cols, uint64_t seed, float offset) {
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

DenseMatrix ReadX(const std::string& path) {
  auto data = ReadH5ad(path);
  INFO(data.status().message());
  REQUIRE(data.ok());
  REQUIRE(data->x.has_value());
  if (const auto* csr = std::get_if<CsrMatrix>(&*data->x)) return ToDense(*csr);
  return std::get<DenseMatrix>(*data->x);
}

Inputs WriteInputs(const TempDir& dir, int64_t query_cells) {
  Inputs in;
  in.prompt = RandomExpression(80, 20, 1, 0.7f);
  in.control = RandomExpression(60, 20, 2);
  in.query = RandomExpression(query_cells, 20, 3);
  in.prompt_path = WriteCells(dir, "prompt", in.prompt, Genes(20));
  in.control_path = WriteCells(dir, "control", in.control, Genes(20));
  in.query_path = WriteCells(dir, "query", in.query, Genes(20));
  return in;
}

std::unique_ptr<GrpcInferenceBackend> Client(int port, GrpcInferenceOptions options) {
  options.target = fmt::format("grpc://127.0.0.1:{}", port);
  options.retry.initial_backoff = absl::Milliseconds(50);
  options.retry.max_backoff = absl::Milliseconds(300);
  auto client = GrpcInferenceBackend::Create(options, Logger::Null());
  REQUIRE(client.ok());
  return *std::move(client);
}

}  // namespace haystack::testing
