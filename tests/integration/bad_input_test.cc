// Bad input end to end: malformed run records and bad environments, each executed by the real
// haystack-orchestrator (agent, atlas, knowledge base, SQLite store) as a batch engine would.
// Every case must end in a clear, classified error with the right exit code, and the run record
// must stay consistent: what the API stored is kept, a failed run says why, and a run the job
// never started (configuration errors) is left untouched.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "haystack/core/ids.h"
#include "haystack/core/run.h"
#include "haystack/job/exit_codes.h"
#include "haystack/store/open_run_store.h"
#include "orchestration.h"
#include "support/small_filesystem.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::testing {
namespace {

struct Batch {
  TempDir dir;
  std::string db() const { return dir.File("runs.db"); }

  std::unique_ptr<RunStore> Store() const {
    auto store = OpenRunStore("sqlite://" + db());
    REQUIRE(store.ok());
    return std::move(*store);
  }

  std::string Create(const std::string& query = kDemoQuery) const {
    Run run;
    run.run_id = NewRunId(absl::Now());
    run.user_email = "ada@example.org";
    run.raw_query = query;
    REQUIRE(Store()->CreateRun(run).ok());
    return run.run_id;
  }

  // Changes the stored record behind the store's back, as a faulty API or a person with a SQL
  // shell would.
  void Corrupt(const std::string& run_id, const std::string& set_clause) const {
    sqlite3* handle = nullptr;
    REQUIRE(sqlite3_open(db().c_str(), &handle) == SQLITE_OK);
    const std::string sql = "UPDATE runs SET " + set_clause + " WHERE run_id = '" + run_id + "'";
    char* error = nullptr;
    const int rc = sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    sqlite3_close(handle);
    REQUIRE(rc == SQLITE_OK);
  }

  ProcessResult Execute(const std::string& run_id,
                        std::map<std::string, std::optional<std::string>> env = {}) const {
    env.emplace("RUN_ID", run_id);
    env.emplace("HAYSTACK_DATABASE_URL", "sqlite://" + db());
    env.emplace("HAYSTACK_ARTIFACT_ROOT", dir.File("artifacts"));
    env.emplace("HAYSTACK_OUTBOX_DIR", dir.File("outbox"));
    env.emplace("HAYSTACK_SCRATCH_DIR", dir.path().string());
    env.emplace("HAYSTACK_LOG_FORMAT", "json");
    for (const char* name : {"USER_EMAIL", "CONTROL_STRATEGY", "HAYSTACK_CONFIG"}) {
      env.emplace(name, std::nullopt);
    }
    return RunProcess({OrchestratorBinary()}, {.env = env});
  }

  Run Get(const std::string& run_id) const {
    auto run = Store()->GetRun(run_id);
    REQUIRE(run.ok());
    return *run;
  }

  bool Emailed(const std::string& run_id, const std::string& kind) const {
    return std::filesystem::exists(dir.File("outbox/" + run_id + "." + kind + ".eml"));
  }
};

struct BadRecord {
  std::string name;
  std::string set_clause;  // SQL applied to the stored record ("" for none)
  std::string query;       // raw_query at creation
  std::string error_type;
  std::string mentions;  // in the recorded message
};

TEST_CASE("malformed run records fail with a classified error, exit 1, record consistent",
          "[bad-input]") {
  const BadRecord bad = GENERATE(
      BadRecord{"config not JSON", "config = '{\"max_iterations\": '", kDemoQuery,
                "ConfigurationError", "runs.config"},
      BadRecord{"config a JSON array", "config = '[1, 2]'", kDemoQuery, "ConfigurationError",
                "runs.config"},
      BadRecord{"max_iterations 0", "config = '{\"max_iterations\": 0}'", kDemoQuery,
                "ConfigurationError", "max_iterations"},
      BadRecord{"max_iterations 11", "config = '{\"max_iterations\": 11}'", kDemoQuery,
                "ConfigurationError", "max_iterations"},
      BadRecord{"score_threshold a string", "config = '{\"score_threshold\": \"high\"}'",
                kDemoQuery, "ConfigurationError", "score_threshold"},
      BadRecord{"plateau_window negative", "config = '{\"plateau_window\": -2}'", kDemoQuery,
                "ConfigurationError", "plateau_window"},
      BadRecord{"max_prompt_cells 0", "config = '{\"max_prompt_cells\": 0}'", kDemoQuery,
                "ConfigurationError", "max_prompt_cells"},
      BadRecord{"unknown DE test", "config = '{\"de_config\": {\"test_method\": \"anova\"}}'",
                kDemoQuery, "ConfigurationError", "test_method"},
      BadRecord{"p threshold above 1", "config = '{\"de_config\": {\"pval_threshold\": 2}}'",
                kDemoQuery, "ConfigurationError", "pval_threshold"},
      BadRecord{"control names not a list", "config = '{\"control_condition_names\": \"PBS\"}'",
                kDemoQuery, "ConfigurationError", "control_condition_names"},
      BadRecord{"config control strategy unknown",
                "config = '{\"control_strategy\": \"telepathy\"}'", kDemoQuery,
                "ConfigurationError", "control_strategy"},
      BadRecord{"unknown control strategy column", "control_strategy = 'telepathy'", kDemoQuery,
                "ConfigurationError", "control_strategy"},
      BadRecord{"structured_query not JSON", "structured_query = '{oops'", kDemoQuery,
                "ConfigurationError", "structured_query"},
      BadRecord{"iterations of the wrong shape", "iterations = '[{\"iteration_number\": \"one\"}]'",
                kDemoQuery, "ConfigurationError", "iterations"},
      BadRecord{"unknown current_phase", "current_phase = 'nap'", kDemoQuery, "ConfigurationError",
                "current_phase"},
      BadRecord{"empty query", "raw_query = ''", kDemoQuery, "QueryParsingError", "raw_query"},
      BadRecord{"blank query", "raw_query = '  \t '", kDemoQuery, "QueryParsingError", "raw_query"},
      BadRecord{"1 MB query", "raw_query = printf('%.1000000c', 'a')", kDemoQuery,
                "QueryParsingError", "raw_query"},
      BadRecord{"NUL in the query", "raw_query = CAST(X'49464E0067616D6D61' AS TEXT)", kDemoQuery,
                "QueryParsingError", "raw_query"},
      BadRecord{"invalid UTF-8", "raw_query = CAST(X'49464EFFFE' AS TEXT)", kDemoQuery,
                "QueryParsingError", "raw_query"},
      BadRecord{"control characters", "raw_query = 'IFN' || char(27) || '[31m gamma'", kDemoQuery,
                "QueryParsingError", "raw_query"},
      BadRecord{"no entity at all", "", "What is the meaning of life, really?", "QueryParsingError",
                "names no cell type"},
      BadRecord{"SQL in the query", "", "'; DROP TABLE runs; -- how do cells respond?",
                "EntityResolutionError", "could not resolve"},
      BadRecord{"unknown perturbation", "", "How would CD14+ monocytes respond to aspirin?",
                "EntityResolutionError", "aspirin"},
      BadRecord{"unknown cell type", "", "How would hepatocytes respond to IFN-gamma?",
                "EntityResolutionError", "no cell type"},
      // The analyzer refuses it, listing the atlas's cell types (monocytes, a parent, would
      // select the atlas's CD14- and CD16-positive monocytes and run).
      BadRecord{"cell type the atlas lacks", "", "How would macrophages respond to IFN-gamma?",
                "EntityResolutionError", "CD14-positive monocyte (CL:0001054)"});
  INFO(bad.name);
  Batch batch;
  const std::string id = batch.Create(bad.query);
  if (!bad.set_clause.empty()) batch.Corrupt(id, bad.set_clause);
  const Run before = batch.Get(id);

  const ProcessResult result = batch.Execute(id);
  INFO(result.stderr_text);
  CHECK(result.exit_code == kExitRunFailed);
  const Run after = batch.Get(id);
  CHECK(after.status == RunStatus::kFailed);
  CHECK(after.termination_reason == TerminationReason::kError);
  CHECK(after.end_time.has_value());
  REQUIRE(after.error.has_value());
  CHECK(after.error->error_type == bad.error_type);
  CHECK_THAT(after.error->message, Catch::Contains(bad.mentions));
  // Nothing the API stored was rewritten or lost; nothing was made up.
  CHECK(after.raw_query == before.raw_query);
  CHECK(after.config_json == before.config_json);
  CHECK(after.iterations.empty());
  CHECK(!after.output_anndata_path.has_value());
  CHECK(batch.Emailed(id, "run_failed"));
  // A re-execution changes nothing.
  CHECK(batch.Execute(id).exit_code == kExitRunFailed);
  CHECK(batch.Get(id) == after);
}

TEST_CASE("a hostile query that names real entities runs, and stays inert in every output",
          "[bad-input]") {
  Batch batch;
  const std::string query =
      "<script>alert('x')</script> How would CD14+ monocytes respond to IFN-gamma? "
      "| `rm -rf /` **bold** [link](javascript:alert(1))";
  const std::string id = batch.Create(query);
  const ProcessResult result =
      batch.Execute(id, {{"HAYSTACK_APP_URL", "https://haystack.example.org"}});
  INFO(result.stderr_text);
  REQUIRE(result.exit_code == kExitSuccess);
  const Run run = batch.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.raw_query == query);
  std::ifstream html(batch.dir.File("artifacts/runs/" + id + "/report.html"));
  const std::string page((std::istreambuf_iterator<char>(html)), {});
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("&lt;script&gt;") != std::string::npos);
  std::ifstream email(batch.dir.File("outbox/" + id + ".run_completed.eml"));
  const std::string eml((std::istreambuf_iterator<char>(email)), {});
  CHECK(eml.find("<script>") == std::string::npos);
}

TEST_CASE("records whose history the job did not write are refused, not resumed", "[bad-input]") {
  Batch batch;
  const std::string id = batch.Create();
  // A valid iteration record numbered 2 with no iteration 1: copied from a real run.
  const std::string donor = batch.Create();
  REQUIRE(batch.Execute(donor).exit_code == kExitSuccess);
  batch.Corrupt(id,
                "iterations = (SELECT replace(iterations, '\"iteration_number\":1', "
                "'\"iteration_number\":2') FROM runs WHERE run_id = '" +
                    donor + "'), status = 'running'");
  const ProcessResult result = batch.Execute(id);
  INFO(result.stderr_text);
  CHECK(result.exit_code == kExitRunFailed);
  const Run run = batch.Get(id);
  REQUIRE(run.error.has_value());
  CHECK(run.error->error_type == "DatabaseError");
  CHECK_THAT(run.error->message, Catch::Contains("not numbered 1..1"));
  CHECK(run.iterations.size() == 1);  // kept as found
}

struct BadEnvironment {
  std::string name;
  std::map<std::string, std::optional<std::string>> env;
  int exit_code;
  std::string mentions;  // in stderr
};

TEST_CASE("bad environments are invocation or configuration errors that leave the run untouched",
          "[bad-input]") {
  // Files the environments point at, shared by every generated case (GENERATE_COPY evaluates
  // its list once, so they must outlive the first case's directory).
  static const TempDir files;
  const std::string not_h5ad = files.File("not-an-atlas.h5ad");
  std::ofstream(not_h5ad) << "this is not HDF5";
  const std::string bad_mapping = files.File("mapping.json");
  std::ofstream(bad_mapping) << R"({"cell_type_ontology_term_id": "celltype", "colour": "x"})";
  const std::string no_atlas = files.File("none.h5ad");
  const std::string no_kb = files.File("none.sqlite");
  const BadEnvironment bad = GENERATE_COPY(
      BadEnvironment{"no RUN_ID", {{"RUN_ID", std::nullopt}}, kExitUsage, "RUN_ID is not set"},
      BadEnvironment{"RUN_ID with a newline", {{"RUN_ID", "hay_1\nhay_2"}}, kExitUsage, "RUN_ID"},
      BadEnvironment{"unknown RUN_ID",
                     {{"RUN_ID", "hay_20261124_0123456789ab"}},
                     kExitUsage,
                     "no run with run_id"},
      BadEnvironment{"CONTROL_STRATEGY both",
                     {{"CONTROL_STRATEGY", "both"}},
                     kExitUsage,
                     "CONTROL_STRATEGY 'both'"},
      BadEnvironment{"atlas missing", {{"HAYSTACK_ATLAS_PATH", no_atlas}}, kExitUsage, "none.h5ad"},
      BadEnvironment{
          "atlas not HDF5", {{"HAYSTACK_ATLAS_PATH", not_h5ad}}, kExitUsage, "not-an-atlas.h5ad"},
      BadEnvironment{"column mapping with an unknown key",
                     {{"HAYSTACK_ATLAS_COLUMN_MAPPING", bad_mapping}},
                     kExitUsage,
                     "colour"},
      BadEnvironment{"knowledge base missing",
                     {{"HAYSTACK_KNOWLEDGE_BASE", no_kb}},
                     kExitUsage,
                     "none.sqlite"},
      BadEnvironment{"knowledge base not SQLite",
                     {{"HAYSTACK_KNOWLEDGE_BASE", not_h5ad}},
                     kExitUsage,
                     "knowledge_base"},
      BadEnvironment{"inference endpoint scheme",
                     {{"HAYSTACK_INFERENCE_ENDPOINT", "ftp://x"}},
                     kExitUsage,
                     "inference_endpoint"},
      BadEnvironment{"scoring threads negative",
                     {{"HAYSTACK_SCORING_THREADS", "-1"}},
                     kExitUsage,
                     "scoring_threads"},
      BadEnvironment{"pacing not a number",
                     {{"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "fast"}},
                     kExitUsage,
                     "inference_max_cells_per_second"},
      BadEnvironment{"unknown LLM provider",
                     {{"HAYSTACK_LLM_PROVIDER", "oracle"}},
                     kExitUsage,
                     "llm_provider"},
      BadEnvironment{"unknown email backend",
                     {{"HAYSTACK_EMAIL_BACKEND", "pigeon"}},
                     kExitUsage,
                     "email_backend"},
      BadEnvironment{"SendGrid without a key",
                     {{"HAYSTACK_EMAIL_BACKEND", "sendgrid"},
                      {"HAYSTACK_SENDGRID_API_KEY", std::nullopt},
                      {"SENDGRID_API_KEY", std::nullopt}},
                     kExitUsage,
                     "SENDGRID_API_KEY"},
      BadEnvironment{
          "lease not a number", {{"HAYSTACK_LEASE_SECONDS", "soon"}}, kExitUsage, "lease_seconds"},
      BadEnvironment{"heartbeat longer than the lease",
                     {{"HAYSTACK_LEASE_SECONDS", "10"}, {"HAYSTACK_HEARTBEAT_SECONDS", "20"}},
                     kExitUsage,
                     "heartbeat_seconds"},
      BadEnvironment{"unsupported database",
                     {{"HAYSTACK_DATABASE_URL", "mysql://db/x"}},
                     kExitUsage,
                     "unsupported database URL"},
      BadEnvironment{"unknown pooling mode",
                     {{"HAYSTACK_DATABASE_POOLING", "statement"}},
                     kExitUsage,
                     "database_pooling is 'statement'"},
      // Before: each of the following was accepted, or exited 75 as if it were transient.
      BadEnvironment{"RUN_ID leaving the scratch root",
                     {{"RUN_ID", "y/../../../x"}},
                     kExitUsage,
                     "RUN_ID 'y/../../../x' has the byte 0x2f"},
      BadEnvironment{"cancellation poll starving the heartbeat",
                     {{"HAYSTACK_LEASE_SECONDS", "30"}, {"HAYSTACK_CANCEL_POLL_SECONDS", "10"}},
                     kExitUsage,
                     "cancel_poll_seconds"},
      BadEnvironment{"cancellation poll of 0 (a busy loop)",
                     {{"HAYSTACK_CANCEL_POLL_SECONDS", "0"}},
                     kExitUsage,
                     "cancel_poll_seconds"},
      BadEnvironment{
          "lease of 1e12 s", {{"HAYSTACK_LEASE_SECONDS", "1e12"}}, kExitUsage, "lease_seconds"},
      BadEnvironment{
          "lease of 1e300 s", {{"HAYSTACK_LEASE_SECONDS", "1e300"}}, kExitUsage, "lease_seconds"},
      BadEnvironment{"infinite heartbeat",
                     {{"HAYSTACK_HEARTBEAT_SECONDS", "inf"}},
                     kExitUsage,
                     "heartbeat_seconds"},
      BadEnvironment{
          "unknown log level", {{"HAYSTACK_LOG_LEVEL", "verbose"}}, kExitUsage, "log_level"},
      BadEnvironment{
          "unknown log format", {{"HAYSTACK_LOG_FORMAT", "yaml"}}, kExitUsage, "log_format"},
      BadEnvironment{"malformed PostgreSQL URL",
                     {{"HAYSTACK_DATABASE_URL", "postgresql://ada:pw@[::1/haystack"}},
                     kExitUsage,
                     "malformed"},
      BadEnvironment{
          "invalid sslmode",
          {{"HAYSTACK_DATABASE_URL", "postgresql://ada@127.0.0.1:1/haystack?sslmode=sometimes"}},
          kExitUsage,
          "sslmode"},
      BadEnvironment{"SQLite path that is a directory",
                     {{"HAYSTACK_DATABASE_URL", "sqlite://" + files.path().string()}},
                     kExitUsage,
                     "is a directory"});
  INFO(bad.name);
  Batch batch;
  const std::string id = batch.Create();
  const Run before = batch.Get(id);
  const ProcessResult result = batch.Execute(id, bad.env);
  INFO(result.stderr_text);
  CHECK(result.exit_code == bad.exit_code);
  CHECK_THAT(result.stderr_text, Catch::Contains(bad.mentions));
  CHECK(batch.Get(id) == before);  // never claimed, nothing written
  CHECK(!std::filesystem::exists(batch.dir.File("outbox")));
}

TEST_CASE("a run whose id would leave the scratch root exits 2 and touches no file",
          "[bad-input]") {
  Batch batch;
  // Stored behind the store's back (the store refuses such ids): as a faulty API would.
  const std::string id = "y/../../escaped";
  {
    sqlite3* handle = nullptr;
    REQUIRE(batch.Store()->SchemaVersion().ok());
    REQUIRE(sqlite3_open(batch.db().c_str(), &handle) == SQLITE_OK);
    const std::string sql =
        "INSERT INTO runs (run_id, user_email, raw_query, created_at, updated_at) VALUES ('" + id +
        "', 'ada@example.org', '" + kDemoQuery +
        "', '2026-12-01T00:00:00Z', '2026-12-01T00:00:00Z')";
    REQUIRE(sqlite3_exec(handle, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(handle);
  }
  const std::string scratch = batch.dir.File("scratch");
  std::filesystem::create_directories(scratch);
  const ProcessResult result = batch.Execute(id, {{"HAYSTACK_SCRATCH_DIR", scratch}});
  INFO(result.stderr_text);
  CHECK(result.exit_code == kExitUsage);  // before: claimed, cells written outside, exit 1
  CHECK_THAT(result.stderr_text, Catch::Contains("RUN_ID"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(batch.dir.path())) {
    INFO(entry.path().string());
    CHECK(entry.path().string().find("escaped") == std::string::npos);
  }
  CHECK(std::filesystem::is_empty(scratch));
  CHECK(batch.Get(id).status == RunStatus::kPending);  // never claimed
}

TEST_CASE("an SQLite database that cannot be written exits 2, not 75", "[bad-input]") {
  Batch batch;
  const std::string id = batch.Create();
  SmallFilesystem read_only(1 << 20, /*read_only=*/true);
  if (!read_only.available()) {
    WARN("skipping: " << read_only.why_unavailable());
    return;
  }
  const ProcessResult result = batch.Execute(
      id, {{"HAYSTACK_DATABASE_URL", "sqlite://" + (read_only.path() / "runs.db").string()}});
  INFO(result.stderr_text);
  CHECK(result.exit_code == kExitUsage);
  CHECK_THAT(result.stderr_text, Catch::Contains("not writable"));
}

TEST_CASE("secrets in the environment never reach the logs", "[bad-input]") {
  Batch batch;
  const std::string id = batch.Create();
  const ProcessResult result =
      batch.Execute(id, {{"HAYSTACK_EMAIL_BACKEND", "sendgrid"},
                         {"HAYSTACK_SENDGRID_API_KEY", "SG.very-secret-key-123"},
                         {"HAYSTACK_SENDGRID_ENDPOINT", "http://127.0.0.1:9"},
                         {"HAYSTACK_LLM_PROVIDER", "oracle"},
                         {"HAYSTACK_LLM_API_KEY", "sk-another-secret-456"}});
  CHECK(result.exit_code == kExitUsage);
  CHECK(result.stderr_text.find("very-secret-key-123") == std::string::npos);
  CHECK(result.stderr_text.find("another-secret-456") == std::string::npos);
}

}  // namespace
}  // namespace haystack::testing
