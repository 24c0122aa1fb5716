// The batch job lifecycle: one invocation takes one run to a true terminal state, or exits 75
// leaving it resumable (docs/operations.md "What a re-execution does").
#ifndef HAYSTACK_JOB_RUN_JOB_H_
#define HAYSTACK_JOB_RUN_JOB_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "haystack/core/logging.h"
#include "haystack/core/stop_token.h"
#include "haystack/job/exit_codes.h"
#include "haystack/job/run_executor.h"
#include "haystack/notify/notifier.h"
#include "haystack/store/run_store.h"

namespace haystack {

// The invocation: the environment contract of the batch entrypoint.
struct JobRequest {
  std::string run_id;                           // RUN_ID
  std::optional<std::string> user_email;        // USER_EMAIL (overrides the record's)
  std::optional<std::string> control_strategy;  // CONTROL_STRATEGY (overrides the config)
  std::string worker_id;                        // lease owner; unique per process
  std::string app_url;                          // for links in emails
};

struct JobTiming {
  absl::Duration lease = absl::Minutes(5);
  absl::Duration heartbeat = absl::Seconds(60);
  // Polling interval behind the store's cancellation hint.
  absl::Duration cancellation_poll = absl::Seconds(1);
};

struct JobResult {
  int exit_code = kExitSuccess;
  std::string message;     // one line for stderr / the log
  std::optional<Run> run;  // the record at the end, when it could be read
};

// Checks the invocation alone (RUN_ID present and printable, CONTROL_STRATEGY known), before
// anything is opened: a kConfiguration error whose message names the variable.
absl::Status ValidateInvocation(const JobRequest& request);

// Executes the run:
//   missing/invalid RUN_ID or CONTROL_STRATEGY, unknown run     → kExitUsage
//   already finalized: deliver a still-pending email, change nothing else → the run's code
//   held by a live lease of another execution, database down   → kExitTransient
//   malformed record (config, enums, query text)                → recorded failure, kExitRunFailed
//   executor outcome → completed (0) / failed (1) / cancelled (0)
//   `shutdown` stopped (SIGTERM)                                 → lease released, kExitTransient
// `notifier` may be null: the notification then stays pending in the ledger, for the next
// execution (or a later deployment with a notifier) to deliver.
JobResult RunJob(const JobRequest& request, RunStore& store, RunExecutor& executor,
                 Notifier* notifier, const StopToken& shutdown, const Logger& logger,
                 const JobTiming& timing = {});

}  // namespace haystack

#endif  // HAYSTACK_JOB_RUN_JOB_H_
