#include "haystack/notify/email_templates.h"

#include <catch2/catch.hpp>

#include "haystack/http/encoding.h"
#include "sample_notifications.h"

namespace haystack {
namespace {

using testing::HostileQuery;
using testing::SampleNotification;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("the completed email shows score, genes, pathways, fallback and links") {
  auto email = RenderEmail(SampleNotification(NotificationKind::kRunCompleted));
  REQUIRE(email.ok());
  CHECK(email->subject ==
        "HAYSTACK: run completed, score 8/10 \xE2\x80\x94 How would CD14+ monocytes respond to "
        "IFN-gamma?");
  for (const std::string* part : {&email->text, &email->html}) {
    CHECK(Contains(*part, "8/10"));
    CHECK(Contains(*part, "CXCL10"));
    CHECK(Contains(*part, "response to interferon-gamma (GO:0034341)"));
    CHECK(Contains(*part, "query_as_control"));
    CHECK(Contains(*part, "fallback"));
    CHECK(Contains(*part, "literature_support"));
    CHECK(Contains(*part, "hay_20261125_abc123"));
    CHECK(Contains(*part, "gs://b/runs/hay_20261125_abc123/output.h5ad"));
  }
  CHECK(Contains(email->html, R"(<a class="button" href="https://app.example.org/runs/)"));
  CHECK(Contains(email->html, R"(<a href="https://storage.googleapis.com/b/runs/)"));
  // A gs:// location is shown as text, a javascript: one never becomes a link.
  CHECK_FALSE(Contains(email->html, R"(href="gs://)"));
  CHECK_FALSE(Contains(email->html, R"(href="javascript)"));
  // Accessible layout: language, presentation tables, one h1.
  CHECK(Contains(email->html, R"(<html lang="en")"));
  CHECK(Contains(email->html, R"(<table role="presentation")"));
  CHECK(email->html.find("<h1>") == email->html.rfind("<h1>"));
}

TEST_CASE("the failed email names the error, phase and iteration") {
  auto email = RenderEmail(SampleNotification(NotificationKind::kRunFailed));
  REQUIRE(email.ok());
  CHECK(Contains(email->subject, "run failed"));
  CHECK(Contains(email->text, "What went wrong: InferenceError"));
  CHECK(Contains(email->text, "unreachable <b>3</b> times"));
  CHECK(Contains(email->text, "Phase: inference"));
  CHECK(Contains(email->text, "Iteration: 2"));
  CHECK(Contains(email->html, "unreachable &lt;b&gt;3&lt;/b&gt; times"));
  CHECK_FALSE(Contains(email->html, "8/10"));
}

TEST_CASE("the cancelled email says so and has no results section") {
  auto email = RenderEmail(SampleNotification(NotificationKind::kRunCancelled));
  REQUIRE(email.ok());
  CHECK(Contains(email->subject, "run cancelled"));
  CHECK(Contains(email->text, "cancelled as requested after 3 finished iterations"));
  CHECK_FALSE(Contains(email->html, "<h2>Files</h2>"));
}

TEST_CASE("hostile query text is escaped in HTML, intact in text, one line in the subject") {
  for (bool huge : {false, true}) {
    RunNotification n = SampleNotification(NotificationKind::kRunCompleted);
    n.raw_query = HostileQuery(huge);
    auto email = RenderEmail(n);
    REQUIRE(email.ok());
    CHECK(email->subject.find('\r') == std::string::npos);
    CHECK(email->subject.find('\n') == std::string::npos);
    CHECK(email->subject.size() < 160);
    CHECK_FALSE(Contains(email->html, "<script>"));
    CHECK(Contains(email->html, "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"));
    CHECK(Contains(email->html, "&quot;quoted&quot; &amp; &#x27;single&#x27;"));
    // RTL text and emoji pass through intact.
    CHECK(Contains(email->html, "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC"));
    CHECK(Contains(email->text, "<script>alert('x')</script> \"quoted\" & 'single'"));
    if (huge) {
      // Cut at a code point boundary and marked, so the email stays a readable size.
      CHECK(email->html.size() < 20'000);
      CHECK(Contains(email->text, "(shortened)"));
      CHECK_FALSE(Contains(email->text, "END"));
    } else {
      CHECK_FALSE(Contains(email->text, "(shortened)"));
    }
  }
}

TEST_CASE("a hostile results URL is never a link") {
  RunNotification n = SampleNotification(NotificationKind::kRunCancelled);
  n.results_url = "https://x.org/runs/\"><script>alert(1)</script>";
  auto email = RenderEmail(n);
  REQUIRE(email.ok());
  CHECK_FALSE(Contains(email->html, "<script>"));
  CHECK_FALSE(Contains(email->html, "View the run"));
}

}  // namespace
}  // namespace haystack
