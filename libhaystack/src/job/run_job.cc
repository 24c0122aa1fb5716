#include "haystack/job/run_job.h"

#include <exception>

#include "fmt/format.h"
#include "fmt/ranges.h"
#include "haystack/core/error.h"
#include "haystack/core/ids.h"
#include "haystack/core/mailbox.h"
#include "haystack/core/text.h"
#include "haystack/job/notify_once.h"
#include "run_watcher.h"

namespace haystack {
namespace {

// Queries are one or a few sentences; anything this long is not a question.
constexpr size_t kMaxQueryBytes = 10'000;

int ExitCodeForFinalized(const Run& run) {
  return run.status == RunStatus::kFailed ? kExitRunFailed : kExitSuccess;
}

// One execution of one run.
class JobLifecycle {
 public:
  JobLifecycle(const JobRequest& request, RunStore& store, RunExecutor& executor,
               Notifier* notifier, const StopToken& shutdown, const Logger& logger,
               const JobTiming& timing)
      : request_(request),
        store_(store),
        executor_(executor),
        notifier_(notifier),
        shutdown_(shutdown),
        logger_(logger.With({{"run_id", request.run_id}})),
        timing_(timing) {}

  JobResult Run() {
    if (absl::Status valid = ValidateInvocation(request_); !valid.ok()) {
      return Usage(std::string(valid.message()));
    }
    if (absl::Status valid = ValidateJobTiming(timing_); !valid.ok()) {
      return Usage(std::string(valid.message()));
    }
    std::optional<ControlStrategy> strategy_override;
    if (request_.control_strategy && !request_.control_strategy->empty()) {
      strategy_override = *ParseEnum<ControlStrategy>(*request_.control_strategy);
    }

    auto run = store_.GetRun(request_.run_id);
    if (!run.ok()) return FromStoreError(run.status(), "reading the run");
    if (IsFinalized(*run)) return AlreadyFinalized(*run);

    auto lease = store_.ClaimRun(request_.run_id, request_.worker_id, timing_.lease);
    if (!lease.ok()) {
      if (lease.status().code() == absl::StatusCode::kFailedPrecondition) {
        auto now_final = store_.GetRun(request_.run_id);
        if (now_final.ok() && IsFinalized(*now_final)) return AlreadyFinalized(*now_final);
      }
      return FromStoreError(lease.status(), "claiming the run");
    }
    lease_ = *lease;
    logger_ = logger_.With({{"attempt", lease_.attempt}});
    logger_.Info("claimed the run", {{"worker", request_.worker_id}});
    // Re-read: the claim may have changed status and attempt.
    run = store_.GetRun(request_.run_id);
    if (!run.ok()) return FromStoreError(run.status(), "reading the claimed run");
    return Execute(*run, strategy_override);
  }

 private:
  JobResult Execute(const haystack::Run& run, std::optional<ControlStrategy> strategy_override) {
    // One RFC 5321 mailbox or nobody (core/mailbox.h); every address passed over is logged.
    RecipientChoice recipient = ChooseRecipient(request_.user_email, run.user_email);
    for (const std::string& warning : recipient.warnings) logger_.Warning(warning);
    recipient_ = std::move(recipient.address);
    if (IsCancellationRequested(run)) {
      return Finish(Cancelled(), "cancelled before it started");
    }

    // A malformed record fails the run with a classified error, touching nothing else.
    if (!run.invalid_fields.empty()) {
      return Fail(ConfigurationError(
          fmt::format("the run record is malformed: {}", fmt::join(run.invalid_fields, "; "))));
    }
    if (auto valid = ValidateText("raw_query", run.raw_query,
                                  {.max_bytes = kMaxQueryBytes, .kind = ErrorKind::kQueryParsing});
        !valid.ok()) {
      return Fail(valid);
    }
    if (run.raw_query.find_first_not_of(" \t\r\n") == std::string::npos) {
      return Fail(QueryParsingError("raw_query is empty: there is no question to answer"));
    }
    auto config = ParseRunConfig(run.config_json);
    if (!config.ok()) return Fail(Annotate(config.status(), "runs.config"));
    const ControlStrategy strategy = strategy_override.value_or(run.control_strategy);

    return Conclude(run, ExecuteWatched(run, *config, strategy));
  }

  // How the executor ended, and what the lease watcher saw meanwhile.
  struct ExecutorEnd {
    absl::StatusOr<RunOutcome> outcome;
    bool lease_lost = false;
    bool database_lost = false;
    StopReason stop_reason = StopReason::kNone;
  };

  // Runs the executor while the watcher renews the lease and forwards cancellation and shutdown.
  ExecutorEnd ExecuteWatched(const haystack::Run& run, const RunConfig& config,
                             ControlStrategy strategy) {
    RunRecorder recorder(store_, lease_, *timing_.clock);
    job_internal::RunWatcher watcher(store_, lease_, shutdown_, timing_, logger_);
    const RunContext context{.run = run,
                             .config = config,
                             .control_strategy = strategy,
                             .recorder = recorder,
                             .stop = watcher.token(),
                             .logger = logger_};
    ExecutorEnd end{.outcome = ExecuteCatching(context)};
    end.lease_lost = watcher.lease_lost();
    end.database_lost = watcher.database_lost();
    end.stop_reason = watcher.token().reason();
    return end;
  }

  // What the executor's end makes of the run: given back (75), cancelled, failed or completed.
  JobResult Conclude(const haystack::Run& run, const ExecutorEnd& end) {
    if (end.lease_lost) {
      return {kExitTransient, "another execution took the run over; this one stopped", run};
    }
    if (shutdown_.stop_requested() && end.stop_reason == StopReason::kShutdown) {
      // SIGTERM: everything finished is checkpointed; give the run back for the retry.
      ReleaseLease();
      return {kExitTransient, "stopped by a shutdown signal; re-execute to resume", run};
    }
    if (end.database_lost) {
      ReleaseLease();  // one attempt: the database may be back
      return {kExitTransient, "the run database stayed unreachable; re-execute to resume", run};
    }
    const absl::StatusOr<RunOutcome>& outcome = end.outcome;
    if (end.stop_reason == StopReason::kCancelRequested ||
        (!outcome.ok() && GetErrorKind(outcome.status()) == ErrorKind::kCancelled)) {
      return Finish(Cancelled(), "cancelled");
    }
    if (!outcome.ok() && ResumableByReexecution(outcome.status())) {
      return Suspend(outcome.status(), run);
    }
    if (!outcome.ok()) return Fail(outcome.status());

    TerminalUpdate completed;
    completed.status = RunStatus::kCompleted;
    completed.reason = outcome->reason;
    completed.final_score = outcome->final_score;
    completed.best_iteration = outcome->best_iteration;
    completed.output_anndata_path = outcome->output_anndata_path;
    completed.output_report_path = outcome->output_report_path;
    completed.output_log_path = outcome->output_log_path;
    Notify(completed, NotificationKind::kRunCompleted);
    return Finish(completed, "completed");
  }

  // A transient failure of the run's infrastructure: everything finished is checkpointed, so the
  // run is given back for a re-execution instead of being failed.
  JobResult Suspend(const absl::Status& error, const haystack::Run& run) {
    logger_.Warning("a transient error stopped the run; it stays resumable",
                    {{"error_type", std::string(ErrorKindName(GetErrorKind(error)))},
                     {"error", std::string(error.message())}});
    ReleaseLease();
    return {kExitTransient,
            fmt::format("transient {}: {}; re-execute to resume",
                        ErrorKindName(GetErrorKind(error)), std::string(error.message())),
            run};
  }

  void ReleaseLease() {
    absl::Status released = store_.ReleaseLease(lease_);
    if (!released.ok()) {
      logger_.Warning("could not release the lease; the retry waits for it to expire",
                      {{"error", std::string(released.message())}});
    }
  }

  absl::StatusOr<RunOutcome> ExecuteCatching(const RunContext& context) {
    try {
      return executor_.Execute(context);
    } catch (const std::exception& e) {
      return InternalError(fmt::format("unexpected exception in the run: {}", e.what()));
    } catch (...) {
      return InternalError("unexpected non-standard exception in the run");
    }
  }

  TerminalUpdate Cancelled() {
    TerminalUpdate update;
    update.status = RunStatus::kCancelled;
    update.reason = TerminationReason::kCancelled;
    Notify(update, NotificationKind::kRunCancelled);
    return update;
  }

  void Notify(TerminalUpdate& update, NotificationKind kind) {
    if (recipient_.empty()) return;
    update.notification = kind;
    update.notification_recipient = recipient_;
  }

  // Records a failure with the phase and iteration the run had reached.
  JobResult Fail(const absl::Status& error) {
    TerminalUpdate failed;
    failed.status = RunStatus::kFailed;
    failed.reason = TerminationReason::kError;
    RunError recorded{std::string(ErrorKindName(GetErrorKind(error))), std::string(error.message()),
                      std::nullopt, std::nullopt};
    if (auto current = store_.GetRun(lease_.run_id); current.ok()) {
      recorded.phase = current->current_phase;
      if (current->current_iteration > 0) recorded.iteration = current->current_iteration;
    }
    failed.error = recorded;
    Notify(failed, NotificationKind::kRunFailed);
    logger_.Error("the run failed",
                  {{"error_type", recorded.error_type}, {"error", recorded.message}});
    return Finish(failed, fmt::format("failed: {}: {}", recorded.error_type, recorded.message));
  }

  JobResult Finish(TerminalUpdate update, const std::string& what) {
    auto finished = store_.FinishRun(lease_, update);
    if (!finished.ok() && update.status != RunStatus::kCancelled &&
        GetErrorKind(finished.status()) == ErrorKind::kCancelled) {
      // The user cancelled while the run was finishing: the cancellation wins.
      logger_.Notice("cancellation arrived while finishing; the run ends cancelled");
      return Finish(Cancelled(), "cancelled");
    }
    if (!finished.ok() && finished.status().code() == absl::StatusCode::kFailedPrecondition) {
      // Finalized by someone else meanwhile (this execution's own finish is recognised by the
      // store): report that run as it is.
      auto now_final = store_.GetRun(lease_.run_id);
      if (now_final.ok() && IsFinalized(*now_final)) return AlreadyFinalized(*now_final);
    }
    if (!finished.ok()) return FromStoreError(finished.status(), "recording the run's end");
    logger_.Notice(fmt::format("run {}", what),
                   {{"status", std::string(EnumName(finished->status))}});
    return Finalized(*finished, fmt::format("run {} {}", finished->run_id, what));
  }

  JobResult AlreadyFinalized(const haystack::Run& run) {
    // Nothing changes; only an email still owed goes out.
    return Finalized(
        run,
        fmt::format("run {} is already {} ({}); nothing to do", run.run_id, EnumName(run.status),
                    run.termination_reason ? EnumName(*run.termination_reason) : ""));
  }

  // The run is finalized: deliver what it owes. An email that may still be owed (the ledger
  // could not be written, another execution's claim outlived our shutdown) makes the job exit 75,
  // so that the engine re-executes it and the re-execution delivers it.
  JobResult Finalized(const haystack::Run& run, std::string message) {
    absl::Status delivered = DeliverNotifications(run);
    if (EmailStillOwed(delivered)) {
      return {kExitTransient,
              fmt::format("{}; its email is still owed ({}): re-execute to deliver it", message,
                          std::string(delivered.message())),
              run};
    }
    return {ExitCodeForFinalized(run), std::move(message), run};
  }

  absl::Status DeliverNotifications(const haystack::Run& run) {
    if (notifier_ == nullptr) {
      logger_.Warning("no notifier configured; any pending email stays in the ledger");
      return absl::OkStatus();
    }
    const DeliveryContext context{.claimant = request_.worker_id,
                                  .claim = timing_.notification_claim,
                                  .poll = timing_.cancellation_poll,
                                  .app_url = request_.app_url,
                                  .clock = timing_.clock,
                                  .stop = shutdown_};
    absl::Status sent = DeliverPendingNotifications(run, store_, *notifier_, context, logger_);
    if (!sent.ok()) {
      // The run's outcome stands; what is owed is in the ledger.
      logger_.Error("could not notify the user", {{"error", std::string(sent.message())}});
    }
    return sent;
  }

  JobResult Usage(std::string message) {
    logger_.Error(message);
    return {kExitUsage, std::move(message), std::nullopt};
  }

  JobResult FromStoreError(const absl::Status& status, std::string_view doing) {
    std::string message = fmt::format("{}: {}", doing, std::string(status.message()));
    if (status.code() == absl::StatusCode::kNotFound) return Usage(std::move(message));
    const bool transient = IsTransient(status) || status.code() == absl::StatusCode::kAborted;
    logger_.Error(message);
    return {transient ? kExitTransient : kExitRunFailed, std::move(message), std::nullopt};
  }

  const JobRequest& request_;
  RunStore& store_;
  RunExecutor& executor_;
  Notifier* notifier_;
  StopToken shutdown_;
  Logger logger_;
  JobTiming timing_;
  Lease lease_;
  std::string recipient_;
};

}  // namespace

absl::Status ValidateInvocation(const JobRequest& request) {
  if (request.run_id.empty()) {
    return ConfigurationError("RUN_ID is not set: name the run to execute");
  }
  HAYSTACK_RETURN_IF_ERROR(ValidateRunId(request.run_id, "RUN_ID"));
  if (request.control_strategy && !request.control_strategy->empty() &&
      !ParseEnum<ControlStrategy>(*request.control_strategy).ok()) {
    return ConfigurationError(fmt::format("CONTROL_STRATEGY '{}' is not one of: {}",
                                          QuoteForMessage(*request.control_strategy, 40),
                                          EnumNames<ControlStrategy>()));
  }
  return absl::OkStatus();
}

absl::Status ValidateJobTiming(const JobTiming& timing) {
  auto positive = [](absl::Duration d) {
    return d > absl::ZeroDuration() && d < absl::InfiniteDuration();
  };
  for (const auto& [name, value] :
       {std::pair{"lease_seconds", timing.lease}, std::pair{"heartbeat_seconds", timing.heartbeat},
        std::pair{"cancel_poll_seconds", timing.cancellation_poll},
        std::pair{"notification_claim_seconds", timing.notification_claim}}) {
    if (!positive(value)) {
      return ConfigurationError(
          fmt::format("{} must be a positive, finite number of seconds", name));
    }
  }
  if (timing.heartbeat >= timing.lease) {
    return ConfigurationError(fmt::format(
        "heartbeat_seconds ({}) must be shorter than lease_seconds ({}): the lease would expire "
        "between renewals",
        absl::FormatDuration(timing.heartbeat), absl::FormatDuration(timing.lease)));
  }
  if (timing.cancellation_poll * 3 >= timing.lease) {
    return ConfigurationError(fmt::format(
        "cancel_poll_seconds ({}) must be shorter than a third of lease_seconds ({}): the lease "
        "is renewed between polls, so a longer poll lets it expire under a healthy job",
        absl::FormatDuration(timing.cancellation_poll), absl::FormatDuration(timing.lease)));
  }
  if (timing.clock == nullptr) return ConfigurationError("the job has no clock");
  return absl::OkStatus();
}

bool ResumableByReexecution(const absl::Status& error) {
  if (error.ok() || !IsTransient(error)) return false;
  switch (GetErrorKind(error)) {
    case ErrorKind::kDatabase:
    case ErrorKind::kStorage:
      return true;
    case ErrorKind::kInference:
      return error.code() == absl::StatusCode::kDeadlineExceeded;
    default:
      return false;
  }
}

JobResult RunJob(const JobRequest& request, RunStore& store, RunExecutor& executor,
                 Notifier* notifier, const StopToken& shutdown, const Logger& logger,
                 const JobTiming& timing) {
  return JobLifecycle(request, store, executor, notifier, shutdown, logger, timing).Run();
}

}  // namespace haystack
