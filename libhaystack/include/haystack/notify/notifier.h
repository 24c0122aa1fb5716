// Telling the user how their run ended (docs/operations.md "Emails", docs/output.md "Email").
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
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
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
  // Where the outputs are, as recorded (gs:// URIs or local paths).
  std::optional<std::string> report_url;
  std::optional<std::string> anndata_url;
  std::optional<std::string> log_url;
  // Links a person can click for them, made by the notifier (notify/email_links.h): a signed
  // URL for a gs:// object, a file:// URL in the outbox. Templates show a link when there is
  // one and the location as text otherwise.
  std::optional<std::string> report_link;
  std::optional<std::string> anndata_link;
  std::optional<std::string> log_link;
  std::optional<absl::Time> links_expire_at;  // when signed links stop working

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

// Notifiers check the recipient again before sending (the ledger may hold an address recorded
// by an older version): exactly one RFC 5321 mailbox (core/mailbox.h), else kNotification,
// kInvalidArgument.
absl::Status ValidateRecipient(std::string_view address);

class Notifier {
 public:
  virtual ~Notifier() = default;
  // Renders and delivers one message. Transient failures are retried inside, within bounds.
  virtual absl::StatusOr<DeliveryReceipt> Send(const RunNotification& notification) = 0;
  virtual std::string Name() const = 0;
};

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_NOTIFIER_H_
