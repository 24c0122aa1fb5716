#include "executor_factory.h"

#include "haystack/core/error.h"

namespace haystack::orchestrator {

absl::StatusOr<std::unique_ptr<RunExecutor>> MakeRunExecutor(const Settings&) {
  // Deliberately no stand-in: a run must never be completed with made-up results.
  return MakeError(ErrorKind::kConfiguration, absl::StatusCode::kFailedPrecondition,
                   "the HAYSTACK agent (query analysis, prompt selection, inference, grounding "
                   "evaluation) is not built yet in this version of haystack-orchestrator; "
                   "the run was not executed and is left as it was");
}

}  // namespace haystack::orchestrator
