// The subcommands of haystack-orchestrator. Each returns the process exit code.
#ifndef HAYSTACK_APPS_ORCHESTRATOR_COMMANDS_H_
#define HAYSTACK_APPS_ORCHESTRATOR_COMMANDS_H_

#include <optional>
#include <string>

#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/core/settings.h"
#include "haystack/core/stop_token.h"

namespace haystack::orchestrator {

struct CommandContext {
  const Settings& settings;
  const Environment& env;
  const Logger& logger;
  StopToken shutdown;  // SIGTERM/SIGINT
};

// Batch mode: RUN_ID, USER_EMAIL, CONTROL_STRATEGY from the environment.
int ExecuteFromEnvironment(const CommandContext& context);

struct NewRunOptions {
  std::string query;
  std::string email;
  std::optional<std::string> control_strategy;
  std::string config_json = "{}";
  std::optional<int64_t> seed;
};
// Creates a run in the configured store, then executes it like the batch job would.
int CreateAndExecute(const CommandContext& context, const NewRunOptions& options);

int ShowStatus(const CommandContext& context, const std::string& run_id, bool json);
int RequestCancel(const CommandContext& context, const std::string& run_id);

}  // namespace haystack::orchestrator

#endif  // HAYSTACK_APPS_ORCHESTRATOR_COMMANDS_H_
