#include "haystack/notify/outbox_notifier.h"

#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/output/atomic_file.h"

namespace haystack {
namespace {

// Longer encoded ids (possible only for run ids over 64 bytes, which the job refuses) are
// replaced by a digest so that a file name stays under NAME_MAX (255 bytes).
constexpr size_t kMaxEncodedIdBytes = 200;

// Letters, digits, '-' and '_' stay as they are (every id the job creates is readable as a
// file name); every other byte becomes %XX. '%' itself is always encoded, so two different
// ids never share a name ("hay.collide.1" → "hay%2Ecollide%2E1", "hay_collide_1" unchanged,
// non-ASCII ids byte by byte).
std::string EncodeRunId(std::string_view run_id) {
  std::string out;
  for (char c : run_id) {
    const auto byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || c == '-' || c == '_') {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::StrCat(absl::Hex(byte, absl::kZeroPad2))));
    }
  }
  if (out.size() <= kMaxEncodedIdBytes) return out;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(run_id.data()), run_id.size(), digest);
  // '~' never occurs in an encoded id, so a digested name cannot equal an encoded one.
  return absl::StrCat(out.substr(0, 64), "~",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(digest), sizeof(digest))));
}

}  // namespace

std::string OutboxFileName(std::string_view run_id, NotificationKind kind) {
  return absl::StrCat(EncodeRunId(run_id), ".", std::string(EnumName(kind)), ".eml");
}

OutboxNotifier::OutboxNotifier(OutboxOptions options, const Clock& clock, Logger logger)
    : options_(std::move(options)), clock_(clock), logger_(std::move(logger)) {}

absl::StatusOr<DeliveryReceipt> OutboxNotifier::Send(const RunNotification& notification) {
  if (notification.run_id.empty()) {
    return MakeError(ErrorKind::kNotification, absl::StatusCode::kInvalidArgument,
                     "the notification has no run id");
  }
  HAYSTACK_RETURN_IF_ERROR(ValidateRecipient(notification.recipient));
  RunNotification linked = notification;
  for (const std::string& problem : AddArtifactLinks(linked, options_.links)) {
    logger_.Warning(problem, {{"run_id", notification.run_id}});
  }
  HAYSTACK_ASSIGN_OR_RETURN(RenderedEmail email, RenderEmail(linked, options_.templates));
  const std::string kind(EnumName(notification.kind));
  MimeMessage message;
  message.from = options_.from;
  message.to = EmailAddress{notification.recipient, ""};
  message.reply_to = options_.reply_to;
  message.subject = std::move(email.subject);
  message.text = std::move(email.text);
  message.html = std::move(email.html);
  message.date = clock_.Now();
  message.message_id = absl::StrCat(EncodeRunId(notification.run_id), ".", kind, "@haystack");
  message.extra_headers = {{"X-Haystack-Run-Id", notification.run_id},
                           {"X-Haystack-Notification", kind}};
  const std::filesystem::path path =
      options_.directory / OutboxFileName(notification.run_id, notification.kind);
  absl::Status written = WriteFileAtomically(path, BuildMimeMessage(message));
  if (!written.ok()) {
    return MakeError(ErrorKind::kNotification, written.code(),
                     absl::StrCat("writing the email to the outbox failed: ", written.message()));
  }
  return DeliveryReceipt{"outbox", path.string()};
}

}  // namespace haystack
