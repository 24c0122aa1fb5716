// OAuth access tokens for Cloud Storage without the Google SDK (AIP-4115 metadata server,
// AIP-4112 service-account JWT bearer flow), cached and refreshed before they expire.
#ifndef HAYSTACK_OUTPUT_GCS_AUTH_H_
#define HAYSTACK_OUTPUT_GCS_AUTH_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/http/http_client.h"

namespace haystack {

class AccessTokenSource {
 public:
  virtual ~AccessTokenSource() = default;
  // A bearer token valid for at least the refresh margin; "" means send no Authorization
  // header (emulators). Errors are kStorage: kUnavailable when the token service is down,
  // kUnauthenticated/kPermissionDenied when it refuses.
  virtual absl::StatusOr<std::string> Token() = 0;
  // The service answered 401 with the current token: forget it so the next Token() fetches a
  // new one (tokens can be revoked or expire early).
  virtual void Invalidate() = 0;
};

// Emulators (STORAGE_EMULATOR_HOST, CLOUD_STORAGE_EMULATOR_ENDPOINT) take no credentials.
class NoCredentials final : public AccessTokenSource {
 public:
  absl::StatusOr<std::string> Token() override { return std::string(); }
  void Invalidate() override {}
};

// Shared by both token sources: a token and when to stop using it.
class CachedToken {
 public:
  // Tokens are refreshed `margin` before they expire (or at half their life if that is shorter).
  explicit CachedToken(absl::Duration margin = absl::Minutes(5)) : margin_(margin) {}
  std::optional<std::string> Get(absl::Time now) const;
  void Set(std::string token, absl::Duration expires_in, absl::Time now);
  void Clear();

 private:
  absl::Duration margin_;
  std::optional<std::string> token_;
  absl::Time refresh_at_;
};

// GET <metadata>/computeMetadata/v1/instance/service-accounts/default/token with
// "Metadata-Flavor: Google". `metadata_url` defaults to http://metadata.google.internal, or
// http://$GCE_METADATA_HOST when the caller passes that.
class MetadataServerTokenSource final : public AccessTokenSource {
 public:
  MetadataServerTokenSource(HttpClient& http, const Clock& clock,
                            std::string metadata_url = "http://metadata.google.internal");
  absl::StatusOr<std::string> Token() override;
  void Invalidate() override;

 private:
  HttpClient& http_;
  const Clock& clock_;
  std::string metadata_url_;
  std::mutex mu_;
  CachedToken cache_;
};

// A service-account JSON key: an RS256-signed JWT assertion (iss = sub = client_email,
// aud = token_uri, scope devstorage.read_write, exp = iat + 1 h) exchanged at token_uri for an
// access token.
class ServiceAccountTokenSource final : public AccessTokenSource {
 public:
  // Parses the key file's JSON; errors (kConfiguration) name the missing field, never the key.
  static absl::StatusOr<std::unique_ptr<ServiceAccountTokenSource>> Create(
      std::string_view key_json, HttpClient& http, const Clock& clock);
  absl::StatusOr<std::string> Token() override;
  void Invalidate() override;

  // The signed assertion for time `now` (exposed for tests).
  absl::StatusOr<std::string> Assertion(absl::Time now) const;

 private:
  ServiceAccountTokenSource(HttpClient& http, const Clock& clock) : http_(http), clock_(clock) {}
  HttpClient& http_;
  const Clock& clock_;
  std::string client_email_;
  std::string private_key_pem_;
  std::string private_key_id_;
  std::string token_uri_;
  std::mutex mu_;
  CachedToken cache_;
};

// The fields of a service-account JSON key file HAYSTACK uses.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key_pem;
  std::string private_key_id;
  std::string token_uri = "https://oauth2.googleapis.com/token";
};

// Parses a key file; errors (kConfiguration) name the missing field, never the key.
absl::StatusOr<ServiceAccountKey> ParseServiceAccountKey(std::string_view key_json);

// The RSASSA-PKCS1-v1_5 SHA-256 signature of `data` (raw bytes) with a PKCS#8 or PKCS#1 PEM
// RSA key (OpenSSL). Errors are kConfiguration.
absl::StatusOr<std::string> SignRsaSha256(std::string_view data, std::string_view private_key_pem);

// base64url(header) + "." + base64url(claims) + "." + base64url(RS256 signature), without
// padding (RFC 7515). `private_key_pem` is a PKCS#8 or PKCS#1 PEM RSA key.
absl::StatusOr<std::string> SignJwtRs256(std::string_view header_json, std::string_view claims_json,
                                         std::string_view private_key_pem);

}  // namespace haystack

#endif  // HAYSTACK_OUTPUT_GCS_AUTH_H_
