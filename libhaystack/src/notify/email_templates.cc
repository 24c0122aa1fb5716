#include "haystack/notify/email_templates.h"

#include <exception>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/http/encoding.h"
#include "internal/templates.h"
#include "mstch/mstch.hpp"

namespace haystack {
namespace {

// Values are escaped here, once, for the part they go into; the templates insert them with
// triple mustaches. This keeps escaping independent of mstch's process-wide escape setting.
class ContextBuilder {
 public:
  explicit ContextBuilder(bool html) : html_(html) {}

  void Set(const std::string& key, std::string_view value) {
    map_[key] = html_ ? HtmlEscape(value) : std::string(value);
  }
  void SetFlag(const std::string& key, bool value) { map_[key] = value; }
  void SetList(const std::string& key, const std::vector<std::string>& values) {
    mstch::array items;
    for (const auto& v : values) {
      items.push_back(mstch::map{{"item", html_ ? HtmlEscape(v) : v}});
    }
    map_[key] = std::move(items);
    map_["has_" + key] = !values.empty();
  }
  // A link target: only absolute http(s) URLs are ever rendered as links.
  void SetUrl(const std::string& key, const std::optional<std::string>& url) {
    const bool linkable = url && IsSafeHttpUrl(*url);
    map_["has_" + key] = linkable;
    if (linkable) Set(key, *url);
    // A location that is not a web link (gs://…, a local path) is still shown as text.
    map_["has_" + key + "_text"] = url && !url->empty() && !linkable;
    if (url && !linkable) Set(key + "_text", StripControlCharacters(*url));
  }
  // A link made for a location (signed, file://) wins over the location itself.
  void SetLink(const std::string& key, const std::optional<std::string>& location,
               const std::optional<std::string>& link) {
    if (link && (IsSafeHttpUrl(*link) || IsSafeFileUrl(*link))) {
      map_["has_" + key] = true;
      Set(key, *link);
      map_["has_" + key + "_text"] = false;
      return;
    }
    SetUrl(key, location);
  }
  mstch::map Build() const { return map_; }

 private:
  bool html_;
  mstch::map map_;
};

std::string Excerpt(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  return std::string(TruncateUtf8(text, max_bytes)) + "…";
}

std::string TerminationText(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::kConverged:
      return "the score reached the threshold";
    case TerminationReason::kPlateau:
      return "the score stopped improving (plateau); the best iteration is reported";
    case TerminationReason::kMaxIterations:
      return "the maximum number of iterations was reached; the best iteration is reported";
    case TerminationReason::kCancelled:
      return "the run was cancelled";
    case TerminationReason::kError:
      return "the run stopped on an error";
    case TerminationReason::kCandidatesExhausted:
      return "every prompt candidate was tried; the best iteration is reported";
    case TerminationReason::kUnscored:
      return "the prediction could not be scored (no grounding evidence was available)";
  }
  return "";
}

std::string Subject(const RunNotification& n, const EmailTemplateOptions& options) {
  std::string query = StripControlCharacters(n.raw_query);
  query = Excerpt(query, options.subject_query_bytes);
  std::string what;
  switch (n.kind) {
    case NotificationKind::kRunCompleted:
      what = n.final_score ? absl::StrCat("run completed, score ", *n.final_score, "/10")
                           : "run completed";
      break;
    case NotificationKind::kRunFailed:
      what = "run failed";
      break;
    case NotificationKind::kRunCancelled:
      what = "run cancelled";
      break;
  }
  std::string subject = absl::StrCat(options.product_name, ": ", what);
  if (!query.empty()) absl::StrAppend(&subject, " \xE2\x80\x94 ", query);
  return StripControlCharacters(subject);
}

mstch::map BuildContext(const RunNotification& n, const EmailTemplateOptions& options, bool html) {
  ContextBuilder c(html);
  c.Set("product", options.product_name);
  c.Set("run_id", n.run_id);
  c.Set("query", Excerpt(n.raw_query, options.body_query_bytes));
  c.SetFlag("query_truncated", n.raw_query.size() > options.body_query_bytes);
  c.SetUrl("results_url",
           n.results_url.empty() ? std::nullopt : std::optional<std::string>(n.results_url));
  c.SetFlag("completed", n.kind == NotificationKind::kRunCompleted);
  c.SetFlag("failed", n.kind == NotificationKind::kRunFailed);
  c.SetFlag("cancelled", n.kind == NotificationKind::kRunCancelled);
  c.Set("iterations", std::to_string(n.iterations));
  switch (n.kind) {
    case NotificationKind::kRunCompleted:
      c.Set("headline", "Your run is complete");
      c.Set("preheader", n.final_score ? absl::StrCat("Grounding score ", *n.final_score,
                                                      "/10 after ", n.iterations, " iterations.")
                                       : "Your HAYSTACK run is complete.");
      break;
    case NotificationKind::kRunFailed:
      c.Set("headline", "Your run failed");
      c.Set("preheader", absl::StrCat("The run stopped with ",
                                      n.error_type.empty() ? "an error" : n.error_type, "."));
      break;
    case NotificationKind::kRunCancelled:
      c.Set("headline", "Your run was cancelled");
      c.Set("preheader", "The run was cancelled as requested.");
      break;
  }
  c.SetFlag("has_score", n.final_score.has_value());
  if (n.final_score) c.Set("score", std::to_string(*n.final_score));
  c.SetFlag("has_threshold", n.score_threshold.has_value());
  if (n.score_threshold) c.Set("threshold", std::to_string(*n.score_threshold));
  c.SetFlag("has_termination", n.termination_reason.has_value());
  if (n.termination_reason) c.Set("termination", TerminationText(*n.termination_reason));
  c.SetFlag("has_task_type", n.task_type.has_value());
  if (n.task_type) c.Set("task_type", EnumName(*n.task_type));
  c.SetFlag("has_control", n.control_strategy_effective.has_value());
  if (n.control_strategy_effective) c.Set("control", EnumName(*n.control_strategy_effective));
  c.SetFlag("fell_back", n.control_strategy_fell_back);
  c.SetList("up_genes", n.top_up_genes);
  c.SetList("down_genes", n.top_down_genes);
  c.SetList("pathways", n.top_pathways);
  c.SetList("unavailable", n.unavailable_components);
  c.SetLink("report_url", n.report_url, n.report_link);
  c.SetLink("anndata_url", n.anndata_url, n.anndata_link);
  c.SetLink("log_url", n.log_url, n.log_link);
  c.SetFlag("has_links_expire", n.links_expire_at.has_value());
  if (n.links_expire_at) {
    c.Set("links_expire",
          absl::FormatTime("%Y-%m-%d %H:%M UTC", *n.links_expire_at, absl::UTCTimeZone()));
  }
  c.Set("error_type", n.error_type.empty() ? "Error" : n.error_type);
  c.Set("error_message", n.error_message);
  c.SetFlag("has_error_phase", n.error_phase.has_value());
  if (n.error_phase) c.Set("error_phase", EnumName(*n.error_phase));
  c.SetFlag("has_error_iteration", n.error_iteration.has_value());
  if (n.error_iteration) c.Set("error_iteration", std::to_string(*n.error_iteration));
  return c.Build();
}

}  // namespace

absl::StatusOr<RenderedEmail> RenderEmail(const RunNotification& notification,
                                          const EmailTemplateOptions& options) {
  RenderedEmail email;
  email.subject = Subject(notification, options);
  try {
    email.text = mstch::render(std::string(notify_internal::kTextTemplate),
                               BuildContext(notification, options, /*html=*/false));
    email.html = mstch::render(std::string(notify_internal::kHtmlTemplate),
                               BuildContext(notification, options, /*html=*/true));
  } catch (const std::exception& e) {
    return MakeError(ErrorKind::kNotification, absl::StatusCode::kInternal,
                     absl::StrCat("rendering the ", std::string(EnumName(notification.kind)),
                                  " email failed: ", e.what()));
  }
  return email;
}

}  // namespace haystack
