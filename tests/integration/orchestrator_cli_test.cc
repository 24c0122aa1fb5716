// haystack-orchestrator as a batch engine runs it: environment in, exit code and stderr out.
#include <catch2/catch.hpp>
#include <filesystem>

#include "haystack/job/exit_codes.h"
#include "haystack/store/open_run_store.h"
#include "support/model_fixtures.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::testing {
namespace {

struct Cli {
  TempDir dir;
  std::string database() const { return "sqlite://" + dir.File("runs.db"); }
  ProcessResult Run(std::vector<std::string> args,
                    std::map<std::string, std::optional<std::string>> env = {}) const {
    args.insert(args.begin(), HAYSTACK_ORCHESTRATOR);
    env.emplace("HAYSTACK_DATABASE_URL", database());
    env.emplace("HAYSTACK_LOG_FORMAT", "json");
    env.emplace("HAYSTACK_ARTIFACT_ROOT", dir.File("artifacts"));
    env.emplace("HAYSTACK_OUTBOX_DIR", dir.File("outbox"));
    env.emplace("HAYSTACK_SCRATCH_DIR", dir.path().string());
    for (const char* name : {"RUN_ID", "USER_EMAIL", "CONTROL_STRATEGY", "HAYSTACK_CONFIG"}) {
      env.emplace(name, std::nullopt);
    }
    return RunProcess(args, {.env = env});
  }
};

TEST_CASE("batch mode refuses a missing or unknown RUN_ID and a bad CONTROL_STRATEGY", "[cli]") {
  Cli cli;
  ProcessResult missing = cli.Run({});
  CHECK(missing.exit_code == kExitUsage);
  CHECK_THAT(missing.stderr_text, Catch::Contains("RUN_ID is not set"));

  ProcessResult unknown = cli.Run({}, {{"RUN_ID", "hay_20261124_0123456789ab"}});
  CHECK(unknown.exit_code == kExitUsage);
  CHECK_THAT(unknown.stderr_text,
             Catch::Contains("no run with run_id 'hay_20261124_0123456789ab'"));

  ProcessResult strategy =
      cli.Run({}, {{"RUN_ID", "hay_20261124_0123456789ab"}, {"CONTROL_STRATEGY", "both"}});
  CHECK(strategy.exit_code == kExitUsage);
  CHECK_THAT(strategy.stderr_text,
             Catch::Contains("CONTROL_STRATEGY 'both' is not one of: synthetic_control, "
                             "query_as_control"));
  // Logs are one JSON object per line with Cloud Logging's field names.
  CHECK_THAT(strategy.stderr_text, Catch::Contains("\"severity\":\"ERROR\""));
}

TEST_CASE("run executes the demo query on the embedded defaults, and status and cancel read it",
          "[cli]") {
  Cli cli;
  ProcessResult run = cli.Run({"run", "--query", "How would CD14+ monocytes respond to IFN-gamma?",
                               "--email", "ada@example.org"});
  INFO(run.stderr_text);
  REQUIRE(run.exit_code == kExitSuccess);
  REQUIRE(run.stdout_text.rfind("created run hay_", 0) == 0);
  const std::string id = run.stdout_text.substr(12, run.stdout_text.find('\n') - 12);
  CHECK_THAT(run.stdout_text, Catch::Contains("completed"));

  ProcessResult status = cli.Run({"status", id});
  CHECK(status.exit_code == kExitSuccess);
  CHECK_THAT(status.stdout_text, Catch::Contains("status     completed"));
  CHECK_THAT(status.stdout_text, Catch::Contains("ended      converged"));
  CHECK_THAT(status.stdout_text,
             Catch::Contains(cli.dir.File("artifacts/runs/" + id + "/output.h5ad")));
  CHECK(std::filesystem::exists(cli.dir.File("outbox/" + id + ".run_completed.eml")));
  CHECK_THAT(status.stdout_text, Catch::Contains("email      run_completed: sent (attempts 1)"));

  ProcessResult json = cli.Run({"status", id, "--json"});
  CHECK_THAT(json.stdout_text, Catch::Contains("\"run_id\":\"" + id + "\""));

  // A finished run cannot be cancelled; an unknown one is a usage error.
  CHECK(cli.Run({"cancel", id}).exit_code == kExitRunFailed);
  CHECK(cli.Run({"cancel", "hay_20261124_0123456789ab"}).exit_code == kExitUsage);
  CHECK(cli.Run({"status", "../etc/passwd"}).exit_code == kExitUsage);
}

TEST_CASE(
    "a missing atlas or knowledge base is a configuration error that leaves the run as it "
    "was",
    "[cli]") {
  Cli cli;
  ProcessResult no_atlas =
      cli.Run({"run", "--query", "How would CD14+ monocytes respond to IFN-gamma?"},
              {{"HAYSTACK_ATLAS_PATH", cli.dir.File("nowhere.h5ad")}});
  CHECK(no_atlas.exit_code == kExitUsage);
  CHECK_THAT(no_atlas.stderr_text, Catch::Contains("atlas_path"));
  CHECK_THAT(no_atlas.stderr_text, Catch::Contains("nowhere.h5ad"));
  const std::string id = no_atlas.stdout_text.substr(12, no_atlas.stdout_text.find('\n') - 12);
  CHECK_THAT(cli.Run({"status", id}).stdout_text, Catch::Contains("status     pending"));

  ProcessResult no_kb =
      cli.Run({}, {{"RUN_ID", id}, {"HAYSTACK_KNOWLEDGE_BASE", cli.dir.File("kb.sqlite")}});
  CHECK(no_kb.exit_code == kExitUsage);
  CHECK_THAT(no_kb.stderr_text, Catch::Contains("knowledge_base"));
  CHECK_THAT(cli.Run({"status", id}).stdout_text, Catch::Contains("status     pending"));
}

TEST_CASE("status shows an email stuck in sending: who holds its claim, and until when", "[cli]") {
  Cli cli;
  const std::string id = "hay_20261124_5e4d1c0b2a39";
  {
    auto store = OpenRunStore(cli.database());
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateRun(SamplePendingRun(id)).ok());
    auto lease = (*store)->ClaimRun(id, "finisher", absl::Minutes(5));
    REQUIRE(lease.ok());
    TerminalUpdate completed;
    completed.status = RunStatus::kCompleted;
    completed.reason = TerminationReason::kConverged;
    completed.notification = NotificationKind::kRunCompleted;
    completed.notification_recipient = "ada@example.org";
    REQUIRE((*store)->FinishRun(*lease, completed).ok());
    // An execution that claimed the email and died before recording what became of it.
    auto claimed = (*store)->ClaimNotification(id, NotificationKind::kRunCompleted, "dead-job",
                                               absl::Hours(1));
    REQUIRE(claimed.ok());
    REQUIRE(claimed->has_value());
  }
  ProcessResult status = cli.Run({"status", id});
  INFO(status.stderr_text);
  CHECK(status.exit_code == kExitSuccess);
  // Before: the ledger was not shown; a stuck email was invisible.
  CHECK_THAT(status.stdout_text,
             Catch::Matches("(.|\n)*email      run_completed: sending \\(attempts 1\\), claimed by "
                            "dead-job req_[0-9a-f]{32} until 20[0-9-]+T[0-9:.]+Z\n(.|\n)*"));
}

TEST_CASE("bad command lines and bad settings exit 2, --version and --help exit 0", "[cli]") {
  Cli cli;
  CHECK(cli.Run({"--version"}).stdout_text.rfind("haystack-orchestrator ", 0) == 0);
  CHECK(cli.Run({"--help"}).exit_code == kExitSuccess);
  CHECK(cli.Run({"frobnicate"}).exit_code == kExitUsage);
  CHECK(cli.Run({"run"}).exit_code == kExitUsage);  // --query is required
  ProcessResult bad_query = cli.Run({"run", "--query", std::string("IFN\x01gamma")});
  CHECK(bad_query.exit_code == kExitUsage);
  CHECK_THAT(bad_query.stderr_text, Catch::Contains("--query"));
  ProcessResult bad_url = cli.Run({"status", "x"}, {{"HAYSTACK_DATABASE_URL", "mysql://db/x"}});
  CHECK(bad_url.exit_code == kExitUsage);
  CHECK_THAT(bad_url.stderr_text, Catch::Contains("unsupported database URL"));
}

}  // namespace
}  // namespace haystack::testing
