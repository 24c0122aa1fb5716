#include "haystack/job/notify_once.h"

#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"

namespace haystack {

RunNotification BuildNotification(const Run& run, NotificationKind kind, std::string recipient,
                                  std::string_view app_url) {
  RunNotification n;
  n.kind = kind;
  n.run_id = run.run_id;
  n.recipient = std::move(recipient);
  n.raw_query = run.raw_query;
  if (!app_url.empty()) {
    std::string base(app_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    n.results_url = fmt::format("{}/runs/{}", base, run.run_id);
  }
  n.final_score = run.final_score;
  if (auto config = ParseRunConfig(run.config_json); config.ok()) {
    n.score_threshold = config->score_threshold;
  }
  n.termination_reason = run.termination_reason;
  if (run.structured_query) n.task_type = run.structured_query->task_type;
  n.iterations = static_cast<int>(run.iterations.size());
  n.control_strategy_effective = run.control_strategy_effective;
  n.control_strategy_fell_back =
      run.control_strategy_effective && *run.control_strategy_effective != run.control_strategy;
  n.report_url = run.output_report_path;
  n.anndata_url = run.output_anndata_path;
  n.log_url = run.output_log_path;
  if (run.error) {
    n.error_type = run.error->error_type;
    n.error_message = run.error->message;
    n.error_phase = run.error->phase;
    n.error_iteration = run.error->iteration;
  }
  return n;
}

namespace {

bool Owed(const NotificationRecord& entry) {
  return entry.status == NotificationStatus::kPending ||
         entry.status == NotificationStatus::kSending;
}

// Sends one claimed notification and records the outcome. A send that worked but could not be
// recorded is reported as a transient error: the claim will expire and the email be sent again.
absl::Status SendClaimed(const Run& run, const NotificationRecord& claimed, RunStore& store,
                         Notifier& notifier, const DeliveryContext& context, const Logger& logger) {
  const std::string kind(EnumName(claimed.kind));
  if (claimed.attempts > 1) {
    logger.Warning(
        "sending an email again: an earlier execution claimed it and its outcome is "
        "unknown (at-least-once delivery)",
        {{"kind", kind}, {"attempts", claimed.attempts}});
  }
  auto receipt =
      notifier.Send(BuildNotification(run, claimed.kind, claimed.recipient, context.app_url));
  NotificationResult result;
  result.delivered = receipt.ok();
  result.provider = receipt.ok() ? receipt->provider : notifier.Name();
  if (receipt.ok()) result.provider_message_id = receipt->provider_message_id;
  if (!receipt.ok()) result.error = std::string(receipt.status().message());
  absl::Status recorded = store.RecordNotificationResult(claimed, result);
  if (!recorded.ok() && recorded.code() != absl::StatusCode::kFailedPrecondition) {
    logger.Error(result.delivered ? "email sent, but the ledger could not record it; it will be "
                                    "sent again by the next execution"
                                  : "could not record a failed email in the ledger",
                 {{"kind", kind}, {"error", std::string(recorded.message())}});
    return Annotate(recorded, fmt::format("recording the {} email", kind));
  }
  if (!recorded.ok()) {
    // Our claim expired while sending and another execution took the email over.
    logger.Warning("the email claim was taken over while sending",
                   {{"kind", kind}, {"error", std::string(recorded.message())}});
  }
  if (receipt.ok()) {
    logger.Info("notification sent", {{"kind", kind}, {"provider", receipt->provider}});
    return absl::OkStatus();
  }
  // Recorded as failed: the run's outcome stands, and the ledger says why.
  logger.Error("notification failed", {{"kind", kind}, {"error", result.error}});
  return MakeError(ErrorKind::kNotification, receipt.status().code(),
                   fmt::format("{} email not sent: {}", kind, result.error));
}

}  // namespace

bool EmailStillOwed(const absl::Status& delivered) {
  return !delivered.ok() && GetErrorKind(delivered) != ErrorKind::kNotification;
}

absl::Status DeliverPendingNotifications(const Run& run, RunStore& store, Notifier& notifier,
                                         const DeliveryContext& context, const Logger& logger) {
  absl::Status failed;  // the last provider refusal (recorded)
  // A claim held by another execution ends within `claim` (recorded, or expired and ours to
  // take); twice that bounds the wait even if the other execution renews nothing.
  const absl::Time give_up = context.clock->Now() + 2 * context.claim;
  bool told_waiting = false;
  while (true) {
    HAYSTACK_ASSIGN_OR_RETURN(auto ledger, store.ListNotifications(run.run_id));
    std::optional<absl::Time> held_until;  // the earliest live foreign claim's expiry
    for (const NotificationRecord& entry : ledger) {
      if (!Owed(entry)) continue;
      HAYSTACK_ASSIGN_OR_RETURN(
          auto claimed,
          store.ClaimNotification(run.run_id, entry.kind, context.claimant, context.claim));
      if (claimed) {
        absl::Status sent = SendClaimed(run, *claimed, store, notifier, context, logger);
        if (EmailStillOwed(sent)) return sent;
        if (!sent.ok()) failed = sent;
        continue;
      }
      if (entry.status == NotificationStatus::kSending && entry.claim_expires_at) {
        held_until = std::min(held_until.value_or(absl::InfiniteFuture()), *entry.claim_expires_at);
      } else {
        held_until = context.clock->Now();  // changed under us: look again
      }
    }
    if (!held_until) return failed;
    const absl::Time now = context.clock->Now();
    if (now >= give_up) {
      return MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable,
                       "an email of this run is still claimed by another execution");
    }
    if (!std::exchange(told_waiting, true)) {
      logger.Notice("another execution is sending this run's email; waiting for its outcome",
                    {{"claim_expires_at", FormatTimestamp(*held_until)}});
    }
    const absl::Duration wait = std::clamp(*held_until - now, absl::Milliseconds(10), context.poll);
    if (context.clock->WaitFor(wait, context.stop)) {
      return CancelledError(
          "stopped while another execution's claim on an email was live; a re-execution "
          "delivers it");
    }
  }
}

}  // namespace haystack
