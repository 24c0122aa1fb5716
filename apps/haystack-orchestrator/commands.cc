#include "commands.h"

#include <iostream>

#include "absl/time/clock.h"
#include "executor_factory.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"
#include "haystack/job/run_job.h"
#include "haystack/store/open_run_store.h"
#include "notifier_factory.h"

namespace haystack::orchestrator {
namespace {

// The embedded default: an SQLite file next to the local artifacts.
constexpr char kDefaultDatabaseUrl[] = "sqlite:haystack-results/haystack.db";

int Complain(const CommandContext& context, int exit_code, std::string_view message) {
  context.logger.Error(message, {{"exit_code", exit_code}});
  // In JSON mode stderr carries only JSON lines: the log line above says it all.
  if (!context.logger.WritesJson()) std::cerr << "haystack-orchestrator: " << message << "\n";
  return exit_code;
}

int Complain(const CommandContext& context, int exit_code, const absl::Status& status) {
  return Complain(context, exit_code, std::string(status.message()));
}

// Exit code for a store error: an unknown run or a bad URL is the caller's mistake.
int StoreExitCode(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kNotFound) return kExitUsage;
  if (GetErrorKind(status) == ErrorKind::kConfiguration) return kExitUsage;
  return IsTransient(status) ? kExitTransient : kExitUsage;
}

absl::StatusOr<RunStoreOptions> ConfiguredStoreOptions(const CommandContext& context) {
  const Settings& settings = context.settings;
  RunStoreOptions options;
  HAYSTACK_ASSIGN_OR_RETURN(options.retry.budget,
                            settings.GetSeconds("database_retry_seconds", options.retry.budget,
                                                absl::ZeroDuration(), absl::Hours(24)));
  HAYSTACK_ASSIGN_OR_RETURN(
      options.connect_timeout,
      settings.GetSeconds("database_connect_timeout_seconds", options.connect_timeout,
                          absl::Milliseconds(100), absl::Minutes(10)));
  HAYSTACK_ASSIGN_OR_RETURN(
      options.statement_timeout,
      settings.GetSeconds("database_statement_timeout_seconds", options.statement_timeout,
                          absl::Seconds(1), absl::Hours(1)));
  const std::string pooling = settings.GetString("database_pooling", "none");
  if (pooling == "transaction") {
    options.pooling = PostgresPooling::kTransaction;
  } else if (pooling != "none") {
    return ConfigurationError(fmt::format("database_pooling is '{}' ({}): use none or transaction",
                                          pooling, settings.SourceOf("database_pooling")));
  }
  // SIGTERM: the store stops retrying and answers within its stop grace.
  options.stop = context.shutdown;
  options.logger = context.logger.With({{"component", "store"}});
  return options;
}

// The store's settings are checked before it is opened, so that a misconfiguration is a
// kConfiguration error (exit 2) whatever state the database is in.
absl::StatusOr<std::unique_ptr<RunStore>> OpenConfiguredStore(const CommandContext& context) {
  HAYSTACK_ASSIGN_OR_RETURN(RunStoreOptions options, ConfiguredStoreOptions(context));
  return OpenRunStore(context.settings.GetString("database_url", kDefaultDatabaseUrl), options);
}

absl::StatusOr<JobTiming> ConfiguredTiming(const Settings& settings) {
  JobTiming timing;
  HAYSTACK_ASSIGN_OR_RETURN(timing.lease, settings.GetSeconds("lease_seconds", timing.lease,
                                                              absl::Seconds(1), absl::Hours(24)));
  HAYSTACK_ASSIGN_OR_RETURN(timing.heartbeat,
                            settings.GetSeconds("heartbeat_seconds", timing.lease / 5,
                                                absl::Milliseconds(10), absl::Hours(24)));
  HAYSTACK_ASSIGN_OR_RETURN(timing.cancellation_poll,
                            settings.GetSeconds("cancel_poll_seconds", timing.cancellation_poll,
                                                absl::Milliseconds(10), absl::Hours(1)));
  HAYSTACK_ASSIGN_OR_RETURN(
      timing.notification_claim,
      settings.GetSeconds("notification_claim_seconds", timing.notification_claim, absl::Seconds(1),
                          absl::Hours(24)));
  HAYSTACK_RETURN_IF_ERROR(ValidateJobTiming(timing));
  return timing;
}

// The job's one-line summary: on stdout when it succeeded, on stderr when not; in JSON mode a
// log line instead (stderr then carries nothing else), so that a batch engine's log has the
// outcome and the exit code.
void ReportOutcome(const CommandContext& context, const JobResult& result) {
  if (result.exit_code == kExitSuccess) {
    std::cout << "haystack-orchestrator: " << result.message << "\n";
  }
  if (!context.logger.WritesJson()) {
    if (result.exit_code != kExitSuccess) {
      std::cerr << "haystack-orchestrator: " << result.message << "\n";
    }
    return;
  }
  const LogSeverity severity = result.exit_code == kExitSuccess     ? LogSeverity::kNotice
                               : result.exit_code == kExitTransient ? LogSeverity::kWarning
                                                                    : LogSeverity::kError;
  context.logger.Log(severity, result.message, {{"exit_code", result.exit_code}});
}

// Shared by batch mode and `run`: everything after the run exists.
int Execute(const CommandContext& context, RunStore& store, const JobRequest& request,
            const JobTiming& timing) {
  auto run = store.GetRun(request.run_id);
  if (!run.ok()) {
    return Complain(context, StoreExitCode(run.status()), run.status());
  }
  auto executor = MakeRunExecutor(context.settings, context.env, context.logger);
  if (!executor.ok()) return Complain(context, kExitUsage, executor.status());
  auto notifier = MakeNotifier(context.settings, context.env, context.logger);
  if (!notifier.ok()) return Complain(context, kExitUsage, notifier.status());
  const JobResult result = RunJob(request, store, **executor, notifier->notifier.get(),
                                  context.shutdown, context.logger, timing);
  ReportOutcome(context, result);
  return result.exit_code;
}

// The subcommands that name a run check its id before any store use, like the batch job.
absl::StatusOr<std::unique_ptr<RunStore>> OpenForRun(const CommandContext& context,
                                                     const std::string& run_id) {
  HAYSTACK_RETURN_IF_ERROR(ValidateRunId(run_id, "the run id"));
  return OpenConfiguredStore(context);
}

}  // namespace

int ExecuteFromEnvironment(const CommandContext& context) {
  JobRequest request{.run_id = context.env.Get("RUN_ID").value_or(""),
                     .user_email = context.env.Get("USER_EMAIL"),
                     .control_strategy = context.env.Get("CONTROL_STRATEGY"),
                     .worker_id = NewWorkerId(),
                     .app_url = context.settings.GetString("app_url", "")};
  if (absl::Status valid = ValidateInvocation(request); !valid.ok()) {
    return Complain(context, kExitUsage, valid);
  }
  auto timing = ConfiguredTiming(context.settings);
  if (!timing.ok()) return Complain(context, kExitUsage, timing.status());
  auto store = OpenConfiguredStore(context);
  if (!store.ok()) return Complain(context, StoreExitCode(store.status()), store.status());
  return Execute(context, **store, request, *timing);
}

int CreateAndExecute(const CommandContext& context, const NewRunOptions& options) {
  if (absl::Status valid = ValidateText("--query", options.query, {.max_bytes = 10'000});
      !valid.ok()) {
    return Complain(context, kExitUsage, valid);
  }
  JobRequest request{.run_id = NewRunId(absl::Now()),
                     .control_strategy = options.control_strategy,
                     .worker_id = NewWorkerId(),
                     .app_url = context.settings.GetString("app_url", "")};
  if (absl::Status valid = ValidateInvocation(request); !valid.ok()) {
    return Complain(context, kExitUsage, valid);
  }
  if (auto config = ParseRunConfig(options.config_json); !config.ok()) {
    return Complain(context, kExitUsage, config.status());
  }
  auto timing = ConfiguredTiming(context.settings);
  if (!timing.ok()) return Complain(context, kExitUsage, timing.status());
  auto store = OpenConfiguredStore(context);
  if (!store.ok()) return Complain(context, StoreExitCode(store.status()), store.status());

  Run run;
  run.run_id = request.run_id;
  run.user_email = options.email;
  run.raw_query = options.query;
  run.config_json = options.config_json;
  run.random_seed = options.seed;
  if (options.control_strategy) {
    run.control_strategy = *ParseEnum<ControlStrategy>(*options.control_strategy);
  }
  if (absl::Status created = (*store)->CreateRun(run); !created.ok()) {
    return Complain(context, StoreExitCode(created), created);
  }
  std::cout << "created run " << run.run_id << "\n";
  return Execute(context, **store, request, *timing);
}

int ShowStatus(const CommandContext& context, const std::string& run_id, bool json) {
  auto store = OpenForRun(context, run_id);
  if (!store.ok()) return Complain(context, StoreExitCode(store.status()), store.status());
  auto run = (*store)->GetRun(run_id);
  if (!run.ok()) {
    return Complain(context, StoreExitCode(run.status()), run.status());
  }
  if (json) {
    std::cout << ToJson(*run) << "\n";
    return kExitSuccess;
  }
  std::cout << fmt::format("run        {}\nstatus     {}\nquery      {}\n", run->run_id,
                           EnumName(run->status), QuoteForMessage(run->raw_query, 200));
  if (run->current_phase) std::cout << "phase      " << EnumName(*run->current_phase) << "\n";
  std::cout << "iteration  " << run->current_iteration << "\n";
  if (!run->grounding_scores.empty()) {
    std::vector<std::string> scores;
    for (const std::optional<int>& s : run->grounding_scores) {
      scores.push_back(s ? std::to_string(*s) : "unscored");
    }
    std::cout << fmt::format("scores     {}\n", fmt::join(scores, ", "));
  }
  if (run->final_score) std::cout << "score      " << *run->final_score << "\n";
  if (run->termination_reason) {
    std::cout << "ended      " << EnumName(*run->termination_reason) << "\n";
  }
  if (run->cancel_requested_at) {
    std::cout << "cancel     requested at " << FormatTimestamp(*run->cancel_requested_at) << "\n";
  }
  if (run->error) {
    std::cout << fmt::format("error      {}: {}\n", run->error->error_type, run->error->message);
  }
  for (const auto& path :
       {run->output_anndata_path, run->output_report_path, run->output_log_path}) {
    if (path) std::cout << "output     " << *path << "\n";
  }
  for (const auto& problem : run->invalid_fields) std::cout << "invalid    " << problem << "\n";
  // The ledger: a stuck `sending` must be visible (docs/operations.md "Emails").
  if (auto ledger = (*store)->ListNotifications(run_id); ledger.ok()) {
    for (const NotificationRecord& email : *ledger) {
      std::cout << fmt::format("email      {}: {} (attempts {})", EnumName(email.kind),
                               EnumName(email.status), email.attempts);
      if (email.status == NotificationStatus::kSending && email.claim_expires_at) {
        std::cout << fmt::format(", claimed by {} until {}", email.claimed_by,
                                 FormatTimestamp(*email.claim_expires_at));
      }
      if (!email.last_error.empty()) std::cout << ": " << email.last_error;
      std::cout << "\n";
    }
  }
  return kExitSuccess;
}

int RequestCancel(const CommandContext& context, const std::string& run_id) {
  auto store = OpenForRun(context, run_id);
  if (!store.ok()) return Complain(context, StoreExitCode(store.status()), store.status());
  absl::Status requested = (*store)->RequestCancellation(run_id);
  if (requested.code() == absl::StatusCode::kFailedPrecondition) {
    return Complain(context, kExitRunFailed, requested);
  }
  if (!requested.ok()) return Complain(context, StoreExitCode(requested), requested);
  std::cout << "cancellation of run " << run_id
            << " requested; the running job stops at its next check\n";
  return kExitSuccess;
}

}  // namespace haystack::orchestrator
