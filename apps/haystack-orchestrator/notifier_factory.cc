#include "notifier_factory.h"

#include "absl/strings/str_cat.h"
#include "haystack/core/clock.h"
#include "haystack/core/error.h"
#include "haystack/notify/outbox_notifier.h"
#include "haystack/notify/sendgrid_notifier.h"

namespace haystack::orchestrator {

absl::StatusOr<ConfiguredNotifier> MakeNotifier(const Settings& settings, const Environment& env,
                                                const Logger& logger) {
  const std::string backend = settings.GetString("email_backend", "outbox");
  const EmailAddress from{settings.GetString("email_from", "noreply@haystack.local"),
                          settings.GetString("email_from_name", "HAYSTACK")};
  std::optional<EmailAddress> reply_to;
  if (auto value = settings.Get("email_reply_to"); value && !value->empty()) {
    reply_to = EmailAddress{*value, ""};
  }
  ConfiguredNotifier configured;
  if (backend == "outbox") {
    configured.notifier = std::make_unique<OutboxNotifier>(
        OutboxOptions{.directory = settings.GetString("outbox_dir", "haystack-results/outbox"),
                      .from = from,
                      .reply_to = reply_to},
        SystemClock());
    return configured;
  }
  if (backend != "sendgrid") {
    return ConfigurationError(absl::StrCat("email_backend (", settings.SourceOf("email_backend"),
                                           "): expected outbox or sendgrid"));
  }
  std::string api_key = settings.GetString("sendgrid_api_key", "");
  if (api_key.empty()) api_key = env.Get("SENDGRID_API_KEY").value_or("");
  if (api_key.empty()) {
    return ConfigurationError(
        "email_backend is sendgrid but neither HAYSTACK_SENDGRID_API_KEY nor SENDGRID_API_KEY "
        "is set");
  }
  HAYSTACK_ASSIGN_OR_RETURN(bool sandbox, settings.GetBool("sendgrid_sandbox", false));
  HAYSTACK_ASSIGN_OR_RETURN(
      absl::Duration connect,
      settings.GetSeconds("email_connect_timeout_seconds", absl::Seconds(10)));
  HAYSTACK_ASSIGN_OR_RETURN(absl::Duration total,
                            settings.GetSeconds("email_timeout_seconds", absl::Seconds(30)));
  configured.http = std::make_unique<HttpClient>(
      HttpClientOptions{.connect_timeout = connect, .total_timeout = total}, SystemClock(),
      logger.With({{"component", "sendgrid"}}));
  configured.notifier = std::make_unique<SendGridNotifier>(
      SendGridOptions{
          .api_key = std::move(api_key),
          .endpoint = settings.GetString("sendgrid_endpoint", "https://api.sendgrid.com"),
          .from = from,
          .reply_to = reply_to,
          .sandbox_mode = sandbox},
      *configured.http, logger.With({{"component", "sendgrid"}}));
  return configured;
}

}  // namespace haystack::orchestrator
