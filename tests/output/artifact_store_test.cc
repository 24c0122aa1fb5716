#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "fake_gcs.h"
#include "haystack/core/environment.h"
#include "haystack/core/json.h"
#include "haystack/output/crc32c.h"
#include "haystack/output/gcs_artifact_store.h"
#include "haystack/output/local_artifact_store.h"
#include "haystack/output/open_artifact_store.h"
#include "service_account_key.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::FakeGcs;
using testing::GcsFault;
using testing::GcsRequest;
using testing::ServiceAccountKey;

std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

TEST_CASE("CRC-32C matches the published check values") {
  CHECK(Crc32c("123456789") == 0xE3069283u);                   // the CRC catalogue's check value
  CHECK(Crc32c(std::string(32, '\0')) == 0x8A9136AAu);         // RFC 3720 §B.4
  CHECK(Crc32c(std::string(32, '\xff')) == 0x62A8AB43u);       // RFC 3720 §B.4
  CHECK(Crc32cToBase64(Crc32c("hello world")) == "yZRlqg==");  // GCS docs' example
  CHECK(Crc32c("world", Crc32c("hello ")) == Crc32c("hello world"));
  auto parsed = Crc32cFromBase64("yZRlqg==");
  REQUIRE(parsed.ok());
  CHECK(*parsed == Crc32c("hello world"));
  CHECK_FALSE(Crc32cFromBase64("nope").ok());
}

TEST_CASE("artifact paths never escape the root") {
  CHECK(ValidateArtifactPath("runs/hay_1/report.md").ok());
  CHECK(RunArtifactPath("hay_1", "log.json") == "runs/hay_1/log.json");
  for (const char* bad : {"", "/etc/passwd", "runs/../x", "runs//x", "./x", "a\\b", "a\nb"}) {
    INFO(bad);
    auto status = ValidateArtifactPath(bad);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(GetErrorKind(status) == ErrorKind::kStorage);
  }
}

TEST_CASE("the local store writes create-only and atomically") {
  testing::TempDir dir;
  LocalArtifactStore store(dir.path() / "results");
  auto first = store.Put("runs/hay_1/report.md", "# Report\n", "text/markdown");
  REQUIRE(first.ok());
  CHECK(first->uri == (dir.path() / "results/runs/hay_1/report.md").string());
  CHECK_FALSE(first->already_existed);
  CHECK(testing::ReadFile(first->uri) == "# Report\n");

  auto retry = store.Put("runs/hay_1/report.md", "# Report\n", "text/markdown");
  REQUIRE(retry.ok());
  CHECK(retry->already_existed);

  auto different = store.Put("runs/hay_1/report.md", "# Other\n", "text/markdown");
  REQUIRE_FALSE(different.ok());
  CHECK(different.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(testing::ReadFile(first->uri) == "# Report\n");

  auto back = store.Get("runs/hay_1/report.md");
  REQUIRE(back.ok());
  CHECK(*back == "# Report\n");
  CHECK(store.Get("runs/hay_1/missing").status().code() == absl::StatusCode::kNotFound);
  // No temporary files left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path() / "results/runs/hay_1")) {
    CHECK(e.path().filename() == "report.md");
    ++entries;
  }
  CHECK(entries == 1);
}

struct GcsFixture {
  FakeGcs fake;
  FakeClock clock{absl::FromUnixSeconds(1'800'000'000)};
  std::vector<absl::Duration> sleeps;
  HttpClient http{HttpClientOptions{.total_timeout = absl::Seconds(20)}, clock, Logger::Null(),
                  [this](absl::Duration d) { sleeps.push_back(d); }};
  MetadataServerTokenSource auth{http, clock, fake.url()};
  GcsArtifactStore store{GcsOptions{.location = {FakeGcs::kBucket, "prod"},
                                    .endpoint = fake.url(),
                                    .resumable_threshold = 512 * 1024,
                                    .chunk_size = 1 << 20},
                         http, auth, Logger::Null()};
  GcsFixture() { fake.RequireAuth(true); }
};

TEST_CASE("a small object goes up in one multipart request with its crc32c") {
  GcsFixture f;
  const std::string data = "{\"run_id\":\"hay_1\"}";
  auto info = f.store.Put("runs/hay_1/log.json", data, "application/json");
  REQUIRE(info.ok());
  CHECK(info->uri == "gs://haystack-test/prod/runs/hay_1/log.json");
  CHECK(info->crc32c == Crc32c(data));
  CHECK(f.fake.Object("prod/runs/hay_1/log.json") == data);
  CHECK(f.fake.Creations("prod/runs/hay_1/log.json") == 1);
  auto back = f.store.Get("runs/hay_1/log.json");
  REQUIRE(back.ok());
  CHECK(*back == data);
  // One token from the metadata server, cached for both requests.
  CHECK(f.fake.TokensIssued() == 1);
  for (const auto& header : f.fake.AuthorizationHeaders())
    CHECK(header == "Bearer metadata-token-1");
}

TEST_CASE("a resumable upload survives 503, a reset mid-chunk and a lost 308") {
  GcsFixture f;
  const std::string data = RandomBytes(3 * (1 << 20) + 12345, 1);
  f.fake.Inject(GcsRequest::kChunk, GcsFault::kNone);                 // chunk 1 ok
  f.fake.Inject(GcsRequest::kChunk, GcsFault::k503);                  // chunk 2: 503
  f.fake.Inject(GcsRequest::kChunk, GcsFault::kPersistHalfAndReset);  // retry: half kept, reset
  f.fake.Inject(GcsRequest::kChunk, GcsFault::kPersistAndReset);      // rest of 2: 308 lost
  auto info = f.store.Put("runs/hay_1/output.h5ad", data, "application/x-hdf5");
  REQUIRE(info.ok());
  CHECK_FALSE(info->already_existed);
  CHECK(f.fake.Object("prod/runs/hay_1/output.h5ad") == data);  // byte-identical
  CHECK(f.fake.Creations("prod/runs/hay_1/output.h5ad") == 1);  // exactly once
  // Every chunk but the last is a 256 KiB multiple, and it resumed from the persisted offset.
  const auto ranges = f.fake.ChunkRanges();
  CHECK(ranges.front() == "bytes 0-1048575/" + std::to_string(data.size()));
  CHECK(std::find(ranges.begin(), ranges.end(),
                  "bytes 1572864-2621439/" + std::to_string(data.size())) != ranges.end());
  CHECK(f.sleeps.size() == 3);  // one backoff per interruption
}

TEST_CASE("a 412 on the retry of a create that succeeded is a success") {
  GcsFixture f;
  SECTION("multipart") {
    f.fake.Inject(GcsRequest::kMultipart, GcsFault::kPersistAndReset);
    auto info = f.store.Put("runs/hay_1/report.md", "# Report\n", "text/markdown");
    REQUIRE(info.ok());
    CHECK(info->already_existed);
    CHECK(f.fake.Creations("prod/runs/hay_1/report.md") == 1);
  }
  SECTION("a retried job re-uploading the same large file") {
    const std::string data = RandomBytes(700'000, 2);
    REQUIRE(f.store.Put("runs/hay_1/output.h5ad", data, "application/x-hdf5").ok());
    auto again = f.store.Put("runs/hay_1/output.h5ad", data, "application/x-hdf5");
    REQUIRE(again.ok());
    CHECK(again->already_existed);
    CHECK(f.fake.Creations("prod/runs/hay_1/output.h5ad") == 1);
  }
}

TEST_CASE("different bytes under an existing name are refused, never overwritten") {
  GcsFixture f;
  f.fake.PutObject("prod/runs/hay_1/report.md", "# Old\n");
  auto info = f.store.Put("runs/hay_1/report.md", "# New\n", "text/markdown");
  REQUIRE_FALSE(info.ok());
  CHECK(info.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(GetErrorKind(info.status()) == ErrorKind::kStorage);
  CHECK(f.fake.Object("prod/runs/hay_1/report.md") == "# Old\n");
}

TEST_CASE("Exists asks for metadata only, a missing object or bucket is false") {
  GcsFixture f;
  REQUIRE(f.store.Put("runs/hay_1/log.json", "{}", "application/json").ok());
  auto present = f.store.Exists("runs/hay_1/log.json");
  REQUIRE(present.ok());
  CHECK(*present);
  auto missing = f.store.Exists("runs/hay_1/nope.json");
  REQUIRE(missing.ok());
  CHECK_FALSE(*missing);
  GcsArtifactStore other_bucket{
      GcsOptions{.location = {"no-such-bucket", ""}, .endpoint = f.fake.url()}, f.http, f.auth,
      Logger::Null()};
  auto no_bucket = other_bucket.Exists("runs/hay_1/log.json");
  REQUIRE(no_bucket.ok());
  CHECK_FALSE(*no_bucket);
  CHECK(f.store.Exists("../x").status().code() == absl::StatusCode::kInvalidArgument);

  testing::TempDir dir;
  LocalArtifactStore local(dir.path());
  REQUIRE(local.Put("a/b.txt", "b", "text/plain").ok());
  CHECK(*local.Exists("a/b.txt"));
  CHECK_FALSE(*local.Exists("a/c.txt"));
}

TEST_CASE("an expired token is refreshed and the upload completes") {
  GcsFixture f;
  const std::string data = RandomBytes(2 * (1 << 20), 3);
  REQUIRE(f.store.Put("runs/hay_1/a.json", "{}", "application/json").ok());
  f.fake.ExpireTokens();
  auto info = f.store.Put("runs/hay_1/output.h5ad", data, "application/x-hdf5");
  REQUIRE(info.ok());
  CHECK(f.fake.Object("prod/runs/hay_1/output.h5ad") == data);
  CHECK(f.fake.TokensIssued() == 2);
}

TEST_CASE("checksum mismatches are clear errors") {
  GcsFixture f;
  SECTION("the server stored different bytes") {
    f.fake.Inject(GcsRequest::kMultipart, GcsFault::kCorrupt);
    auto info = f.store.Put("runs/hay_1/report.md", "# Report\n", "text/markdown");
    REQUIRE_FALSE(info.ok());
    CHECK(info.status().code() == absl::StatusCode::kDataLoss);
    CHECK(std::string(info.status().message()).find("checksum mismatch") != std::string::npos);
  }
  SECTION("the download was corrupted in transit") {
    REQUIRE(f.store.Put("runs/hay_1/report.md", "# Report\n", "text/markdown").ok());
    f.fake.Inject(GcsRequest::kDownload, GcsFault::kCorrupt);
    auto back = f.store.Get("runs/hay_1/report.md");
    REQUIRE_FALSE(back.ok());
    CHECK(back.status().code() == absl::StatusCode::kDataLoss);
    CHECK(std::string(back.status().message()).find("checksum mismatch") != std::string::npos);
  }
}

TEST_CASE("persistent 503s end in a transient storage error") {
  GcsFixture f;
  for (int i = 0; i < 10; ++i) f.fake.Inject(GcsRequest::kMultipart, GcsFault::k503);
  auto info = f.store.Put("runs/hay_1/report.md", "# Report\n", "text/markdown");
  REQUIRE_FALSE(info.ok());
  CHECK(IsTransient(info.status()));
  CHECK(GetErrorKind(info.status()) == ErrorKind::kStorage);
}

TEST_CASE("a service-account key signs an RS256 JWT that the token endpoint accepts") {
  FakeGcs fake;
  fake.RequireAuth(true);
  ServiceAccountKey key;
  fake.TrustServiceAccountKey(key.key);
  FakeClock clock;
  HttpClient http(HttpClientOptions{}, clock, Logger::Null(), [](absl::Duration) {});
  auto source = ServiceAccountTokenSource::Create(key.Json(fake.url() + "/token"), http, clock);
  REQUIRE(source.ok());
  GcsArtifactStore store(GcsOptions{.location = {FakeGcs::kBucket, ""}, .endpoint = fake.url()},
                         http, **source, Logger::Null());
  REQUIRE(store.Put("runs/hay_1/log.json", "{}", "application/json").ok());
  CHECK(fake.AuthorizationHeaders().back() == "Bearer sa-token-1");
  // Cached until close to expiry, then refreshed.
  REQUIRE(store.Put("runs/hay_1/b.json", "{}", "application/json").ok());
  CHECK(fake.TokensIssued() == 1);
  clock.Advance(absl::Minutes(56));
  REQUIRE(store.Put("runs/hay_1/c.json", "{}", "application/json").ok());
  CHECK(fake.TokensIssued() == 2);

  // A key the endpoint does not trust is refused with a clear error.
  ServiceAccountKey other;
  auto untrusted =
      ServiceAccountTokenSource::Create(other.Json(fake.url() + "/token"), http, clock);
  REQUIRE(untrusted.ok());
  auto token = (*untrusted)->Token();
  REQUIRE_FALSE(token.ok());
  CHECK(GetErrorKind(token.status()) == ErrorKind::kStorage);
  CHECK(std::string(token.status().message()).find("HTTP 400") != std::string::npos);
  CHECK(std::string(token.status().message()).find("PRIVATE KEY") == std::string::npos);

  CHECK(
      ServiceAccountTokenSource::Create("{\"client_email\":\"x\"}", http, clock).status().code() ==
      absl::StatusCode::kInvalidArgument);
}

TEST_CASE("the artifact location picks the store, emulator variables switch auth off") {
  FakeGcs fake;
  FakeClock clock;
  testing::TempDir dir;
  {
    MapEnvironment env;
    auto local = OpenArtifactStore(dir.File("results"), env, clock, Logger::Null());
    REQUIRE(local.ok());
    REQUIRE(local->store->Put("runs/hay_1/x.txt", "x", "text/plain").ok());
    CHECK(testing::ReadFile(dir.path() / "results/runs/hay_1/x.txt") == "x");
  }
  for (const char* variable : {"STORAGE_EMULATOR_HOST", "CLOUD_STORAGE_EMULATOR_ENDPOINT"}) {
    MapEnvironment env({{variable, fake.url()}});
    auto gcs = OpenArtifactStore("gs://haystack-test/pre/fix/", env, clock, Logger::Null());
    REQUIRE(gcs.ok());
    const std::string path = std::string("runs/hay_1/") + variable;
    REQUIRE(gcs->store->Put(path, "x", "text/plain").ok());
    CHECK(fake.Object("pre/fix/" + path) == "x");
    CHECK(fake.AuthorizationHeaders().back().empty());
    CHECK(gcs->store->Uri(path) == "gs://haystack-test/pre/fix/" + path);
  }
  MapEnvironment env;
  CHECK(OpenArtifactStore("gs://", env, clock, Logger::Null()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(OpenArtifactStore("gs://Bad_Bucket!/x", env, clock, Logger::Null()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  MapEnvironment missing_key({{"GOOGLE_APPLICATION_CREDENTIALS", dir.File("nope.json")}});
  auto no_key = OpenArtifactStore("gs://b/p", missing_key, clock, Logger::Null());
  REQUIRE_FALSE(no_key.ok());
  CHECK(GetErrorKind(no_key.status()) == ErrorKind::kConfiguration);
}

}  // namespace
}  // namespace haystack
