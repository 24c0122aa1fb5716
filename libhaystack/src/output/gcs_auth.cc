#include "haystack/output/gcs_auth.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "haystack/http/encoding.h"

namespace haystack {
namespace {

constexpr char kStorageScope[] = "https://www.googleapis.com/auth/devstorage.read_write";

absl::Status StorageError(absl::StatusCode code, std::string_view message) {
  return MakeError(ErrorKind::kStorage, code, message);
}

std::string Base64Url(std::string_view data) {
  return absl::WebSafeBase64Escape(absl::string_view(data.data(), data.size()));
}

// {"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}
absl::StatusOr<std::pair<std::string, absl::Duration>> ParseTokenResponse(
    const HttpResponse& response, std::string_view service);

// Asks `service` for a token with `request` and caches it.
absl::StatusOr<std::string> FetchToken(HttpClient& http, const HttpRequest& request,
                                       std::string_view service, CachedToken& cache,
                                       const Clock& clock) {
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response,
                            http.Execute(request, RetryPolicy{}, ErrorKind::kStorage));
  HAYSTACK_ASSIGN_OR_RETURN(auto parsed, ParseTokenResponse(response, service));
  cache.Set(parsed.first, parsed.second, clock.Now());
  return parsed.first;
}

absl::StatusOr<std::pair<std::string, absl::Duration>> ParseTokenResponse(
    const HttpResponse& response, std::string_view service) {
  if (response.status != 200) {
    return StorageError(
        response.status >= 500 ? absl::StatusCode::kUnavailable
                               : StatusCodeForHttp(response.status),
        absl::StrCat(std::string(service), " returned HTTP ", response.status,
                     " for an access token: ", QuoteForMessage(RedactSecrets(response.body), 200)));
  }
  auto doc = ParseJsonBody(response, service, ErrorKind::kStorage);
  if (!doc.ok()) return doc.status();
  std::string token;
  int64_t expires_in = 0;
  auto reader = JsonObjectReader::Create(*doc, service);
  if (!reader.ok()) return reader.status();
  HAYSTACK_RETURN_IF_ERROR(reader->Required("access_token", &token));
  HAYSTACK_RETURN_IF_ERROR(reader->Required("expires_in", &expires_in));
  return std::make_pair(std::move(token), absl::Seconds(expires_in));
}

}  // namespace

std::optional<std::string> CachedToken::Get(absl::Time now) const {
  if (!token_ || now >= refresh_at_) return std::nullopt;
  return token_;
}

void CachedToken::Set(std::string token, absl::Duration expires_in, absl::Time now) {
  token_ = std::move(token);
  refresh_at_ =
      now + std::max(absl::ZeroDuration(), std::min(expires_in - margin_, expires_in / 2));
}

void CachedToken::Clear() { token_.reset(); }

MetadataServerTokenSource::MetadataServerTokenSource(HttpClient& http, const Clock& clock,
                                                     std::string metadata_url)
    : http_(http), clock_(clock), metadata_url_(std::move(metadata_url)) {}

absl::StatusOr<std::string> MetadataServerTokenSource::Token() {
  std::lock_guard lock(mu_);
  if (auto token = cache_.Get(clock_.Now())) return *token;
  HttpRequest request{
      .url = metadata_url_ + "/computeMetadata/v1/instance/service-accounts/default/token",
      .headers = {{"Metadata-Flavor", "Google"}},
      .idempotent = true};
  return FetchToken(http_, request, "the metadata server", cache_, clock_);
}

void MetadataServerTokenSource::Invalidate() {
  std::lock_guard lock(mu_);
  cache_.Clear();
}

absl::StatusOr<std::unique_ptr<ServiceAccountTokenSource>> ServiceAccountTokenSource::Create(
    std::string_view key_json, HttpClient& http, const Clock& clock) {
  HAYSTACK_ASSIGN_OR_RETURN(ServiceAccountKey key, ParseServiceAccountKey(key_json));
  std::unique_ptr<ServiceAccountTokenSource> source(new ServiceAccountTokenSource(http, clock));
  source->client_email_ = std::move(key.client_email);
  source->private_key_pem_ = std::move(key.private_key_pem);
  source->private_key_id_ = std::move(key.private_key_id);
  source->token_uri_ = std::move(key.token_uri);
  // Fail at startup, not at the first upload, if the key cannot sign.
  auto probe = source->Assertion(clock.Now());
  if (!probe.ok()) {
    return ConfigurationError(
        absl::StrCat("service account key: ", std::string(probe.status().message())));
  }
  return source;
}

absl::StatusOr<std::string> ServiceAccountTokenSource::Assertion(absl::Time now) const {
  rapidjson::StringBuffer header_buffer;
  JsonWriter header(header_buffer);
  header.StartObject();
  WriteMember(header, "alg", std::string_view("RS256"));
  WriteMember(header, "typ", std::string_view("JWT"));
  if (!private_key_id_.empty()) WriteMember(header, "kid", private_key_id_);
  header.EndObject();
  rapidjson::StringBuffer claims_buffer;
  JsonWriter claims(claims_buffer);
  const int64_t iat = absl::ToUnixSeconds(now);
  claims.StartObject();
  WriteMember(claims, "iss", client_email_);
  WriteMember(claims, "sub", client_email_);
  WriteMember(claims, "scope", std::string_view(kStorageScope));
  WriteMember(claims, "aud", token_uri_);
  WriteMember(claims, "iat", iat);
  WriteMember(claims, "exp", iat + 3600);
  claims.EndObject();
  return SignJwtRs256(std::string_view(header_buffer.GetString(), header_buffer.GetSize()),
                      std::string_view(claims_buffer.GetString(), claims_buffer.GetSize()),
                      private_key_pem_);
}

absl::StatusOr<std::string> ServiceAccountTokenSource::Token() {
  std::lock_guard lock(mu_);
  if (auto token = cache_.Get(clock_.Now())) return *token;
  HAYSTACK_ASSIGN_OR_RETURN(std::string assertion, Assertion(clock_.Now()));
  HttpRequest request{
      .method = "POST",
      .url = token_uri_,
      .headers = {{"Content-Type", "application/x-www-form-urlencoded"}},
      .body = absl::StrCat("grant_type=", UrlEncode("urn:ietf:params:oauth:grant-type:jwt-bearer"),
                           "&assertion=", assertion),
      // Exchanging the same assertion twice only mints two tokens.
      .idempotent = true};
  return FetchToken(http_, request, "the OAuth token endpoint", cache_, clock_);
}

void ServiceAccountTokenSource::Invalidate() {
  std::lock_guard lock(mu_);
  cache_.Clear();
}

absl::StatusOr<std::string> SignRsaSha256(std::string_view data, std::string_view private_key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr,
      &EVP_PKEY_free);
  if (!key) {
    return ConfigurationError("the private key is not a PEM RSA private key");
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return ConfigurationError("the private key cannot make an RS256 signature");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return ConfigurationError("RS256 signing failed");
  }
  signature.resize(length);
  return signature;
}

absl::StatusOr<std::string> SignJwtRs256(std::string_view header_json, std::string_view claims_json,
                                         std::string_view private_key_pem) {
  const std::string signing_input =
      absl::StrCat(Base64Url(header_json), ".", Base64Url(claims_json));
  HAYSTACK_ASSIGN_OR_RETURN(std::string signature, SignRsaSha256(signing_input, private_key_pem));
  return absl::StrCat(signing_input, ".", Base64Url(signature));
}

absl::StatusOr<ServiceAccountKey> ParseServiceAccountKey(std::string_view key_json) {
  auto doc = ParseJsonDocument(key_json, "service account key", ErrorKind::kConfiguration,
                               {.max_bytes = 64 * 1024});
  if (!doc.ok()) return doc.status();
  auto reader = JsonObjectReader::Create(*doc, "service account key");
  if (!reader.ok()) return reader.status();
  ServiceAccountKey key;
  HAYSTACK_RETURN_IF_ERROR(reader->Required("client_email", &key.client_email));
  HAYSTACK_RETURN_IF_ERROR(reader->Required("private_key", &key.private_key_pem));
  HAYSTACK_RETURN_IF_ERROR(reader->Optional("private_key_id", &key.private_key_id));
  HAYSTACK_RETURN_IF_ERROR(reader->Optional("token_uri", &key.token_uri));
  return key;
}

}  // namespace haystack
