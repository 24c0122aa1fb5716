// SIGTERM to a real job process: exit 75 with the run intact, and a re-execution resumes.
#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "haystack/job/exit_codes.h"
#include "store/store_fixture.h"
#include "support/subprocess.h"

namespace haystack::testing {
namespace {

TEST_CASE("SIGTERM checkpoints and exits 75, the next execution resumes", "[job][process]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  StoreFixture fixture(backend);
  if (!fixture.available()) return;
  INFO("backend: " << BackendName(backend));
  auto store = fixture.Open();
  const std::string id = fixture.CreatePendingRun(*store);

  BackgroundProcess job({HAYSTACK_JOB_TEST_RUNNER, fixture.url(), id, "wait"});
  bool checkpointed = false;
  for (int i = 0; i < 1000 && !checkpointed; ++i) {
    auto run = store->GetRun(id);
    checkpointed = run.ok() && !run->iterations.empty();
    if (!checkpointed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(checkpointed);
  job.Signal(SIGTERM);
  const ProcessResult stopped = job.Wait(std::chrono::seconds(30));
  INFO(stopped.stdout_text << stopped.stderr_text);
  REQUIRE_FALSE(stopped.signaled);
  CHECK(stopped.exit_code == kExitTransient);
  auto run = store->GetRun(id);
  CHECK(run->status == RunStatus::kRunning);
  CHECK(run->iterations.size() == 1);
  CHECK_FALSE(run->lease_owner.has_value());

  const ProcessResult resumed =
      RunProcess({HAYSTACK_JOB_TEST_RUNNER, fixture.url(), id, "complete"});
  INFO(resumed.stdout_text << resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  run = store->GetRun(id);
  CHECK(run->status == RunStatus::kCompleted);
  CHECK(run->attempt == 2);
  REQUIRE(run->iterations.size() == 3);
  CHECK(run->iterations[0].iteration_number == 1);  // from the first attempt, kept
}

}  // namespace
}  // namespace haystack::testing
