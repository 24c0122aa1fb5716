// Whom the run's email goes to: exactly one valid mailbox, USER_EMAIL first, the record's
// address when USER_EMAIL is not one, and nobody (said in the log) when neither is.
#include <catch2/catch.hpp>
#include <sstream>

#include "haystack/core/ids.h"
#include "haystack/job/run_job.h"
#include "job/recording_notifier.h"
#include "job/scripted_executor.h"
#include "store/store_fixture.h"
#include "support/model_fixtures.h"

namespace haystack::testing {
namespace {

struct Outcome {
  JobResult result;
  std::vector<RunNotification> sent;
  std::string log;
};

Outcome RunWith(std::optional<std::string> user_email, std::string record_email) {
  StoreFixture fixture(Backend::kSqlite);
  auto store = fixture.Open();
  Run run = SamplePendingRun(NewRunId(absl::Now()));
  run.user_email = std::move(record_email);
  REQUIRE(store->CreateRun(run).ok());
  ScriptedExecutor executor({.iterations = 1});
  RecordingNotifier notifier;
  std::ostringstream log;
  const Logger logger = Logger::Create({.format = LogFormat::kJson, .stream = &log});
  JobRequest request{
      .run_id = run.run_id, .user_email = std::move(user_email), .worker_id = NewWorkerId()};
  JobResult result = RunJob(request, *store, executor, &notifier, StopToken(), logger,
                            {.lease = absl::Seconds(30),
                             .heartbeat = absl::Milliseconds(100),
                             .cancellation_poll = absl::Milliseconds(20)});
  return {std::move(result), notifier.sent(), log.str()};
}

TEST_CASE("a USER_EMAIL that smuggles a second recipient is ignored for the record's address") {
  const Outcome o = RunWith("ada@example.org>,<evil@attacker.example", "grace@example.org");
  CHECK(o.result.exit_code == kExitSuccess);
  REQUIRE(o.sent.size() == 1);
  CHECK(o.sent[0].recipient == "grace@example.org");
  CHECK_THAT(o.log, Catch::Contains("USER_EMAIL is ignored"));
  CHECK_THAT(o.log, Catch::Contains("\"severity\":\"WARNING\""));
}

TEST_CASE("a USER_EMAIL with CR/LF or of 10 KB falls back to the record's address") {
  for (const std::string& bad :
       {std::string("ada@example.org\r\nBcc: evil@attacker.example"), std::string(10'000, 'a')}) {
    const Outcome o = RunWith(bad, "grace@example.org");
    REQUIRE(o.sent.size() == 1);
    CHECK(o.sent[0].recipient == "grace@example.org");
  }
}

TEST_CASE("a valid USER_EMAIL overrides the record's address") {
  const Outcome o = RunWith("ada@example.org", "grace@example.org");
  REQUIRE(o.sent.size() == 1);
  CHECK(o.sent[0].recipient == "ada@example.org");
  CHECK(o.log.find("ignored") == std::string::npos);
}

TEST_CASE("with no valid address the run is still recorded, and the log says no email goes out") {
  const Outcome o = RunWith(std::nullopt, "grace@example.org, evil@attacker.example");
  CHECK(o.result.exit_code == kExitSuccess);
  REQUIRE(o.result.run.has_value());
  CHECK(o.result.run->status == RunStatus::kCompleted);
  CHECK(o.sent.empty());
  CHECK_THAT(o.log, Catch::Contains("the run record's user_email is ignored"));
  CHECK_THAT(o.log, Catch::Contains("no valid email address for this run"));
}

}  // namespace
}  // namespace haystack::testing
