#include "notifier_factory.h"

#include "absl/strings/str_cat.h"
#include "haystack/core/clock.h"
#include "haystack/core/error.h"
#include "haystack/http/encoding.h"
#include "haystack/notify/outbox_notifier.h"
#include "haystack/notify/sendgrid_notifier.h"

namespace haystack::orchestrator {

namespace {

// Links in emails: signed URLs for gs:// outputs (with the artifact store's credentials).
absl::Status ConfigureLinks(const Settings& settings, const Environment& env, const Logger& logger,
                            ConfiguredNotifier& configured, EmailLinkOptions& links) {
  HAYSTACK_ASSIGN_OR_RETURN(links.signed_url_expiry,
                            settings.GetSeconds("email_link_expiry_seconds", kMaxSignedUrlExpiry));
  if (links.signed_url_expiry < absl::Seconds(1) || links.signed_url_expiry > kMaxSignedUrlExpiry) {
    return ConfigurationError(absl::StrCat("email_link_expiry_seconds (",
                                           settings.SourceOf("email_link_expiry_seconds"),
                                           "): must be 1 to 604800 (7 days, Cloud Storage's "
                                           "limit for signed URLs)"));
  }
  const std::string app_url = settings.GetString("app_url", "");
  if (!app_url.empty() && !IsSafeHttpUrl(app_url)) {
    return ConfigurationError(absl::StrCat("app_url (", settings.SourceOf("app_url"),
                                           "): expected an absolute http(s) URL"));
  }
  const std::string artifact_root = settings.GetString("artifact_root", "haystack-results");
  if (artifact_root.rfind("gs://", 0) != 0) return absl::OkStatus();
  HAYSTACK_ASSIGN_OR_RETURN(configured.links, OpenUrlSigner(env, SystemClock(), logger));
  links.signer = configured.links.signer.get();
  return absl::OkStatus();
}

}  // namespace

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
  EmailLinkOptions links;
  HAYSTACK_RETURN_IF_ERROR(ConfigureLinks(settings, env, logger, configured, links));
  if (backend == "outbox") {
    links.local_file_links = true;
    configured.notifier = std::make_unique<OutboxNotifier>(
        OutboxOptions{.directory = settings.GetString("outbox_dir", "haystack-results/outbox"),
                      .from = from,
                      .reply_to = reply_to,
                      .links = links},
        SystemClock(), logger.With({{"component", "outbox"}}));
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
          .sandbox_mode = sandbox,
          .links = links},
      *configured.http, logger.With({{"component", "sendgrid"}}));
  return configured;
}

}  // namespace haystack::orchestrator
