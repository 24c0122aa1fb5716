// Hostile records and environments at the process boundary: the batch job and `status` never
// crash on nested JSON, and in JSON log mode every line on stderr is one JSON object with a
// severity, whatever the outcome (docs/operations.md "Limits", "Logs").
#include <catch2/catch.hpp>
#include <cstdlib>
#include <sstream>

#include "haystack/core/json.h"
#include "haystack/job/exit_codes.h"
#include "orchestration.h"

namespace haystack::testing {
namespace {

std::string Nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// Every line of `text` is a JSON object with a string severity; returns the messages.
std::vector<std::string> JsonLines(const std::string& text) {
  std::vector<std::string> messages;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    INFO("stderr line: " << line);
    auto doc = ParseJsonDocument(line, "log line");
    REQUIRE(doc.ok());
    REQUIRE(doc->IsObject());
    REQUIRE(doc->HasMember("severity"));
    REQUIRE((*doc)["severity"].IsString());
    if (doc->HasMember("message") && (*doc)["message"].IsString()) {
      messages.emplace_back((*doc)["message"].GetString());
    }
  }
  return messages;
}

TEST_CASE("a run whose config is nested 100,000 levels deep fails cleanly, and status shows it",
          "[hostile]") {
  Orchestration o;
  const std::string id = o.CreateRun(Nested(100'000));
  const ProcessResult executed = o.Execute(id);
  INFO(executed.stderr_text.substr(0, 2000));
  CHECK(executed.exit_code == kExitRunFailed);
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kFailed);
  REQUIRE(run.error.has_value());
  CHECK(run.error->error_type == "ConfigurationError");
  CHECK_THAT(run.error->message, Catch::Contains("config: JSON nested deeper than 64 levels"));
  // The user is told, once.
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_failed.eml"});

  const ProcessResult json = o.Cli({"status", id, "--json"});
  CHECK(json.exit_code == kExitSuccess);
  auto shown = ParseJsonDocument(json.stdout_text, "status --json");
  REQUIRE(shown.ok());
  CHECK((*shown)["config"].IsString());
  CHECK(o.Cli({"status", id}).exit_code == kExitSuccess);
}

TEST_CASE("in JSON mode every stderr line is one JSON object, whatever happens", "[hostile]") {
  Orchestration o;
  // A completed run, its summary included.
  const std::string id = o.CreateRun();
  const ProcessResult completed = o.Execute(id);
  CHECK(completed.exit_code == kExitSuccess);
  const auto messages = JsonLines(completed.stderr_text);
  CHECK_FALSE(messages.empty());

  // A usage error, a path that is not UTF-8, a multi-line message.
  const ProcessResult unknown = o.Execute("hay_20261124_0123456789ab");
  CHECK(unknown.exit_code == kExitUsage);
  CHECK_THAT(JsonLines(unknown.stderr_text).back(), Catch::Contains("no run with run_id"));

  const std::string other = o.CreateRun();
  const ProcessResult bad_path =
      o.Execute(other, {{"HAYSTACK_ATLAS_PATH", o.dir.File("caf\xE9\nnext line.h5ad")}});
  CHECK(bad_path.exit_code == kExitUsage);
  const auto bad_messages = JsonLines(bad_path.stderr_text);
  REQUIRE_FALSE(bad_messages.empty());
  CHECK_THAT(bad_messages.back(), Catch::Contains("next line.h5ad"));

  // A settings file that cannot be read: no settings, still JSON.
  const ProcessResult no_settings =
      o.Execute(other, {{"HAYSTACK_CONFIG", o.dir.File("missing.json")}});
  CHECK(no_settings.exit_code == kExitUsage);
  CHECK_THAT(JsonLines(no_settings.stderr_text).back(), Catch::Contains("missing.json"));

  // A log level that does not exist: the log's own settings are bad, still JSON.
  const ProcessResult bad_level = o.Execute(other, {{"HAYSTACK_LOG_LEVEL", "verbose"}});
  CHECK(bad_level.exit_code == kExitUsage);
  CHECK_THAT(JsonLines(bad_level.stderr_text).back(), Catch::Contains("log_level"));
}

TEST_CASE("PostgreSQL notices reach the log as JSON lines, not raw on stderr", "[hostile]") {
  const char* url = std::getenv("HAYSTACK_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    if (std::getenv("HAYSTACK_REQUIRE_POSTGRES") != nullptr) FAIL("PostgreSQL is required");
    WARN("PostgreSQL not configured (HAYSTACK_TEST_POSTGRES_URL); skipping");
    return;
  }
  Orchestration o(url);
  const std::string id = o.CreateRun();
  // The server then sends every DEBUG message to the client as a notice.
  const ProcessResult status = RunProcess(
      o.Command({"status", id}),
      {.env = o.EnvFor(
           "", {{"PGOPTIONS", "-c client_min_messages=debug5"}, {"HAYSTACK_LOG_LEVEL", "debug"}})});
  CHECK(status.exit_code == kExitSuccess);
  const auto messages = JsonLines(status.stderr_text);
  bool postgres_notice = false;
  for (const std::string& m : messages) {
    postgres_notice = postgres_notice || m.rfind("DEBUG", 0) == 0;
  }
  CHECK(postgres_notice);
}

}  // namespace
}  // namespace haystack::testing
