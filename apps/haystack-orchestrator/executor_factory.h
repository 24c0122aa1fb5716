// Builds the RunExecutor (the agent) from configuration: the only place that knows the concrete
// atlas, knowledge base, query analyzer, inference backend and artifact store.
#ifndef HAYSTACK_APPS_ORCHESTRATOR_EXECUTOR_FACTORY_H_
#define HAYSTACK_APPS_ORCHESTRATOR_EXECUTOR_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/core/settings.h"
#include "haystack/job/run_executor.h"

namespace haystack::orchestrator {

// Keys (docs/configuration.md): atlas_path, atlas_column_mapping, knowledge_base,
// artifact_root, scratch_dir, scoring_threads, inference_*, llm_*. The atlas and knowledge base
// default to the bundled demo files next to the program (installed: <prefix>/share/haystack/;
// in a build tree: <build>/data/). Errors are kConfiguration (or the opener's kStorage /
// kDatabase) and name the setting and the file: the run is left untouched.
absl::StatusOr<std::unique_ptr<RunExecutor>> MakeRunExecutor(const Settings& settings,
                                                             const Environment& env,
                                                             const Logger& logger);

}  // namespace haystack::orchestrator

#endif  // HAYSTACK_APPS_ORCHESTRATOR_EXECUTOR_FACTORY_H_
