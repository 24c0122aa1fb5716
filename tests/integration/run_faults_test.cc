// Fault tests on the embedded defaults (SQLite, local artifacts, outbox), with the orchestrator
// as a separate process: kill -9 at each phase boundary and re-execute, cancel and SIGTERM during
// inference, an inference worker that is not there.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "absl/time/clock.h"
#include "haystack/core/enums.h"
#include "haystack/job/exit_codes.h"
#include "orchestration.h"

namespace haystack::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// The CPU baseline paced so that one inference lasts a few seconds (630 query cells): long
// enough to act on while it runs, short enough for CI.
constexpr char kPace[] = "250";

// Everything a completed demo run must have left: the record, one email, readable artifacts.
void CheckCompleted(Orchestration& o, const std::string& id, size_t iterations) {
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.iterations.size() == iterations);
  CHECK(NumberedOneToN(run));
  CHECK(run.grounding_scores.size() == iterations);
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_completed.eml"});
  auto notifications = o.store().ListNotifications(id);
  REQUIRE(notifications.ok());
  REQUIRE(notifications->size() == 1);
  CHECK(notifications->front().status == NotificationStatus::kSent);
  CHECK(notifications->front().attempts == 1);

  const fs::path dir = o.RunDir(id);
  for (const char* file : {"output.h5ad", "report.md", "report.html", "log.json"}) {
    INFO(file);
    CHECK(fs::is_regular_file(dir / file));
  }
  std::vector<std::string> h5ad = {(dir / "output.h5ad").string()};
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".h5ad" && name != "output.h5ad") {
      h5ad.push_back(entry.path().string());
    }
    // A write interrupted by kill -9 can leave its temp file; never a half-written artifact.
    if (name.find(".tmp-") != std::string::npos) {
      std::cout << "leftover temp file (not an artifact): " << entry.path().string() << "\n";
    }
  }
  ProcessResult python = ReadWithPython(h5ad, (dir / "log.json").string(), id);
  INFO(python.stdout_text << python.stderr_text);
  CHECK(python.exit_code == 0);
}

// kill -9 once the run reaches `phase` of `iteration` (or the first point after it the poll
// sees), re-execute while the lease is live (75), then after it expired (completes).
void KillAndResume(RunPhase phase, int iteration) {
  Orchestration o;
  const std::string id = o.CreateRun(kThreeIterations);
  Env killed_env = {{"HAYSTACK_LEASE_SECONDS", "6"}, {"HAYSTACK_HEARTBEAT_SECONDS", "1"}};
  // Only inference needs pacing to be caught; the other phases are caught by polling.
  if (phase == RunPhase::kInference) {
    killed_env.emplace("HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", kPace);
  }
  auto first = o.Start(id, killed_env);
  const int wanted = Position(phase, iteration);
  const bool reached = o.WaitFor(
      id, [&](const Run& run) { return Position(run) >= wanted; }, milliseconds(90'000));
  first->Signal(SIGKILL);
  ProcessResult killed = first->Wait();
  INFO(killed.stderr_text);
  REQUIRE(reached);

  const Run at_kill = o.Get(id);
  const std::string hit = DescribePosition(at_kill);
  std::cout << "kill -9: wanted " << EnumName(phase)
            << (iteration > 0 ? " " + std::to_string(iteration) : "") << ", hit " << hit << "\n";
  INFO("kill -9 hit " << hit);
  CHECK(NumberedOneToN(at_kill));

  if (!IsTerminal(at_kill.status)) {
    CHECK(killed.signaled);
    REQUIRE(at_kill.lease_expires_at.has_value());
    // The dead execution's lease is live: a re-execution must not work on the run.
    ProcessResult early = o.Execute(id);
    if (absl::Now() < *at_kill.lease_expires_at) {
      INFO(early.stderr_text);
      CHECK(early.exit_code == kExitTransient);
      const Run after_early = o.Get(id);
      CHECK(after_early.status == RunStatus::kRunning);
      CHECK(after_early.iterations == at_kill.iterations);
      CHECK(o.OutboxFiles().empty());
    } else {
      // Only on a machine too slow to start the process within the 6 s lease.
      std::cout << "the re-execution started after the lease expired; exit " << early.exit_code
                << "\n";
      WARN("the re-execution started after the lease expired; exit " << early.exit_code);
    }
    // Once the lease expired, a re-execution claims the run and finishes it.
    while (absl::Now() < *o.Get(id).lease_expires_at + absl::Milliseconds(100)) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  CheckCompleted(o, id, 3);
  // Iterations finished before the kill are exactly as they were.
  const Run final_run = o.Get(id);
  REQUIRE(final_run.iterations.size() >= at_kill.iterations.size());
  for (size_t i = 0; i < at_kill.iterations.size(); ++i) {
    CHECK(final_run.iterations[i] == at_kill.iterations[i]);
  }
  // The killed process could not remove its scratch directory; say so (informational).
  for (const auto& entry : fs::directory_iterator(o.dir.path())) {
    if (entry.path().filename().string().rfind("haystack-" + id, 0) == 0) {
      std::cout << "scratch left by an execution: " << entry.path().string() << "\n";
    }
  }
  // A further re-execution of the finished run changes nothing and sends nothing.
  ProcessResult again = o.Execute(id);
  CHECK(again.exit_code == kExitSuccess);
  CHECK(o.OutboxFiles().size() == 1);
  CHECK(o.Get(id).iterations == final_run.iterations);
}

TEST_CASE("kill -9 during query analysis, then re-execute: completes once", "[faults]") {
  KillAndResume(RunPhase::kQueryAnalysis, 0);
}

TEST_CASE("kill -9 during prompt generation of iteration 2, then re-execute: completes once",
          "[faults]") {
  KillAndResume(RunPhase::kPromptGeneration, 2);
}

TEST_CASE("kill -9 during inference of iteration 2, then re-execute: completes once", "[faults]") {
  KillAndResume(RunPhase::kInference, 2);
}

TEST_CASE("kill -9 during evaluation of iteration 2, then re-execute: completes once", "[faults]") {
  KillAndResume(RunPhase::kEvaluation, 2);
}

TEST_CASE("kill -9 during output generation, then re-execute: completes once", "[faults]") {
  KillAndResume(RunPhase::kOutputGeneration, 0);
}

TEST_CASE("cancel during inference: exit 0, cancelled within 2 s, one email, iteration removed",
          "[faults]") {
  Orchestration o;
  const std::string id = o.CreateRun();
  // SQLite has no notification hint: the job polls, here every half second.
  auto job = o.Start(id, {{"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", "100"},
                          {"HAYSTACK_CANCEL_POLL_SECONDS", "0.5"}});
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 1, milliseconds(60'000)));
  const fs::path iteration_dir = fs::path(o.RunDir(id)) / "iterations" / "1";
  CHECK(fs::exists(iteration_dir / "prompt.h5ad"));

  ProcessResult cancel = o.Cli({"cancel", id});
  const auto requested = std::chrono::steady_clock::now();
  INFO(cancel.stderr_text);
  REQUIRE(cancel.exit_code == kExitSuccess);
  ProcessResult done = job->Wait(milliseconds(30'000));
  const auto stopped = std::chrono::steady_clock::now();
  INFO(done.stderr_text);
  CHECK(done.exit_code == kExitSuccess);
  CHECK(stopped - requested < milliseconds(2'000));

  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCancelled);
  CHECK(run.termination_reason == TerminationReason::kCancelled);
  REQUIRE(run.cancel_requested_at.has_value());
  REQUIRE(run.end_time.has_value());
  CHECK(*run.end_time - *run.cancel_requested_at < absl::Seconds(2));
  CHECK(run.iterations.empty());
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_cancelled.eml"});
  CHECK_FALSE(fs::exists(iteration_dir));

  // Re-executing the cancelled run changes nothing and sends nothing.
  ProcessResult again = o.Execute(id);
  CHECK(again.exit_code == kExitSuccess);
  CHECK(o.OutboxFiles().size() == 1);
  CHECK(o.Get(id).status == RunStatus::kCancelled);
}

TEST_CASE("SIGTERM during inference: exit 75 with the lease released, then a re-execution resumes",
          "[faults]") {
  Orchestration o;
  const std::string id = o.CreateRun(kThreeIterations);
  auto job = o.Start(id, {{"HAYSTACK_INFERENCE_MAX_CELLS_PER_SECOND", kPace}});
  REQUIRE(o.WaitForPhase(id, RunPhase::kInference, 2, milliseconds(90'000)));
  job->Signal(SIGTERM);
  ProcessResult stopped = job->Wait(milliseconds(30'000));
  INFO(stopped.stderr_text);
  CHECK_FALSE(stopped.signaled);
  CHECK(stopped.exit_code == kExitTransient);

  const Run at_stop = o.Get(id);
  CHECK(at_stop.status == RunStatus::kRunning);
  CHECK((!at_stop.lease_owner || at_stop.lease_owner->empty()));
  REQUIRE(at_stop.iterations.size() == 1);
  CHECK(o.OutboxFiles().empty());

  // No waiting for a lease: the stopped job gave it back.
  ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  CHECK_THAT(resumed.stderr_text, Catch::Contains("resuming after the recorded iterations"));
  CheckCompleted(o, id, 3);
  CHECK(o.Get(id).iterations.front() == at_stop.iterations.front());
}

TEST_CASE("inference worker down: the run fails as an InferenceError with the failure email",
          "[faults]") {
  Orchestration o;
  const std::string id = o.CreateRun();
  const std::string endpoint = "grpc://127.0.0.1:" + std::to_string(ClosedLoopbackPort());
  ProcessResult result = o.Execute(id, {{"HAYSTACK_INFERENCE_ENDPOINT", endpoint},
                                        {"HAYSTACK_INFERENCE_READY_TIMEOUT_SECONDS", "1"}});
  INFO(result.stderr_text);
  // What the lifecycle does today (run_job.cc: any executor error is recorded as a failure):
  // classified, recorded, notified, exit 1.
  CHECK(result.exit_code == kExitRunFailed);
  CHECK_THAT(result.stderr_text, Catch::Contains("\"error_type\":\"InferenceError\""));
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kFailed);
  CHECK(run.termination_reason == TerminationReason::kError);
  REQUIRE(run.error.has_value());
  CHECK(run.error->error_type == "InferenceError");
  CHECK(run.error->phase == RunPhase::kInference);
  CHECK(run.error->iteration == 1);
  CHECK_THAT(run.error->message, Catch::Contains("127.0.0.1"));
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_failed.eml"});
}

}  // namespace
}  // namespace haystack::testing
