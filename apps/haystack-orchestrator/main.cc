// haystack-orchestrator: runs one HAYSTACK run to a terminal state (the batch job), and the
// commands a person uses around it. See README.md and docs/operations.md.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/job/exit_codes.h"
#include "haystack/job/shutdown_signals.h"

namespace {

absl::Status BadLogSetting(const haystack::Settings& settings, const std::string& key,
                           const std::string& expected) {
  return haystack::ConfigurationError(absl::StrCat(
      "setting ", key, " = '", haystack::QuoteForMessage(settings.GetString(key, ""), 40),
      "' from ", settings.SourceOf(key), ": expected one of: ", expected));
}

// Unknown values are configuration errors (exit 2), never silently the default.
absl::StatusOr<haystack::LogOptions> LogOptionsFrom(const haystack::Settings& settings) {
  haystack::LogOptions options;
  const std::string format = settings.GetString("log_format", "auto");
  if (!haystack::ParseLogFormat(format, &options.format)) {
    return BadLogSetting(settings, "log_format", "auto, text, json");
  }
  if (!haystack::ParseLogSeverity(settings.GetString("log_level", "info"), &options.min_severity)) {
    return BadLogSetting(settings, "log_level", "debug, info, notice, warning, error");
  }
  return options;
}

// An error before the log's settings are known or valid (exit 2). The format then comes from
// HAYSTACK_LOG_FORMAT alone (auto, JSON off a terminal, when it is unknown), so that in JSON
// mode this too is a JSON line and stderr carries nothing else.
int StartupError(const haystack::Environment& env, const absl::Status& error) {
  const std::string message(error.message());
  haystack::LogOptions options;
  if (!haystack::ParseLogFormat(env.Get("HAYSTACK_LOG_FORMAT").value_or("auto"), &options.format)) {
    options.format = haystack::LogFormat::kAuto;
  }
  const haystack::Logger logger = haystack::Logger::Create(options);
  logger.Error(message, {{"exit_code", haystack::kExitUsage}});
  if (!logger.WritesJson()) std::cerr << "haystack-orchestrator: " << message << "\n";
  return haystack::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread starts, so that all of them leave SIGTERM to the signal thread.
  haystack::ShutdownSignals signals;

  CLI::App app{
      "HAYSTACK orchestrator: predicts how cells respond to a condition with the STACK model, "
      "choosing prompt cells from an atlas and scoring predictions against biological "
      "knowledge.\n\nWithout a subcommand it is the batch job: it executes the run named by "
      "RUN_ID (with USER_EMAIL and CONTROL_STRATEGY) from the configured database.",
      "haystack-orchestrator"};
  app.set_version_flag("--version", std::string("haystack-orchestrator ") + HAYSTACK_VERSION);
  std::string config_path;
  app.add_option("--config", config_path, "JSON settings file (default: $HAYSTACK_CONFIG)");

  haystack::orchestrator::NewRunOptions new_run;
  std::string control_strategy;
  CLI::App* run = app.add_subcommand("run", "create a run from a query and execute it");
  run->add_option("--query,-q", new_run.query, "the question, in plain English")->required();
  run->add_option("--email", new_run.email, "where to send the result");
  run->add_option("--control-strategy", control_strategy,
                  "synthetic_control (default) or query_as_control");
  run->add_option("--config-json", new_run.config_json, "run configuration (RunConfig JSON)");
  run->add_option("--seed", new_run.seed, "random seed for reproducible prompt sampling");

  std::string run_id;
  bool json = false;
  CLI::App* status = app.add_subcommand("status", "show a run's state");
  status->add_option("run_id", run_id, "the run")->required();
  status->add_flag("--json", json, "print the whole record as JSON");
  CLI::App* cancel = app.add_subcommand("cancel", "ask a running run to stop");
  cancel->add_option("run_id", run_id, "the run")->required();
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? haystack::kExitSuccess : haystack::kExitUsage;
  }

  haystack::ProcessEnvironment env;
  auto settings = haystack::Settings::Load(env, config_path);
  if (!settings.ok()) return StartupError(env, settings.status());
  auto log_options = LogOptionsFrom(*settings);
  if (!log_options.ok()) return StartupError(env, log_options.status());
  const haystack::Logger logger = haystack::Logger::Create(*log_options);
  const haystack::orchestrator::CommandContext context{*settings, env, logger, signals.token()};

  if (*run) {
    if (!control_strategy.empty()) new_run.control_strategy = control_strategy;
    return haystack::orchestrator::CreateAndExecute(context, new_run);
  }
  if (*status) return haystack::orchestrator::ShowStatus(context, run_id, json);
  if (*cancel) return haystack::orchestrator::RequestCancel(context, run_id);
  return haystack::orchestrator::ExecuteFromEnvironment(context);
}
