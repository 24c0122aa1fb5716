#include "haystack/notify/email_links.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "haystack/http/encoding.h"

namespace haystack {
namespace {

// A signed link for gs://bucket/object; nullopt (with the reason in `problems`) otherwise.
std::optional<std::string> SignedLink(std::string_view location, const EmailLinkOptions& options,
                                      absl::Time now, std::vector<std::string>& problems) {
  const std::string_view rest = location.substr(5);  // after "gs://"
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 >= rest.size()) {
    problems.push_back(absl::StrCat("no link for ", QuoteForMessage(location),
                                    ": not a gs://bucket/object location"));
    return std::nullopt;
  }
  SignedUrlRequest request{.bucket = std::string(rest.substr(0, slash)),
                           .object = std::string(rest.substr(slash + 1)),
                           .now = now,
                           .expires = options.signed_url_expiry,
                           .endpoint = options.storage_endpoint};
  auto url = SignGcsUrl(request, *options.signer);
  if (!url.ok()) {
    problems.push_back(absl::StrCat("no signed link for ", QuoteForMessage(location), ": ",
                                    RedactSecrets(std::string(url.status().message()))));
    return std::nullopt;
  }
  return *url;
}

std::optional<std::string> LinkFor(const std::optional<std::string>& location,
                                   const EmailLinkOptions& options, absl::Time now,
                                   bool& signed_one, std::vector<std::string>& problems) {
  if (!location || location->empty()) return std::nullopt;
  const absl::string_view view(location->data(), location->size());
  if (absl::StartsWith(view, "gs://")) {
    if (options.signer == nullptr) return std::nullopt;
    auto link = SignedLink(*location, options, now, problems);
    signed_one = signed_one || link.has_value();
    return link;
  }
  if (options.local_file_links && absl::StartsWith(view, "/") && IsValidUtf8(*location)) {
    return FileUrl(*location);
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> AddArtifactLinks(RunNotification& notification,
                                          const EmailLinkOptions& options) {
  std::vector<std::string> problems;
  const absl::Time now = options.clock->Now();
  bool signed_one = false;
  notification.report_link = LinkFor(notification.report_url, options, now, signed_one, problems);
  notification.anndata_link = LinkFor(notification.anndata_url, options, now, signed_one, problems);
  notification.log_link = LinkFor(notification.log_url, options, now, signed_one, problems);
  if (signed_one) notification.links_expire_at = now + options.signed_url_expiry;
  return problems;
}

}  // namespace haystack
