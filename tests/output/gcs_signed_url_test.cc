// V4 signed URLs: checked against Google's published conformance vectors, and end to end
// against the fake Cloud Storage, which verifies the signature the way GCS does.
#include "haystack/output/gcs_signed_url.h"

#include <catch2/catch.hpp>

#include "fake_gcs.h"
#include "haystack/core/environment.h"
#include "service_account_key.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::FakeGcs;
using testing::ServiceAccountKey;

// The inactive dummy service account of googleapis/conformance-tests (storage/v1/
// service-account, "a dummy service account JSON file that is inactive. It's fine for it to be
// public"); the expected URLs are that repository's storage/v1/v4_signatures.json.
constexpr char kConformanceKey[] = R"({
  "type": "service_account",
  "project_id": "dummy-project-id",
  "private_key_id": "ffffffffffffffffffffffffffffffffffffffff",
  "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCsPzMirIottfQ2\nryjQmPWocSEeGo7f7Q4/tMQXHlXFzo93AGgU2t+clEj9L5loNhLVq+vk+qmnyDz5\nQ04y8jVWyMYzzGNNrGRW/yaYqnqlKZCy1O3bmnNjV7EDbC/jE1ZLBY0U3HaSHfn6\nS9ND8MXdgD0/ulRTWwq6vU8/w6i5tYsU7n2LLlQTl1fQ7/emO9nYcCFJezHZVa0H\nmeWsdHwWsok0skwQYQNIzP3JF9BpR5gJT2gNge6KopDesJeLoLzaX7cUnDn+CAnn\nLuLDwwSsIVKyVxhBFsFXPplgpaQRwmGzwEbf/Xpt9qo26w2UMgn30jsOaKlSeAX8\ncS6ViF+tAgMBAAECggEACKRuJCP8leEOhQziUx8Nmls8wmYqO4WJJLyk5xUMUC22\nSI4CauN1e0V8aQmxnIc0CDkFT7qc9xBmsMoF+yvobbeKrFApvlyzNyM7tEa/exh8\nDGD/IzjbZ8VfWhDcUTwn5QE9DCoon9m1sG+MBNlokB3OVOt8LieAAREdEBG43kJu\nyQTOkY9BGR2AY1FnAl2VZ/jhNDyrme3tp1sW1BJrawzR7Ujo8DzlVcS2geKA9at7\n55ua5GbHz3hfzFgjVXDfnkWzId6aHypUyqHrSn1SqGEbyXTaleKTc6Pgv0PgkJjG\nhZazWWdSuf1T5Xbs0OhAK9qraoAzT6cXXvMEvvPt6QKBgQDXcZKqJAOnGEU4b9+v\nOdoh+nssdrIOBNMu1m8mYbUVYS1aakc1iDGIIWNM3qAwbG+yNEIi2xi80a2RMw2T\n9RyCNB7yqCXXVKLBiwg9FbKMai6Vpk2bWIrzahM9on7AhCax/X2AeOp+UyYhFEy6\nUFG4aHb8THscL7b515ukSuKb5QKBgQDMq+9PuaB0eHsrmL6q4vHNi3MLgijGg/zu\nAXaPygSYAwYW8KglcuLZPvWrL6OG0+CrfmaWTLsyIZO4Uhdj7MLvX6yK7IMnagvk\nL3xjgxSklEHJAwi5wFeJ8ai/1MIuCn8p2re3CbwISKpvf7Sgs/W4196P4vKvTiAz\njcTiSYFIKQKBgCjMpkS4O0TakMlGTmsFnqyOneLmu4NyIHgfPb9cA4n/9DHKLKAT\noaWxBPgatOVWs7RgtyGYsk+XubHkpC6f3X0+15mGhFwJ+CSE6tN+l2iF9zp52vqP\nQwkjzm7+pdhZbmaIpcq9m1K+9lqPWJRz/3XXuqi+5xWIZ7NaxGvRjqaNAoGAdK2b\nutZ2y48XoI3uPFsuP+A8kJX+CtWZrlE1NtmS7tnicdd19AtfmTuUL6fz0FwfW4Su\nlQZfPT/5B339CaEiq/Xd1kDor+J7rvUHM2+5p+1A54gMRGCLRv92FQ4EON0RC1o9\nm2I4SHysdO3XmjmdXmfp4BsgAKJIJzutvtbqlakCgYB+Cb10z37NJJ+WgjDt+yT2\nyUNH17EAYgWXryfRgTyi2POHuJitd64Xzuy6oBVs3wVveYFM6PIKXlj8/DahYX5I\nR2WIzoCNLL3bEZ+nC6Jofpb4kspoAeRporj29SgesK6QBYWHWX2H645RkRGYGpDo\n51gjy9m/hSNqBbH2zmh04A==\n-----END PRIVATE KEY-----\n",
  "client_email": "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com",
  "token_uri": "https://oauth2.googleapis.com/token"
})";

struct Vector {
  const char* description;
  const char* bucket;
  const char* object;
  int64_t expiration;
  const char* timestamp;
  const char* expected_url;
};

constexpr Vector kVectors[] = {
    {"Simple GET", "test-bucket", "test-object", 10, "2019-02-01T09:00:00Z",
     "https://storage.googleapis.com/test-bucket/"
     "test-object?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-"
     "project-id.iam.gserviceaccount.com%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date="
     "20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&X-Goog-Signature="
     "95e6a13d43a1d1962e667f17397f2b80ac9bdd1669210d5e08e0135df9dff4e56113485dbe429ca2266487b9d1796"
     "ebdee2d7cf682a6ef3bb9fbb4c351686fba90d7b621cf1c4eb1fdf126460dd25fa0837dfdde0a9fd98662ce60844c"
     "458448fb2b352c203d9969cb74efa4bdb742287744a4f2308afa4af0e0773f55e32e92973619249214b97283b2daa"
     "14195244444e33f938138d1e5f561088ce8011f4986dda33a556412594db7c12fc40e1ff3f1bedeb7a42f5bcda0b9"
     "567f17f65855f65071fabb88ea12371877f3f77f10e1466fff6ff6973b74a933322ff0949ce357e20abe96c3dd5cf"
     "ab42c9c83e740a4d32b9e11e146f0eb3404d2e975896f74"},
    {"Vary expiration and timestamp", "test-bucket", "test-object", 20, "2019-03-01T09:00:00Z",
     "https://storage.googleapis.com/test-bucket/"
     "test-object?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-"
     "project-id.iam.gserviceaccount.com%2F20190301%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date="
     "20190301T090000Z&X-Goog-Expires=20&X-Goog-SignedHeaders=host&X-Goog-Signature="
     "9669ed5b10664dc594c758296580662912cf4bcc5a4ba0b6bf055bcbf6f34eed7bdad664f534962174a924741a0c2"
     "73a4f67bc1847cef20192a6beab44223bd9d4fbbd749c407b79997598c30f82ddc269ff47ec09fa3afe74e00616d4"
     "38df0d96a7d8ad0adacfad1dc3286f864d924fe919fb0dce45d3d975c5afe8e13af2db9cc37ba77835f92f7669b61"
     "e94c6d562196c1274529e76cfff1564cc2cad7d5387dc8e12f7a5dfd925685fe92c30b43709eee29fa2f66067472c"
     "ee5423d1a3a4182fe8cea75c9329d181dc6acad7c393cd04f8bf5bc0515127d8ebd65d80c08e19ad03316053ea600"
     "33fd1b1fd85a69c576415da3bf0a3718d9ea6d03e0d66f0"},
    {"Vary bucket and object", "test-bucket2", "test-object2", 10, "2019-02-01T09:00:00Z",
     "https://storage.googleapis.com/test-bucket2/"
     "test-object2?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%"
     "40dummy-project-id.iam.gserviceaccount.com%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-"
     "Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&X-Goog-Signature="
     "36e3d58dfd3ec1d2dd2f24b5ee372a71e811ffaa2162a2b871d26728d0354270bc116face87127532969c4a3967ed"
     "05b7309af741e19c7202f3167aa8c2ac420b61417d6451442bb91d7c822cd17be8783f01e05372769c88913561d27"
     "e6660dd8259f0081a71f831be6c50283626cbf04494ac10c394b29bb3bce74ab91548f58a37118a452693cf0483d7"
     "7561fc9cac8f1765d2c724994cca46a83517a10157ee0347a233a2aaeae6e6ab5e204ff8fc5f54f90a3efdb8301d9"
     "fff5475d58cd05b181affd657f48203f4fb133c3a3d355b8eefbd10d5a0a5fd70d06e9515460ad74e22334b2cba4b"
     "29cae4f6f285cdb92d8f3126d7a1479ca3bdb69c207d860"},
};

absl::Time At(const char* rfc3339) {
  absl::Time t;
  std::string error;
  REQUIRE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error));
  return t;
}

TEST_CASE("signed URLs match Google's conformance vectors") {
  auto signer = ServiceAccountKeySigner::Create(kConformanceKey);
  REQUIRE(signer.ok());
  for (const Vector& v : kVectors) {
    INFO(v.description);
    auto url = SignGcsUrl({.bucket = v.bucket,
                           .object = v.object,
                           .now = At(v.timestamp),
                           .expires = absl::Seconds(v.expiration)},
                          **signer);
    REQUIRE(url.ok());
    CHECK(*url == v.expected_url);
  }
}

TEST_CASE("object names are percent-encoded, their slashes kept") {
  auto parts = CanonicalizeSignedUrl({.bucket = "b",
                                      .object = "runs/hay 1/amper&sand/r\xC3\xA9port.html",
                                      .now = absl::FromUnixSeconds(0),
                                      .expires = absl::Hours(1)},
                                     "sa@p.iam.gserviceaccount.com");
  REQUIRE(parts.ok());
  CHECK_THAT(parts->canonical_request,
             Catch::StartsWith("GET\n/b/runs/hay%201/amper%26sand/r%C3%A9port.html\n"));
  CHECK_THAT(parts->canonical_request,
             Catch::EndsWith("\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD"));
  CHECK_THAT(parts->string_to_sign,
             Catch::StartsWith("GOOG4-RSA-SHA256\n19700101T000000Z\n19700101/auto/storage/"
                               "goog4_request\n"));
}

TEST_CASE("an expiry outside 1 s to 7 days is refused") {
  for (absl::Duration expires : {absl::ZeroDuration(), absl::Hours(7 * 24) + absl::Seconds(1)}) {
    auto parts = CanonicalizeSignedUrl(
        {.bucket = "b", .object = "o", .now = absl::UnixEpoch(), .expires = expires}, "sa@p");
    REQUIRE_FALSE(parts.ok());
    CHECK(GetErrorKind(parts.status()) == ErrorKind::kStorage);
    CHECK_THAT(std::string(parts.status().message()), Catch::Contains("1 s to 7 days"));
  }
}

// Fetches `url` and returns the status and body.
std::pair<int, std::string> Fetch(HttpClient& http, const std::string& url) {
  auto response = http.Perform(HttpRequest{.url = url});
  REQUIRE(response.ok());
  return {response->status, response->body};
}

TEST_CASE("a key-signed URL downloads the object from the fake GCS until it expires") {
  FakeGcs fake;
  ServiceAccountKey key;
  fake.SetServiceAccount(ServiceAccountKey::kEmail, key.key);
  fake.PutObject("runs/hay_1/report.html", "<p>the report</p>");
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  fake.SetNow(now);
  auto signer = ServiceAccountKeySigner::Create(key.Json());
  REQUIRE(signer.ok());
  SignedUrlRequest request{.bucket = FakeGcs::kBucket,
                           .object = "runs/hay_1/report.html",
                           .now = now,
                           .expires = absl::Hours(24),
                           .endpoint = fake.url()};
  auto url = SignGcsUrl(request, **signer);
  REQUIRE(url.ok());
  FakeClock clock;
  HttpClient http(HttpClientOptions{}, clock, Logger::Null());
  CHECK(Fetch(http, *url) == std::pair<int, std::string>{200, "<p>the report</p>"});

  // Another object under the same signature, a changed expiry, or another key: refused.
  std::string other_object = *url;
  other_object.replace(other_object.find("report.html"), 11, "output.h5ad");
  CHECK(Fetch(http, other_object).first == 403);
  std::string longer = *url;
  longer.replace(longer.find("X-Goog-Expires=86400"), 20, "X-Goog-Expires=86401");
  CHECK(Fetch(http, longer).first == 403);
  ServiceAccountKey impostor;
  auto impostor_signer = ServiceAccountKeySigner::Create(impostor.Json());
  REQUIRE(impostor_signer.ok());
  auto forged = SignGcsUrl(request, **impostor_signer);
  REQUIRE(forged.ok());
  CHECK(Fetch(http, *forged).first == 403);

  fake.SetNow(now + absl::Hours(24) + absl::Seconds(1));
  const auto expired = Fetch(http, *url);
  CHECK(expired.first == 400);
  CHECK_THAT(expired.second, Catch::Contains("ExpiredToken"));
}

TEST_CASE("with metadata-server credentials, IAM signBlob signs for the service account") {
  FakeGcs fake;
  ServiceAccountKey key;
  fake.SetServiceAccount(ServiceAccountKey::kEmail, key.key);
  fake.RequireAuth(true);
  fake.PutObject("runs/hay_1/log.json", "{}");
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  fake.SetNow(clock.Now());
  HttpClient http(HttpClientOptions{}, clock, Logger::Null(), [](absl::Duration) {});
  MetadataServerTokenSource tokens(http, clock, fake.url());
  IamSignBlobSigner signer(http, tokens, fake.url(), fake.url());
  auto email = signer.ServiceAccountEmail();
  REQUIRE(email.ok());
  CHECK(*email == ServiceAccountKey::kEmail);
  auto url = SignGcsUrl({.bucket = FakeGcs::kBucket,
                         .object = "runs/hay_1/log.json",
                         .now = clock.Now(),
                         .expires = absl::Hours(1),
                         .endpoint = fake.url()},
                        signer);
  REQUIRE(url.ok());
  CHECK(Fetch(http, *url) == std::pair<int, std::string>{200, "{}"});
  CHECK(fake.SignBlobRequests() == 1);
  CHECK(fake.AuthorizationHeaders().back() == "Bearer metadata-token-1");

  // A service account that may not sign for itself: the error names IAM's answer.
  FakeGcs refusing;
  refusing.SetServiceAccount("other@proj.iam.gserviceaccount.com", nullptr);
  MetadataServerTokenSource other_tokens(http, clock, refusing.url());
  IamSignBlobSigner refused(http, other_tokens, refusing.url(), refusing.url());
  auto denied = refused.Sign("x");
  REQUIRE_FALSE(denied.ok());
  CHECK(GetErrorKind(denied.status()) == ErrorKind::kStorage);
  CHECK_THAT(std::string(denied.status().message()), Catch::Contains("HTTP 403"));
  CHECK_THAT(std::string(denied.status().message()), Catch::Contains("signBlob"));
}

TEST_CASE("the signer follows the artifact store's credentials") {
  FakeClock clock;
  {
    MapEnvironment env;
    env.Set("STORAGE_EMULATOR_HOST", "localhost:4443");
    auto opened = OpenUrlSigner(env, clock, Logger::Null());
    REQUIRE(opened.ok());
    CHECK(opened->signer == nullptr);
  }
  testing::TempDir dir;
  ServiceAccountKey key;
  testing::WriteFile(dir.path() / "key.json", key.Json());
  {
    MapEnvironment env;
    env.Set("GOOGLE_APPLICATION_CREDENTIALS", dir.File("key.json"));
    auto opened = OpenUrlSigner(env, clock, Logger::Null());
    REQUIRE(opened.ok());
    REQUIRE(opened->signer != nullptr);
    CHECK(*opened->signer->ServiceAccountEmail() == ServiceAccountKey::kEmail);
  }
  {
    MapEnvironment env;
    env.Set("GOOGLE_APPLICATION_CREDENTIALS", dir.File("missing.json"));
    auto opened = OpenUrlSigner(env, clock, Logger::Null());
    REQUIRE_FALSE(opened.ok());
    CHECK(GetErrorKind(opened.status()) == ErrorKind::kConfiguration);
  }
  {
    MapEnvironment env;
    auto opened = OpenUrlSigner(env, clock, Logger::Null());
    REQUIRE(opened.ok());
    CHECK(opened->signer != nullptr);  // IAM signBlob; no request until a link is signed
  }
}

}  // namespace
}  // namespace haystack
