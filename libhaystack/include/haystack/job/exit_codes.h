// The process exit codes of haystack-orchestrator (docs/operations.md "Exit codes"), chosen so that
// a batch engine's retry policy does the right thing: retry only on kTransient.
#ifndef HAYSTACK_JOB_EXIT_CODES_H_
#define HAYSTACK_JOB_EXIT_CODES_H_

namespace haystack {

enum ExitCode : int {
  kExitSuccess = 0,     // the run completed, or was cancelled as requested
  kExitRunFailed = 1,   // the run failed; the failure is recorded and the user notified
  kExitUsage = 2,       // invocation or configuration error: retrying cannot help
  kExitTransient = 75,  // EX_TEMPFAIL: infrastructure failure or SIGTERM; state checkpointed
};

}  // namespace haystack

#endif  // HAYSTACK_JOB_EXIT_CODES_H_
