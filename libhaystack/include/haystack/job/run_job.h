// The batch job lifecycle: one invocation takes one run to a true terminal state, or exits 75
// leaving it resumable (docs/operations.md, "Exit codes" and "What a re-execution does").
#ifndef HAYSTACK_JOB_RUN_JOB_H_
#define HAYSTACK_JOB_RUN_JOB_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "haystack/core/clock.h"
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
  // How long an email claimed for sending is this execution's: past it, another execution
  // takes a claim still in `sending` over and sends the email again (at least once). Longer
  // than the notifier's worst case (all its attempts and waits).
  absl::Duration notification_claim = absl::Minutes(5);
  // Event timestamps and the waits for another execution's email claim.
  const Clock* clock = &SystemClock();
};

// The cross-checks a timing must pass (a kConfiguration error naming the setting): every value
// positive and finite, heartbeat < lease, cancellation poll < lease / 3 (the watcher renews the
// lease only between polls, so a longer poll starves the heartbeat).
absl::Status ValidateJobTiming(const JobTiming& timing);

// Whether an executor error is one a later execution may overcome, so that the job exits 75 with
// the run left resumable instead of recording a failure: a transient error (kUnavailable,
// kDeadlineExceeded, kResourceExhausted, kAborted) of the run's own infrastructure — the run
// database, the artifact store (a full disk, an I/O error) — and an inference job past its
// budget (left running, so that the re-execution re-attaches). A science service that stayed
// unreachable past its own budget (an inference worker, an LLM) fails the run instead: its
// client has already waited, and the user is told.
bool ResumableByReexecution(const absl::Status& error);

struct JobResult {
  int exit_code = kExitSuccess;
  std::string message;     // one line for stderr / the log
  std::optional<Run> run;  // the record at the end, when it could be read
};

// Checks the invocation alone (RUN_ID a valid run id — core/ids.h —, CONTROL_STRATEGY known),
// before anything is opened: a kConfiguration error whose message names the variable.
absl::Status ValidateInvocation(const JobRequest& request);

// Executes the run:
//   missing/invalid RUN_ID or CONTROL_STRATEGY, invalid timing, unknown run → kExitUsage
//   already finalized: deliver a still-owed email, change nothing else → the run's code
//   held by a live lease of another execution, database down   → kExitTransient
//   malformed record (config, enums, query text)                → recorded failure, kExitRunFailed
//   executor outcome → completed (0) / failed (1) / cancelled (0)
//   executor error ResumableByReexecution                        → lease released, kExitTransient
//   `shutdown` stopped (SIGTERM)                                 → lease released, kExitTransient
//   the email still owed because the ledger could not be written, or another execution's claim
//   on it was live when `shutdown` fired                         → kExitTransient
// `notifier` may be null: the notification then stays pending in the ledger, for the next
// execution (or a later deployment with a notifier) to deliver.
JobResult RunJob(const JobRequest& request, RunStore& store, RunExecutor& executor,
                 Notifier* notifier, const StopToken& shutdown, const Logger& logger,
                 const JobTiming& timing = {});

}  // namespace haystack

#endif  // HAYSTACK_JOB_RUN_JOB_H_
