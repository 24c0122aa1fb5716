// Chooses the RunExecutor (the agent) from configuration. The only place that will know the
// concrete agent, inference, scoring and output implementations.
#ifndef HAYSTACK_APPS_ORCHESTRATOR_EXECUTOR_FACTORY_H_
#define HAYSTACK_APPS_ORCHESTRATOR_EXECUTOR_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "haystack/core/settings.h"
#include "haystack/job/run_executor.h"

namespace haystack::orchestrator {

// kFailedPrecondition (kind kConfiguration) while the agent is not part of this build.
absl::StatusOr<std::unique_ptr<RunExecutor>> MakeRunExecutor(const Settings& settings);

}  // namespace haystack::orchestrator

#endif  // HAYSTACK_APPS_ORCHESTRATOR_EXECUTOR_FACTORY_H_
