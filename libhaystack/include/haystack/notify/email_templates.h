// The three run emails (completed, failed, cancelled), rendered from mstch templates.
//
// Every user or run string is HTML-escaped before it reaches the HTML template, the subject is
// one line without control characters, the query is cut to a readable length at a code point
// boundary, and only absolute http(s) URLs become links. Both parts are complete: the plain
// text says everything the HTML says.
#ifndef HAYSTACK_NOTIFY_EMAIL_TEMPLATES_H_
#define HAYSTACK_NOTIFY_EMAIL_TEMPLATES_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "haystack/notify/notifier.h"

namespace haystack {

struct RenderedEmail {
  std::string subject;  // one line, no CR/LF
  std::string text;     // text/plain, UTF-8
  std::string html;     // text/html, UTF-8, a complete document
};

struct EmailTemplateOptions {
  std::string product_name = "HAYSTACK";
  size_t subject_query_bytes = 60;  // query excerpt in the subject
  size_t body_query_bytes = 2000;   // query excerpt in the body
};

// Renders `notification`. Fails (kNotification, kInternal) only if a template is broken.
absl::StatusOr<RenderedEmail> RenderEmail(const RunNotification& notification,
                                          const EmailTemplateOptions& options = {});

}  // namespace haystack

#endif  // HAYSTACK_NOTIFY_EMAIL_TEMPLATES_H_
