// The laptop email backend: each message becomes an RFC 5322 .eml file in a directory.
#ifndef HAYSTACK_NOTIFY_OUTBOX_NOTIFIER_H_
#define HAYSTACK_NOTIFY_OUTBOX_NOTIFIER_H_

#include <filesystem>
#include <optional>
#include <string>

#include "haystack/core/clock.h"
#include "haystack/notify/email_templates.h"
#include "haystack/notify/mime_message.h"
#include "haystack/notify/notifier.h"

namespace haystack {

struct OutboxOptions {
  std::filesystem::path directory = "haystack-results/outbox";
  EmailAddress from{"noreply@haystack.local", "HAYSTACK"};
  std::optional<EmailAddress> reply_to;
  EmailTemplateOptions templates;
};

// Writes "<directory>/<run_id>.<kind>.eml" atomically (temp + fsync + rename): a reader, or a
// mail client opening the outbox, never sees half a message. The receipt's message id is the
// file's path. Open the file in any mail client, or pipe it to `sendmail -t`.
class OutboxNotifier final : public Notifier {
 public:
  OutboxNotifier(OutboxOptions options, const Clock& clock);
  absl::StatusOr<DeliveryReceipt> Send(const RunNotification& notification) override;
  std::string Name() const override { return "outbox"; }

 private:
  OutboxOptions options_;
  const Clock& clock_;
};

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_OUTBOX_NOTIFIER_H_
