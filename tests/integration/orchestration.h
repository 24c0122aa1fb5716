// Drives haystack-orchestrator as separate processes against one run store that the test also
// reads: create a run, execute it in batch mode (RUN_ID=…), watch its phase, kill or signal it,
// and check what it left behind (run record, emails, artifacts).
#ifndef HAYSTACK_TESTS_INTEGRATION_ORCHESTRATION_H_
#define HAYSTACK_TESTS_INTEGRATION_ORCHESTRATION_H_

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "haystack/core/run.h"
#include "haystack/store/run_store.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::testing {

using Env = std::map<std::string, std::optional<std::string>>;

inline constexpr char kDemoQuery[] = "How would CD14+ monocytes respond to IFN-gamma?";
// The demo converges at iteration 1; this makes it run exactly 3 iterations.
inline constexpr char kThreeIterations[] = R"({"max_iterations": 3, "score_threshold": 10})";

class Orchestration {
 public:
  // An empty database URL: an SQLite file in the temp dir. An empty artifact root: a local dir.
  explicit Orchestration(std::string database_url = "", std::string artifact_root = "");

  TempDir dir;
  std::string database_url;
  std::string artifact_root;
  Env base_env;  // on top of the defaults, under each call's overrides

  std::string outbox() const { return dir.File("outbox"); }
  std::string RunDir(const std::string& run_id) const;  // local artifact root only

  // A pending run of the demo query, created directly in the store.
  std::string CreateRun(const std::string& config_json = "{}");
  Run Get(const std::string& run_id);
  RunStore& store() { return *store_; }
  void Reconnect();  // a new connection to the store

  // The orchestrator's environment for batch mode on `run_id` (empty: no RUN_ID).
  Env EnvFor(const std::string& run_id, const Env& overrides = {}) const;
  std::vector<std::string> Command(std::vector<std::string> args = {}) const;
  ProcessResult Execute(const std::string& run_id, const Env& overrides = {}) const;
  std::unique_ptr<BackgroundProcess> Start(const std::string& run_id,
                                           const Env& overrides = {}) const;
  ProcessResult Cli(std::vector<std::string> args) const;

  // Polls the run record every few milliseconds until `done` holds; false after `timeout`.
  bool WaitFor(const std::string& run_id, const std::function<bool(const Run&)>& done,
               std::chrono::milliseconds timeout);
  // WaitFor the run to be in `phase` of `iteration`.
  bool WaitForPhase(const std::string& run_id, RunPhase phase, int iteration,
                    std::chrono::milliseconds timeout);

  // File names in the outbox.
  std::vector<std::string> OutboxFiles() const;

 private:
  std::unique_ptr<RunStore> store_;
};

// Where a run is: -1 not started, 0 query analysis, 10*i + phase in iteration i, 1000 output
// generation, 2000 finished. Increases as the run proceeds.
int Position(const Run& run);
int Position(RunPhase phase, int iteration);
std::string DescribePosition(const Run& run);  // "inference 2", "completed", …

// Iteration numbers are 1..n exactly once, in order.
bool NumberedOneToN(const Run& run);

// Reads every path with Python's anndata (and log.json with json); returns the script's result.
ProcessResult ReadWithPython(const std::vector<std::string>& h5ad_paths,
                             const std::string& log_json_path, const std::string& run_id);

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
int ClosedLoopbackPort();

// The haystack-orchestrator under test: this build's, or HAYSTACK_TEST_ORCHESTRATOR (e.g. an
// older build, to show that a fault test fails there).
std::string OrchestratorBinary();

// The test PostgreSQL (HAYSTACK_TEST_POSTGRES_URL), or "" with a warning when it is not
// configured (a failure with HAYSTACK_REQUIRE_POSTGRES=1): the caller then skips.
std::string PostgresUrl();
// The same cluster behind PgBouncer in transaction pooling (HAYSTACK_TEST_PGBOUNCER_URL,
// scripts/lib/pgbouncer.sh), or "" likewise.
std::string PgBouncerUrl();

// Waits until the run's lease (if any) has expired, so that a re-execution may claim it.
void WaitForLeaseExpiry(Orchestration& o, const std::string& run_id);

// How many of the run's events are of `kind` (e.g. to find a write recorded twice).
int CountEvents(Orchestration& o, const std::string& run_id, std::string_view kind);

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_INTEGRATION_ORCHESTRATION_H_
