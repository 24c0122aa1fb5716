#include "haystack/job/notify_once.h"

#include "fmt/format.h"
#include "haystack/core/error.h"

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

absl::Status DeliverPendingNotifications(const Run& run, RunStore& store, Notifier& notifier,
                                         std::string_view app_url, const Logger& logger) {
  HAYSTACK_ASSIGN_OR_RETURN(auto ledger, store.ListNotifications(run.run_id));
  absl::Status result;
  for (const NotificationRecord& entry : ledger) {
    if (entry.status != NotificationStatus::kPending) continue;
    HAYSTACK_ASSIGN_OR_RETURN(auto claimed, store.ClaimNotification(run.run_id, entry.kind));
    if (!claimed) continue;  // another execution took it
    auto receipt = notifier.Send(BuildNotification(run, entry.kind, entry.recipient, app_url));
    const std::string error = receipt.ok() ? "" : std::string(receipt.status().message());
    HAYSTACK_RETURN_IF_ERROR(store.RecordNotificationResult(
        run.run_id, entry.kind, receipt.ok(), receipt.ok() ? receipt->provider : notifier.Name(),
        receipt.ok() ? receipt->provider_message_id : "", error));
    if (receipt.ok()) {
      logger.Info("notification sent",
                  {{"kind", std::string(EnumName(entry.kind))}, {"provider", receipt->provider}});
    } else {
      logger.Error("notification failed",
                   {{"kind", std::string(EnumName(entry.kind))}, {"error", error}});
      result = MakeError(ErrorKind::kNotification, receipt.status().code(),
                         fmt::format("{} email not sent: {}", EnumName(entry.kind), error));
    }
  }
  return result;
}

}  // namespace haystack
