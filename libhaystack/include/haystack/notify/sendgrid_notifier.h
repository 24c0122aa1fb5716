// The production email backend: SendGrid v3 mail send.
#ifndef HAYSTACK_NOTIFY_SENDGRID_NOTIFIER_H_
#define HAYSTACK_NOTIFY_SENDGRID_NOTIFIER_H_

#include <optional>
#include <string>
#include <vector>

#include "haystack/core/logging.h"
#include "haystack/http/http_client.h"
#include "haystack/notify/email_links.h"
#include "haystack/notify/email_templates.h"
#include "haystack/notify/mime_message.h"
#include "haystack/notify/notifier.h"

namespace haystack {

struct SendGridOptions {
  std::string api_key;                                // never logged or put in errors
  std::string endpoint = "https://api.sendgrid.com";  // EU subusers: https://api.eu.sendgrid.com
  EmailAddress from{"noreply@haystack.local", "HAYSTACK"};  // a verified sender (ASCII only)
  std::optional<EmailAddress> reply_to;
  std::vector<std::string> categories = {"haystack"};  // the kind is added: "run_completed"
  bool sandbox_mode = false;  // validate the request without sending (200 instead of 202)
  EmailTemplateOptions templates;
  // gs:// outputs become signed links when a signer is set; local paths stay text (the
  // recipient is not on this machine).
  EmailLinkOptions links;
  // SendGrid answers with a few hundred bytes; more is read no further (HttpClient limit).
  size_t max_response_bytes = size_t{1} << 20;
  // 429 (waiting until X-RateLimit-Reset), 5xx and network errors only.
  RetryPolicy retry{.max_attempts = 4,
                    .initial_backoff = absl::Seconds(1),
                    .max_backoff = absl::Seconds(20),
                    .retryable_statuses = {429, 500, 502, 503, 504},
                    // Mail send has no idempotency key: a timeout after SendGrid received the
                    // request may be a sent email. Within one job attempt we retry anyway
                    // (at-least-once, the rare duplicate is accepted); the run store's ledger
                    // keeps a retried job from sending again.
                    .retry_ambiguous_failures = true};
};

// POST {endpoint}/v3/mail/send with text/plain then text/html content, the from name,
// categories, custom_args.run_id/kind (never personal data) and the sandbox setting. 202 (or
// 200 in sandbox mode) is success; the receipt carries X-Message-Id. 400/401/403/413 are
// permanent (kInvalidArgument/kUnauthenticated/kPermissionDenied) with the provider's error
// messages in the status; 429/5xx/network after the retries are kUnavailable. All kNotification.
class SendGridNotifier final : public Notifier {
 public:
  SendGridNotifier(SendGridOptions options, HttpClient& http, Logger logger);
  absl::StatusOr<DeliveryReceipt> Send(const RunNotification& notification) override;
  std::string Name() const override { return "sendgrid"; }

  // The request body for `notification` (exposed for tests and for --dry-run tooling).
  absl::StatusOr<std::string> BuildRequestBody(const RunNotification& notification) const;

 private:
  SendGridOptions options_;
  HttpClient& http_;
  Logger logger_;
};

// The human-readable part of a SendGrid error response: the "message" (and "field") of each
// entry of {"errors":[…]}, or for a non-JSON body (an nginx 413 page) its quoted beginning; a
// body that is unreadable JSON (nested too deep, over the size limit) is named as such. Not
// yet redacted: callers pass it through RedactSecrets with their key.
std::string DescribeSendGridError(const HttpResponse& response);

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_SENDGRID_NOTIFIER_H_
