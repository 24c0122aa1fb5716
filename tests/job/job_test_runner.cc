// The lifecycle in a real process, for the SIGTERM test: RunJob with a scripted executor that
// checkpoints one iteration and then waits to be stopped (or, with "complete", finishes).
//   job_test_runner <database-url> <run-id> wait|complete
#include <iostream>
#include <string>

#include "haystack/core/ids.h"
#include "haystack/job/run_job.h"
#include "haystack/job/shutdown_signals.h"
#include "haystack/store/open_run_store.h"
#include "job/scripted_executor.h"

int main(int argc, char** argv) {
  haystack::ShutdownSignals signals;
  if (argc != 4) {
    std::cerr << "usage: job_test_runner <database-url> <run-id> wait|complete\n";
    return 2;
  }
  auto store = haystack::OpenRunStore(argv[1]);
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  using haystack::testing::Script;
  const bool wait = std::string(argv[3]) == "wait";
  haystack::testing::ScriptedExecutor executor(
      {.iterations = 3, .ending = wait ? Script::Ending::kWaitForStop : Script::Ending::kComplete});
  haystack::JobRequest request{.run_id = argv[2], .worker_id = haystack::NewWorkerId()};
  const haystack::JobResult result = haystack::RunJob(
      request, **store, executor, nullptr, signals.token(), haystack::Logger::Null(),
      {.lease = absl::Seconds(30),
       .heartbeat = absl::Seconds(1),
       .cancellation_poll = absl::Milliseconds(50)});
  std::cout << result.message << "\n";
  return result.exit_code;
}
