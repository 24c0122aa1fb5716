#include "orchestration.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "absl/time/clock.h"
#include "haystack/core/enums.h"
#include "haystack/core/ids.h"
#include "haystack/store/open_run_store.h"

namespace haystack::testing {

Orchestration::Orchestration(std::string database_url_in, std::string artifact_root_in)
    : database_url(std::move(database_url_in)), artifact_root(std::move(artifact_root_in)) {
  if (database_url.empty()) database_url = "sqlite://" + dir.File("runs.db");
  if (artifact_root.empty()) artifact_root = dir.File("artifacts");
  Reconnect();
}

void Orchestration::Reconnect() {
  auto store = OpenRunStore(database_url);
  INFO(store.status().message());
  REQUIRE(store.ok());
  store_ = std::move(*store);
}

std::string Orchestration::RunDir(const std::string& run_id) const {
  return artifact_root + "/runs/" + run_id;
}

std::string Orchestration::CreateRun(const std::string& config_json) {
  Run run;
  run.run_id = NewRunId(absl::Now());
  run.user_email = "ada@example.org";
  run.raw_query = kDemoQuery;
  run.config_json = config_json;
  absl::Status created = store_->CreateRun(run);
  INFO(created.message());
  REQUIRE(created.ok());
  return run.run_id;
}

Run Orchestration::Get(const std::string& run_id) {
  auto run = store_->GetRun(run_id);
  INFO(run.status().message());
  REQUIRE(run.ok());
  return *run;
}

Env Orchestration::EnvFor(const std::string& run_id, const Env& overrides) const {
  Env env = overrides;
  if (!run_id.empty()) env.emplace("RUN_ID", run_id);
  for (const auto& [name, value] : base_env) env.emplace(name, value);
  env.emplace("HAYSTACK_DATABASE_URL", database_url);
  env.emplace("HAYSTACK_ARTIFACT_ROOT", artifact_root);
  env.emplace("HAYSTACK_OUTBOX_DIR", outbox());
  env.emplace("HAYSTACK_SCRATCH_DIR", dir.path().string());
  env.emplace("HAYSTACK_LOG_FORMAT", "json");
  // Nothing from the test's own environment leaks into the orchestrator's settings.
  for (const char* name :
       {"RUN_ID", "USER_EMAIL", "CONTROL_STRATEGY", "HAYSTACK_CONFIG", "HAYSTACK_EMAIL_BACKEND",
        "HAYSTACK_INFERENCE_ENDPOINT", "HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND",
        "HAYSTACK_LEASE_SECONDS", "HAYSTACK_HEARTBEAT_SECONDS", "HAYSTACK_CANCEL_POLL_SECONDS",
        "HAYSTACK_DATABASE_RETRY_SECONDS", "HAYSTACK_DATABASE_CONNECT_TIMEOUT_SECONDS",
        "HAYSTACK_DATABASE_STATEMENT_TIMEOUT_SECONDS", "HAYSTACK_DATABASE_POOLING",
        "HAYSTACK_NOTIFICATION_CLAIM_SECONDS", "HAYSTACK_LLM_PROVIDER", "STORAGE_EMULATOR_HOST",
        "CLOUD_STORAGE_EMULATOR_ENDPOINT", "CLOUD_RUN_TASK_ATTEMPT"}) {
    env.emplace(name, std::nullopt);
  }
  return env;
}

std::vector<std::string> Orchestration::Command(std::vector<std::string> args) const {
  args.insert(args.begin(), OrchestratorBinary());
  return args;
}

ProcessResult Orchestration::Execute(const std::string& run_id, const Env& overrides) const {
  return RunProcess(
      Command(), {.env = EnvFor(run_id, overrides), .timeout = std::chrono::milliseconds(90'000)});
}

std::unique_ptr<BackgroundProcess> Orchestration::Start(const std::string& run_id,
                                                        const Env& overrides) const {
  return std::make_unique<BackgroundProcess>(Command(),
                                             ProcessOptions{.env = EnvFor(run_id, overrides)});
}

ProcessResult Orchestration::Cli(std::vector<std::string> args) const {
  return RunProcess(Command(std::move(args)), {.env = EnvFor("")});
}

bool Orchestration::WaitFor(const std::string& run_id, const std::function<bool(const Run&)>& done,
                            std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    auto run = store_->GetRun(run_id);
    if (run.ok() && done(*run)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

bool Orchestration::WaitForPhase(const std::string& run_id, RunPhase phase, int iteration,
                                 std::chrono::milliseconds timeout) {
  return WaitFor(
      run_id,
      [&](const Run& run) {
        return run.current_phase == phase && run.current_iteration == iteration;
      },
      timeout);
}

std::vector<std::string> Orchestration::OutboxFiles() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(outbox(), ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

int Position(RunPhase phase, int iteration) {
  switch (phase) {
    case RunPhase::kQueryAnalysis:
      return 0;
    case RunPhase::kOutputGeneration:
      return 1000;
    default:
      return 10 * iteration + static_cast<int>(phase);
  }
}

int Position(const Run& run) {
  if (IsTerminal(run.status)) return 2000;
  if (!run.current_phase) return -1;
  return Position(*run.current_phase, run.current_iteration);
}

std::string DescribePosition(const Run& run) {
  if (IsTerminal(run.status) || !run.current_phase) return std::string(EnumName(run.status));
  std::string where(EnumName(*run.current_phase));
  if (*run.current_phase != RunPhase::kQueryAnalysis &&
      *run.current_phase != RunPhase::kOutputGeneration) {
    where += " " + std::to_string(run.current_iteration);
  }
  return where;
}

bool NumberedOneToN(const Run& run) {
  for (size_t i = 0; i < run.iterations.size(); ++i) {
    if (run.iterations[i].iteration_number != static_cast<int>(i) + 1) return false;
  }
  return true;
}

ProcessResult ReadWithPython(const std::vector<std::string>& h5ad_paths,
                             const std::string& log_json_path, const std::string& run_id) {
  // The first path is the run's output.h5ad: cells, genes and the run's provenance in uns.
  static constexpr char kScript[] = R"(
import json, sys
import anndata
run_id, log_json, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
for i, path in enumerate(paths):
    data = anndata.read_h5ad(path)
    assert data.n_obs > 0 and data.n_vars > 0, (path, data.shape)
    if i == 0:
        assert data.uns['haystack']['run_id'] == run_id, data.uns['haystack']['run_id']
with open(log_json) as f:
    json.load(f)
print('read', len(paths), 'h5ad files')
)";
  std::vector<std::string> argv = {"/usr/bin/python3", "-c", kScript, run_id, log_json_path};
  argv.insert(argv.end(), h5ad_paths.begin(), h5ad_paths.end());
  return RunProcess(argv, {.timeout = std::chrono::milliseconds(60'000)});
}

int ClosedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  close(fd);
  return ntohs(address.sin_port);
}

std::string OrchestratorBinary() {
  const char* other = std::getenv("HAYSTACK_TEST_ORCHESTRATOR");
  return other != nullptr && *other != '\0' ? other : HAYSTACK_ORCHESTRATOR;
}

namespace {

std::string TestDatabaseUrl(const char* variable) {
  const char* url = std::getenv(variable);
  if (url != nullptr && *url != '\0') return url;
  const char* required = std::getenv("HAYSTACK_REQUIRE_POSTGRES");
  if (required != nullptr && std::string(required) == "1") {
    FAIL("HAYSTACK_REQUIRE_POSTGRES=1 but " << variable << " is not set");
  }
  WARN(variable << " is not set; skipping");
  return "";
}

}  // namespace

std::string PostgresUrl() { return TestDatabaseUrl("HAYSTACK_TEST_POSTGRES_URL"); }

std::string PgBouncerUrl() { return TestDatabaseUrl("HAYSTACK_TEST_PGBOUNCER_URL"); }

void WaitForLeaseExpiry(Orchestration& o, const std::string& run_id) {
  const Run run = o.Get(run_id);
  if (!run.lease_expires_at) return;
  while (absl::Now() < *run.lease_expires_at + absl::Milliseconds(100)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int CountEvents(Orchestration& o, const std::string& run_id, std::string_view kind) {
  auto events = o.store().ListEvents(run_id);
  REQUIRE(events.ok());
  return static_cast<int>(std::count_if(events->begin(), events->end(),
                                        [&](const RunEvent& e) { return e.kind == kind; }));
}

}  // namespace haystack::testing
