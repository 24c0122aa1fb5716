// haystack-inference-worker: the reference implementation of haystack.inference.v1 with the CPU
// in-context baseline. It serves SubmitJob/WatchJob/GetJob/CancelJob and grpc.health.v1,
// reads and writes .h5ad artifacts by URI (local paths, file:// and gs://, with GCS access
// from the environment as the orchestrator's artifact store has it), and stops gracefully on
// SIGTERM/SIGINT (running jobs end CANCELLED). docs/inference.md describes the contract; a GPU
// worker implements the same proto with STACK.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/inference/icl_job_runner.h"
#include "haystack/inference/inference_worker.h"
#include "haystack/job/shutdown_signals.h"
#include "haystack/storage/gcs_artifact_access.h"

namespace {

// Writes the port to `path` atomically (temp + rename): a reader never sees half a number.
bool WritePortFile(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  return !ec;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that all of them leave SIGTERM to the signal thread.
  haystack::ShutdownSignals signals;

  CLI::App app{
      "HAYSTACK inference worker: serves haystack.inference.v1 over gRPC with the CPU "
      "in-context baseline (a documented baseline, not STACK).",
      "haystack-inference-worker"};
  haystack::InferenceWorkerOptions options;
  options.listen_address = "127.0.0.1:50051";
  haystack::IclOptions icl;
  std::string port_file;
  std::string scratch_dir;
  double heartbeat_seconds = 5;
  double grace_seconds = 10;
  std::string log_format = "auto";
  std::string log_level = "info";
  app.add_option("--listen", options.listen_address, "address to listen on (port 0: any)")
      ->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port to this file once serving");
  app.add_option("--scratch-dir", scratch_dir,
                 "local copies of gs:// artifacts while a job runs (default: TMPDIR or /tmp)");
  app.add_option("--threads", icl.threads, "threads per job (0: all cores)")->capture_default_str();
  app.add_option("--max-running-jobs", options.max_running_jobs, "jobs computing at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-queued-jobs", options.max_queued_jobs, "queued jobs before refusing")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--heartbeat-seconds", heartbeat_seconds, "WatchJob heartbeat when idle")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--grace-seconds", grace_seconds, "shutdown grace for in-flight calls")
      ->capture_default_str();
  app.add_option("--log-format", log_format, "auto, text or json")->capture_default_str();
  app.add_option("--log-level", log_level, "debug, info, notice, warning, error")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  haystack::LogOptions log_options;
  if (!haystack::ParseLogFormat(log_format, &log_options.format) ||
      !haystack::ParseLogSeverity(log_level, &log_options.min_severity)) {
    std::cerr << "haystack-inference-worker: invalid --log-format or --log-level\n";
    return 2;
  }
  const haystack::Logger logger = haystack::Logger::Create(log_options);
  options.heartbeat_interval = absl::Seconds(heartbeat_seconds);

  // gs:// artifacts: endpoint and credentials from the environment, as OpenArtifactStore reads
  // them (STORAGE_EMULATOR_HOST, GOOGLE_APPLICATION_CREDENTIALS, the metadata server).
  haystack::IclJobRunner runner(icl, std::make_shared<haystack::GcsArtifactAccess>(
                                         haystack::ProcessEnvironment(),
                                         logger.With({{"component", "artifacts"}}), scratch_dir));
  auto worker = haystack::InferenceWorker::Start(runner, options, logger);
  if (!worker.ok()) {
    std::cerr << "haystack-inference-worker: " << worker.status().message() << "\n";
    return 2;
  }
  if (!port_file.empty() && !WritePortFile(port_file, (*worker)->port())) {
    std::cerr << "haystack-inference-worker: cannot write --port-file " << port_file << "\n";
    (*worker)->Shutdown(absl::Seconds(1));
    return 2;
  }
  while (!signals.token().WaitFor(absl::Hours(1))) {
  }
  logger.Info("shutting down", {{"signal", signals.received()}});
  (*worker)->Shutdown(absl::Seconds(grace_seconds));
  return 0;
}
