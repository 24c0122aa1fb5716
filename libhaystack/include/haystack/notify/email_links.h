// Links a person can click for a run's outputs, made when the email is rendered: a V4 signed
// URL for an object in Cloud Storage, a file:// URL for a local file when the email stays on
// this machine (the outbox). A location no link can be made for is shown as text.
#ifndef HAYSTACK_NOTIFY_EMAIL_LINKS_H_
#define HAYSTACK_NOTIFY_EMAIL_LINKS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/notify/notifier.h"
#include "haystack/output/gcs_signed_url.h"

namespace haystack {

struct EmailLinkOptions {
  // Local paths become file:// links: only for the outbox, whose reader is on this machine.
  bool local_file_links = false;
  // gs:// locations become V4 signed URLs when set; shown as text otherwise.
  BlobSigner* signer = nullptr;
  // How long a signed link works (1 s to 7 days, Cloud Storage's maximum).
  absl::Duration signed_url_expiry = absl::Hours(7 * 24);
  // Where signed links point (a loopback fake in tests).
  std::string storage_endpoint = "https://storage.googleapis.com";
  const Clock* clock = &SystemClock();
};

// Fills report_link, anndata_link and log_link (and links_expire_at when a link was signed)
// from the locations in report_url, anndata_url and log_url. A location that cannot be signed
// keeps no link; the reason is returned, for the notifier to log. Never fails the email.
std::vector<std::string> AddArtifactLinks(RunNotification& notification,
                                          const EmailLinkOptions& options);

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_EMAIL_LINKS_H_
