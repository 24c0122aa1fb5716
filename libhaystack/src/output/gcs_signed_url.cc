#include "haystack/output/gcs_signed_url.h"

#include <openssl/sha.h>

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "haystack/http/encoding.h"
#include "internal/gcs_credentials.h"

namespace haystack {
namespace {

constexpr char kAlgorithm[] = "GOOG4-RSA-SHA256";

absl::Status StorageError(absl::StatusCode code, std::string_view message) {
  return MakeError(ErrorKind::kStorage, code, message);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// "https://host:port" → "host:port": the value of the signed Host header.
absl::StatusOr<std::string> HostOf(std::string_view endpoint) {
  const size_t scheme = endpoint.find("://");
  if (scheme == std::string_view::npos) {
    return StorageError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("signed URL endpoint ", QuoteForMessage(endpoint), " has no scheme"));
  }
  std::string_view host = endpoint.substr(scheme + 3);
  host = host.substr(0, host.find('/'));
  if (host.empty()) {
    return StorageError(
        absl::StatusCode::kInvalidArgument,
        absl::StrCat("signed URL endpoint ", QuoteForMessage(endpoint), " has no host"));
  }
  return absl::AsciiStrToLower(absl::string_view(host.data(), host.size()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceAccountKeySigner>> ServiceAccountKeySigner::Create(
    std::string_view key_json) {
  HAYSTACK_ASSIGN_OR_RETURN(ServiceAccountKey key, ParseServiceAccountKey(key_json));
  if (auto probe = SignRsaSha256("probe", key.private_key_pem); !probe.ok()) {
    return ConfigurationError(
        absl::StrCat("service account key: ", std::string(probe.status().message())));
  }
  return std::unique_ptr<ServiceAccountKeySigner>(new ServiceAccountKeySigner(std::move(key)));
}

absl::StatusOr<std::string> ServiceAccountKeySigner::Sign(std::string_view blob) {
  return SignRsaSha256(blob, key_.private_key_pem);
}

IamSignBlobSigner::IamSignBlobSigner(HttpClient& http, AccessTokenSource& tokens,
                                     std::string metadata_url, std::string iam_endpoint)
    : http_(http),
      tokens_(tokens),
      metadata_url_(std::move(metadata_url)),
      iam_endpoint_(std::move(iam_endpoint)) {}

absl::StatusOr<std::string> IamSignBlobSigner::ServiceAccountEmail() {
  std::lock_guard lock(mu_);
  if (email_) return *email_;
  HttpRequest request{
      .url = metadata_url_ + "/computeMetadata/v1/instance/service-accounts/default/email",
      .headers = {{"Metadata-Flavor", "Google"}},
      .idempotent = true,
      .max_response_bytes = 4096};
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response,
                            http_.Execute(request, RetryPolicy{}, ErrorKind::kStorage));
  const std::string email(absl::StripAsciiWhitespace(response.body));
  if (response.status != 200 || response.body_truncated || email.empty() ||
      email.find('@') == std::string::npos) {
    return StorageError(
        response.status == 200 ? absl::StatusCode::kInternal : StatusCodeForHttp(response.status),
        absl::StrCat("the metadata server did not name the service account (HTTP ", response.status,
                     ")"));
  }
  email_ = email;
  return email;
}

absl::StatusOr<std::string> IamSignBlobSigner::Sign(std::string_view blob) {
  HAYSTACK_ASSIGN_OR_RETURN(std::string email, ServiceAccountEmail());
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteMember(w, "payload", absl::Base64Escape(absl::string_view(blob.data(), blob.size())));
  w.EndObject();
  for (int auth_attempt = 0;; ++auth_attempt) {
    HAYSTACK_ASSIGN_OR_RETURN(std::string token, tokens_.Token());
    HttpRequest request{
        .method = "POST",
        .url = absl::StrCat(iam_endpoint_, "/v1/projects/-/serviceAccounts/", UrlEncode(email),
                            ":signBlob"),
        .headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
        .body = std::string(buffer.GetString(), buffer.GetSize()),
        // Signing the same bytes twice gives the same signature.
        .idempotent = true,
        .max_response_bytes = 64 * 1024};
    HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response,
                              http_.Execute(request, RetryPolicy{}, ErrorKind::kStorage));
    if (response.status == 401 && auth_attempt == 0) {
      tokens_.Invalidate();
      continue;
    }
    if (response.status != 200) {
      return StorageError(
          StatusCodeForHttp(response.status),
          absl::StrCat("IAM signBlob for ", email, " returned HTTP ", response.status, ": ",
                       QuoteForMessage(RedactSecrets(response.body), 200)));
    }
    HAYSTACK_ASSIGN_OR_RETURN(
        auto doc, ParseJsonBody(response, "IAM signBlob response", ErrorKind::kStorage));
    HAYSTACK_ASSIGN_OR_RETURN(auto reader, JsonObjectReader::Create(doc, "IAM signBlob response"));
    std::string signed_blob;
    HAYSTACK_RETURN_IF_ERROR(reader.Required("signedBlob", &signed_blob));
    std::string signature;
    if (!absl::Base64Unescape(signed_blob, &signature) || signature.empty()) {
      return StorageError(absl::StatusCode::kInternal,
                          "IAM signBlob response: signedBlob is not base64");
    }
    return signature;
  }
}

absl::StatusOr<SignedUrlParts> CanonicalizeSignedUrl(const SignedUrlRequest& request,
                                                     std::string_view service_account_email) {
  if (request.bucket.empty() || request.object.empty()) {
    return StorageError(absl::StatusCode::kInvalidArgument,
                        "a signed URL needs a bucket and an object name");
  }
  if (request.expires < absl::Seconds(1) || request.expires > kMaxSignedUrlExpiry) {
    return StorageError(absl::StatusCode::kInvalidArgument,
                        absl::StrCat("a signed URL's expiry must be 1 s to 7 days, not ",
                                     absl::FormatDuration(request.expires)));
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::string host, HostOf(request.endpoint));
  const std::string date = absl::FormatTime("%Y%m%d", request.now, absl::UTCTimeZone());
  const std::string datetime = absl::FormatTime("%Y%m%dT%H%M%SZ", request.now, absl::UTCTimeZone());
  const std::string scope = absl::StrCat(date, "/auto/storage/goog4_request");
  // Sorted by name, names and values percent-encoded (all of these names sort as written).
  const std::map<std::string, std::string> query = {
      {"X-Goog-Algorithm", kAlgorithm},
      {"X-Goog-Credential", absl::StrCat(std::string(service_account_email), "/", scope)},
      {"X-Goog-Date", datetime},
      {"X-Goog-Expires", absl::StrCat(absl::ToInt64Seconds(request.expires))},
      {"X-Goog-SignedHeaders", "host"}};
  std::string canonical_query;
  for (const auto& [name, value] : query) {
    if (!canonical_query.empty()) canonical_query += '&';
    absl::StrAppend(&canonical_query, UrlEncode(name), "=", UrlEncode(value));
  }
  const std::string path = absl::StrCat("/", request.bucket, "/", UrlEncodePath(request.object));
  SignedUrlParts parts;
  parts.canonical_request = absl::StrCat("GET\n", path, "\n", canonical_query, "\nhost:", host,
                                         "\n\nhost\nUNSIGNED-PAYLOAD");
  parts.string_to_sign = absl::StrCat(kAlgorithm, "\n", datetime, "\n", scope, "\n",
                                      Sha256Hex(parts.canonical_request));
  std::string endpoint = request.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  parts.url_without_signature = absl::StrCat(endpoint, path, "?", canonical_query);
  return parts;
}

absl::StatusOr<std::string> SignGcsUrl(const SignedUrlRequest& request, BlobSigner& signer) {
  HAYSTACK_ASSIGN_OR_RETURN(std::string email, signer.ServiceAccountEmail());
  HAYSTACK_ASSIGN_OR_RETURN(SignedUrlParts parts, CanonicalizeSignedUrl(request, email));
  HAYSTACK_ASSIGN_OR_RETURN(std::string signature, signer.Sign(parts.string_to_sign));
  return absl::StrCat(parts.url_without_signature,
                      "&X-Goog-Signature=", absl::BytesToHexString(signature));
}

absl::StatusOr<OpenedUrlSigner> OpenUrlSigner(const Environment& env, const Clock& clock,
                                              const Logger& logger) {
  OpenedUrlSigner opened;
  if (output_internal::EmulatorEndpoint(env)) {
    opened.description = "none (a storage emulator takes no credentials)";
    return opened;
  }
  HAYSTACK_ASSIGN_OR_RETURN(auto key_file, output_internal::ReadCredentialsFile(env));
  if (key_file) {
    auto signer = ServiceAccountKeySigner::Create(key_file->json);
    if (!signer.ok()) {
      return ConfigurationError(absl::StrCat("GOOGLE_APPLICATION_CREDENTIALS (", key_file->path,
                                             "): ", std::string(signer.status().message())));
    }
    opened.signer = std::move(*signer);
    opened.description = "the service account key";
    return opened;
  }
  const std::string metadata = output_internal::MetadataServerUrl(env);
  opened.http = std::make_unique<HttpClient>(HttpClientOptions{}, clock,
                                             logger.With({{"component", "gcs-signer"}}));
  opened.tokens = std::make_unique<MetadataServerTokenSource>(*opened.http, clock, metadata);
  opened.signer = std::make_unique<IamSignBlobSigner>(*opened.http, *opened.tokens, metadata);
  opened.description = "IAM signBlob with metadata-server credentials";
  return opened;
}

}  // namespace haystack
