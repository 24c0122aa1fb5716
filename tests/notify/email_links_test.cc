// The completion email carries links a person can click: signed URLs for outputs in Cloud
// Storage (verified by downloading them from the fake GCS), file:// links in the outbox, the
// app's run page when app_url is set; never a link that would not open.
#include "haystack/notify/email_links.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "haystack/notify/email_templates.h"
#include "haystack/notify/outbox_notifier.h"
#include "sample_notifications.h"
#include "support/fake_gcs.h"
#include "support/service_account_key.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::FakeGcs;
using testing::ServiceAccountKey;

RunNotification CompletedWithOutputs(const std::string& root) {
  RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
  n.report_url = root + "/runs/hay_20261125_abc123/report.html";
  n.anndata_url = root + "/runs/hay_20261125_abc123/output.h5ad";
  n.log_url = root + "/runs/hay_20261125_abc123/log.json";
  return n;
}

// The href of the anchor whose text is `label`.
std::string Href(const std::string& html, const std::string& label) {
  const size_t anchor = html.find("\">" + label + "</a>");
  REQUIRE(anchor != std::string::npos);
  const size_t start = html.rfind("href=\"", anchor);
  REQUIRE(start != std::string::npos);
  return html.substr(start + 6, anchor - start - 6);
}

std::string Unescape(std::string html) {
  for (size_t at = html.find("&amp;"); at != std::string::npos; at = html.find("&amp;", at + 1)) {
    html.replace(at, 5, "&");
  }
  return html;
}

TEST_CASE("outputs in Cloud Storage are signed links that download until they expire") {
  FakeGcs fake;
  ServiceAccountKey key;
  fake.SetServiceAccount(ServiceAccountKey::kEmail, key.key);
  fake.PutObject("runs/hay_20261125_abc123/report.html", "<p>report</p>");
  fake.PutObject("runs/hay_20261125_abc123/output.h5ad", "HDF5 bytes");
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  fake.SetNow(now);
  FakeClock clock{now};
  auto signer = ServiceAccountKeySigner::Create(key.Json());
  REQUIRE(signer.ok());
  EmailLinkOptions options{.signer = signer->get(),
                           .signed_url_expiry = absl::Hours(48),
                           .storage_endpoint = fake.url(),
                           .clock = &clock};
  RunNotification n = CompletedWithOutputs(std::string("gs://") + FakeGcs::kBucket);
  CHECK(AddArtifactLinks(n, options).empty());
  REQUIRE(n.report_link.has_value());
  CHECK(n.links_expire_at == now + absl::Hours(48));

  auto email = RenderEmail(n);
  REQUIRE(email.ok());
  const std::string report = Unescape(Href(email->html, "Interpretation report"));
  CHECK(report == *n.report_link);
  CHECK_THAT(email->text, Catch::Contains("Report: " + *n.report_link));
  CHECK_THAT(email->text, Catch::Contains("The download links work until 2027-01-17 08:00 UTC."));
  CHECK_THAT(email->html, Catch::Contains("The download links work until 2027-01-17 08:00 UTC."));

  HttpClient http(HttpClientOptions{}, clock, Logger::Null());
  auto downloaded = http.Perform({.url = report});
  REQUIRE(downloaded.ok());
  CHECK(downloaded->status == 200);
  CHECK(downloaded->body == "<p>report</p>");
  auto h5ad = http.Perform({.url = Unescape(Href(email->html, "Predictions (AnnData .h5ad)"))});
  REQUIRE(h5ad.ok());
  CHECK(h5ad->body == "HDF5 bytes");
  fake.SetNow(now + absl::Hours(49));
  auto expired = http.Perform({.url = report});
  REQUIRE(expired.ok());
  CHECK(expired->status == 400);
}

TEST_CASE("a link that cannot be signed leaves the location as text, with a reason") {
  FakeGcs fake;  // knows no service account: IAM refuses to sign
  FakeClock clock;
  HttpClient http(HttpClientOptions{}, clock, Logger::Null(), [](absl::Duration) {});
  MetadataServerTokenSource tokens(http, clock, fake.url());
  IamSignBlobSigner signer(http, tokens, fake.url(), fake.url());
  RunNotification n = CompletedWithOutputs("gs://bucket/prefix");
  const auto problems = AddArtifactLinks(n, {.signer = &signer, .clock = &clock});
  REQUIRE(problems.size() == 3);
  CHECK_THAT(problems[0], Catch::Contains("no signed link for gs://bucket/prefix/runs/"));
  CHECK_FALSE(n.report_link.has_value());
  CHECK_FALSE(n.links_expire_at.has_value());
  auto email = RenderEmail(n);
  REQUIRE(email.ok());
  CHECK_THAT(email->html, Catch::Contains("Interpretation report: <code>gs://bucket/prefix/runs/"));
  CHECK(email->html.find("download links work") == std::string::npos);
}

TEST_CASE("the outbox links local outputs as file:// URLs, SendGrid emails never do") {
  testing::TempDir dir;
  FakeClock clock;
  OutboxNotifier outbox(OutboxOptions{.directory = dir.path() / "outbox"}, clock);
  RunNotification n = CompletedWithOutputs((dir.path() / "results dir").string());
  auto receipt = outbox.Send(n);
  REQUIRE(receipt.ok());
  RunNotification linked = n;
  AddArtifactLinks(linked, {.local_file_links = true});
  REQUIRE(linked.report_link.has_value());
  CHECK(*linked.report_link ==
        "file://" + dir.path().string() + "/results%20dir/runs/hay_20261125_abc123/report.html");

  // Without local links (SendGrid's setting) the path is shown as text, not linked.
  RunNotification remote = n;
  AddArtifactLinks(remote, {});
  auto email = RenderEmail(remote);
  REQUIRE(email.ok());
  CHECK(email->html.find("file://") == std::string::npos);
  CHECK_THAT(email->html, Catch::Contains("Interpretation report: <code>" + dir.path().string()));

  auto with_links = RenderEmail(linked);
  REQUIRE(with_links.ok());
  CHECK(Href(with_links->html, "Interpretation report") == *linked.report_link);
  // The app's run page stays the button; hostile locations are never links.
  CHECK(Href(with_links->html, "View the run") ==
        "https://app.example.org/runs/hay_20261125_abc123");
  RunNotification hostile = n;
  hostile.report_url = "javascript:alert(1)";
  hostile.log_url = "relative/path.json";
  AddArtifactLinks(hostile, {.local_file_links = true});
  CHECK_FALSE(hostile.report_link.has_value());
  CHECK_FALSE(hostile.log_link.has_value());
}

}  // namespace
}  // namespace haystack
