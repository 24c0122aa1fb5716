// The laptop email backend: each message becomes an RFC 5322 .eml file in a directory.
#ifndef HAYSTACK_NOTIFY_OUTBOX_NOTIFIER_H_
#define HAYSTACK_NOTIFY_OUTBOX_NOTIFIER_H_

#include <filesystem>
#include <optional>
#include <string>

#include "haystack/core/clock.h"
#include "haystack/core/logging.h"
#include "haystack/notify/email_links.h"
#include "haystack/notify/email_templates.h"
#include "haystack/notify/mime_message.h"
#include "haystack/notify/notifier.h"

namespace haystack {

struct OutboxOptions {
  std::filesystem::path directory = "haystack-results/outbox";
  EmailAddress from{"noreply@haystack.local", "HAYSTACK"};
  std::optional<EmailAddress> reply_to;
  EmailTemplateOptions templates;
  // The reader of the outbox is on this machine: local outputs become file:// links.
  EmailLinkOptions links{.local_file_links = true};
};

// "<run_id>.<kind>.eml" with the run id encoded so that different ids always give different
// names: letters, digits, '-' and '_' as they are, every other byte as %XX.
std::string OutboxFileName(std::string_view run_id, NotificationKind kind);

// Writes "<directory>/<OutboxFileName>" atomically (temp + fsync + rename): a reader, or a
// mail client opening the outbox, never sees half a message. The receipt's message id is the
// file's path. Open the file in any mail client, or pipe it to `sendmail -t`.
class OutboxNotifier final : public Notifier {
 public:
  OutboxNotifier(OutboxOptions options, const Clock& clock, Logger logger = Logger::Null());
  absl::StatusOr<DeliveryReceipt> Send(const RunNotification& notification) override;
  std::string Name() const override { return "outbox"; }

 private:
  OutboxOptions options_;
  const Clock& clock_;
  Logger logger_;
};

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_OUTBOX_NOTIFIER_H_
