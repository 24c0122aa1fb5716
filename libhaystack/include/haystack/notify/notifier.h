// Telling the user how their run ended (docs/output.md "Email").
//
// The job lifecycle builds a RunNotification when a run reaches its terminal state and hands
// it to a Notifier once, guarded by the run store's notification ledger (store/run_store.h),
// so that a retried job never emails twice. A Notifier only renders and delivers; it never
// decides whether to send. A failed delivery is returned as an error (kind kNotification) and
// recorded; it never fails the run.
#ifndef HAYSTACK_NOTIFY_NOTIFIER_H_
#define HAYSTACK_NOTIFY_NOTIFIER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/enums.h"

namespace haystack {

// Everything a template may show. Strings are raw user/run data: notifiers must escape them.
struct RunNotification {
  NotificationKind kind = NotificationKind::kRunCompleted;
  std::string run_id;
  std::string recipient;  // validated address
  std::string raw_query;
  std::string results_url;  // "<app_url>/runs/<run_id>"

  // Completed runs.
  std::optional<int> final_score;
  std::optional<int> score_threshold;
  std::optional<TerminationReason> termination_reason;
  std::optional<TaskType> task_type;
  int iterations = 0;
  std::optional<ControlStrategy> control_strategy_effective;
  bool control_strategy_fell_back = false;
  std::vector<std::string> top_up_genes;
  std::vector<std::string> top_down_genes;
  std::vector<std::string> top_pathways;
  std::vector<std::string> unavailable_components;
  std::optional<std::string> report_url;
  std::optional<std::string> anndata_url;
  std::optional<std::string> log_url;

  // Failed runs: the classified error, never a stack trace.
  std::string error_type;
  std::string error_message;
  std::optional<RunPhase> error_phase;
  std::optional<int> error_iteration;
};

struct DeliveryReceipt {
  std::string provider;             // "sendgrid", "outbox"
  std::string provider_message_id;  // X-Message-Id, or the .eml path
};

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Renders and delivers one message. Transient failures are retried inside, within bounds.
  virtual absl::StatusOr<DeliveryReceipt> Send(const RunNotification& notification) = 0;
  virtual std::string Name() const = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_NOTIFIER_H_
