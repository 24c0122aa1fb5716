#include "haystack/notify/outbox_notifier.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/output/atomic_file.h"

namespace haystack {
namespace {

// Run ids are validated upstream; this keeps a hostile one from naming a path anyway.
std::string FileSafe(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    out.push_back(ok ? c : '_');
  }
  return out.empty() ? "run" : out.substr(0, 128);
}

}  // namespace

OutboxNotifier::OutboxNotifier(OutboxOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

absl::StatusOr<DeliveryReceipt> OutboxNotifier::Send(const RunNotification& notification) {
  HAYSTACK_ASSIGN_OR_RETURN(RenderedEmail email, RenderEmail(notification, options_.templates));
  const std::string kind(EnumName(notification.kind));
  MimeMessage message;
  message.from = options_.from;
  message.to = EmailAddress{notification.recipient, ""};
  message.reply_to = options_.reply_to;
  message.subject = std::move(email.subject);
  message.text = std::move(email.text);
  message.html = std::move(email.html);
  message.date = clock_.Now();
  message.message_id = absl::StrCat(FileSafe(notification.run_id), ".", kind, "@haystack");
  message.extra_headers = {{"X-Haystack-Run-Id", notification.run_id},
                           {"X-Haystack-Notification", kind}};
  const std::filesystem::path path =
      options_.directory / absl::StrCat(FileSafe(notification.run_id), ".", kind, ".eml");
  absl::Status written = WriteFileAtomically(path, BuildMimeMessage(message));
  if (!written.ok()) {
    return MakeError(ErrorKind::kNotification, written.code(),
                     absl::StrCat("writing the email to the outbox failed: ", written.message()));
  }
  return DeliveryReceipt{"outbox", path.string()};
}

}  // namespace haystack
