// Chooses the email backend from settings: the outbox directory (default) or SendGrid.
#ifndef HAYSTACK_APPS_ORCHESTRATOR_NOTIFIER_FACTORY_H_
#define HAYSTACK_APPS_ORCHESTRATOR_NOTIFIER_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/core/settings.h"
#include "haystack/http/http_client.h"
#include "haystack/notify/notifier.h"
#include "haystack/output/gcs_signed_url.h"

namespace haystack::orchestrator {

// The notifier and what it borrows (the HTTP client of SendGrid, the signer of links to gs://
// outputs), kept alive together.
struct ConfiguredNotifier {
  std::unique_ptr<HttpClient> http;
  OpenedUrlSigner links;
  std::unique_ptr<Notifier> notifier;
};

// email_backend = "outbox" (outbox_dir) or "sendgrid" (sendgrid_api_key, or SENDGRID_API_KEY
// from the environment); keys in docs/configuration.md. When artifact_root is a gs://
// location, outputs are linked with V4 signed URLs valid for email_link_expiry_seconds, signed
// with the artifact store's credentials. Errors are kConfiguration.
absl::StatusOr<ConfiguredNotifier> MakeNotifier(const Settings& settings, const Environment& env,
                                                const Logger& logger);

}  // namespace haystack::orchestrator

#endif  // HAYSTACK_APPS_ORCHESTRATOR_NOTIFIER_FACTORY_H_
