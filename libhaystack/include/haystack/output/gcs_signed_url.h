// V4 signed URLs for Cloud Storage objects: links anyone can open for a limited time without
// credentials of their own, which is what the completion email carries for gs:// outputs.
// The signature is RSA-SHA256 over a canonical request (GOOG4-RSA-SHA256), made with the
// service account's own key or, when only metadata-server credentials exist (Cloud Run, GKE,
// Batch), by the IAM Credentials API's signBlob on behalf of that service account.
#ifndef HAYSTACK_OUTPUT_GCS_SIGNED_URL_H_
#define HAYSTACK_OUTPUT_GCS_SIGNED_URL_H_

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/core/environment.h"
#include "haystack/core/logging.h"
#include "haystack/http/http_client.h"
#include "haystack/output/gcs_auth.h"

namespace haystack {

// The longest validity Cloud Storage accepts for a V4 signature.
inline constexpr absl::Duration kMaxSignedUrlExpiry = absl::Hours(7 * 24);

// Signs bytes as a service account. Errors are kStorage (kConfiguration for a bad key).
class BlobSigner {
 public:
  virtual ~BlobSigner() = default;
  // The service account the signature is made for (X-Goog-Credential names it).
  virtual absl::StatusOr<std::string> ServiceAccountEmail() = 0;
  // The RSASSA-PKCS1-v1_5 SHA-256 signature of `blob`, raw bytes.
  virtual absl::StatusOr<std::string> Sign(std::string_view blob) = 0;
};

// A service-account JSON key (GOOGLE_APPLICATION_CREDENTIALS): signs locally with OpenSSL.
class ServiceAccountKeySigner final : public BlobSigner {
 public:
  // Errors (kConfiguration) name the missing field, never the key; a key that cannot sign is
  // refused here rather than at the first link.
  static absl::StatusOr<std::unique_ptr<ServiceAccountKeySigner>> Create(std::string_view key_json);
  absl::StatusOr<std::string> ServiceAccountEmail() override { return key_.client_email; }
  absl::StatusOr<std::string> Sign(std::string_view blob) override;

 private:
  explicit ServiceAccountKeySigner(ServiceAccountKey key) : key_(std::move(key)) {}
  ServiceAccountKey key_;
};

// Metadata-server credentials: the metadata server names the default service account
// (GET <metadata>/computeMetadata/v1/instance/service-accounts/default/email) and gives a token
// with which IAM Credentials signs for it (POST
// <iam>/v1/projects/-/serviceAccounts/<email>:signBlob, {"payload": base64} →
// {"keyId", "signedBlob"}). The service account needs permission to sign for itself
// (roles/iam.serviceAccountTokenCreator on itself).
class IamSignBlobSigner final : public BlobSigner {
 public:
  IamSignBlobSigner(HttpClient& http, AccessTokenSource& tokens,
                    std::string metadata_url = "http://metadata.google.internal",
                    std::string iam_endpoint = "https://iamcredentials.googleapis.com");
  absl::StatusOr<std::string> ServiceAccountEmail() override;
  absl::StatusOr<std::string> Sign(std::string_view blob) override;

 private:
  HttpClient& http_;
  AccessTokenSource& tokens_;
  std::string metadata_url_;
  std::string iam_endpoint_;
  std::mutex mu_;
  std::optional<std::string> email_;
};

struct SignedUrlRequest {
  std::string bucket;
  std::string object;                        // the object name, unencoded ("runs/<id>/report.html")
  absl::Time now;                            // X-Goog-Date
  absl::Duration expires = absl::Hours(24);  // 1 s to kMaxSignedUrlExpiry
  // scheme://host[:port] the URL points at (a loopback fake in tests).
  std::string endpoint = "https://storage.googleapis.com";
};

// The parts of a V4 signature, exposed so that tests can compare them with references.
struct SignedUrlParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string url_without_signature;  // endpoint + path + "?" + canonical query
};

// Builds the canonical request of a GET of `request.object` with X-Goog-SignedHeaders=host and
// UNSIGNED-PAYLOAD, and the GOOG4-RSA-SHA256 string to sign for it.
absl::StatusOr<SignedUrlParts> CanonicalizeSignedUrl(const SignedUrlRequest& request,
                                                     std::string_view service_account_email);

// The signed GET URL: url_without_signature + "&X-Goog-Signature=" + hex signature.
absl::StatusOr<std::string> SignGcsUrl(const SignedUrlRequest& request, BlobSigner& signer);

// A signer and what it borrows, kept alive together.
struct OpenedUrlSigner {
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<AccessTokenSource> tokens;
  std::unique_ptr<BlobSigner> signer;  // null: these credentials cannot sign (an emulator)
  std::string description;
};

// The signer for the credentials OpenArtifactStore would use: none for an emulator
// (STORAGE_EMULATOR_HOST, CLOUD_STORAGE_EMULATOR_ENDPOINT), the key of
// GOOGLE_APPLICATION_CREDENTIALS, else IAM signBlob on metadata-server credentials
// (GCE_METADATA_HOST overrides the host). Errors are kConfiguration (an unreadable key file).
absl::StatusOr<OpenedUrlSigner> OpenUrlSigner(const Environment& env, const Clock& clock,
                                              const Logger& logger);

}  // namespace haystack

#endif  // HAYSTACK_OUTPUT_GCS_SIGNED_URL_H_
