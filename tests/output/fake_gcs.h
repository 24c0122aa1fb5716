// A loopback Cloud Storage that speaks the JSON API the way GCS does where it matters for
// correctness (which fake-gcs-server does not: anchors-services.md §2): create-only
// preconditions on every upload type, crc32c validation, resumable sessions that persist by
// offset and answer status queries, bearer-token checks. Plus the metadata server and the OAuth
// token endpoint, IAM Credentials signBlob, V4 signed-URL downloads, and fault injection per
// request kind.
#ifndef HAYSTACK_TESTS_OUTPUT_FAKE_GCS_H_
#define HAYSTACK_TESTS_OUTPUT_FAKE_GCS_H_

#include <openssl/evp.h>

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "support/loopback_server.h"

namespace haystack::testing {

enum class GcsFault {
  kNone,
  k503,                  // answer 503 without touching state
  kPersistHalfAndReset,  // chunk: persist the first 256 KiB-aligned half, then drop the connection
  kPersistAndReset,      // chunk: persist it all, then drop (a lost 308 or a lost 200)
  kCorrupt,              // store (upload) or send (download) the bytes with one bit flipped
};

// Request kinds faults attach to.
enum class GcsRequest { kMultipart, kStartSession, kChunk, kStatusQuery, kDownload };

class FakeGcs {
 public:
  FakeGcs();
  std::string url() const { return server_.url(); }

  // Faults are consumed one per request of that kind, in order.
  void Inject(GcsRequest kind, GcsFault fault);
  // With auth on, requests need "Authorization: Bearer <a token this fake issued>".
  void RequireAuth(bool on) { require_auth_ = on; }
  // Every issued token stops being accepted (as if it expired early or was revoked).
  void ExpireTokens();
  void SetTokenLifetimeSeconds(int seconds) { token_lifetime_ = seconds; }
  // The public key the service-account JWT must verify against.
  void TrustServiceAccountKey(EVP_PKEY* key) { trusted_key_ = key; }
  // The service account behind the metadata server: its email (served at .../default/email),
  // and the key IAM signBlob signs with and V4 signed URLs must verify against.
  void SetServiceAccount(std::string email, EVP_PKEY* key) {
    std::lock_guard lock(mu_);
    service_account_email_ = std::move(email);
    service_account_key_ = key;
  }
  // "Now" for signed URLs (X-Goog-Date + X-Goog-Expires); the real time by default.
  void SetNow(absl::Time now) {
    std::lock_guard lock(mu_);
    now_ = now;
  }
  int SignBlobRequests();

  void PutObject(const std::string& name, const std::string& data);
  std::optional<std::string> Object(const std::string& name);
  // How many times an object of that name was created (must be 1 for "exactly once").
  int Creations(const std::string& name);
  int TokensIssued();
  std::vector<std::string> AuthorizationHeaders();
  std::vector<std::string> ChunkRanges();  // Content-Range of every chunk PUT received

  // The one bucket that exists; requests for any other answer 404, as GCS does.
  static constexpr char kBucket[] = "haystack-test";

 private:
  struct Session {
    std::string name;
    std::string crc32c;
    std::string data;
    bool if_generation_match_zero = false;
    bool finalized = false;
  };
  GcsFault NextFault(GcsRequest kind);
  // Answers a token request with a new token "<prefix><n>" that requests may then carry.
  void IssueToken(std::string_view prefix, httplib::Response& res);
  bool Authorized(const httplib::Request& req, httplib::Response& res);
  // Requests name the bucket in matches[1]; only kBucket exists (others answer 404).
  bool KnownBucket(const httplib::Request& req, httplib::Response& res);
  std::string Resource(const std::string& name);
  // GET /<bucket>/<object>?X-Goog-…: a V4 signed URL, verified as GCS does.
  void ServeSignedUrl(const httplib::Request& req, httplib::Response& res);
  void SignBlob(const httplib::Request& req, httplib::Response& res);
  // Finishes an upload: precondition, checksum, store. Returns the HTTP status.
  int Commit(const std::string& name, std::string data, const std::string& crc32c,
             bool if_generation_match_zero, GcsFault fault, httplib::Response& res);

  LoopbackServer server_;
  std::mutex mu_;
  std::map<GcsRequest, std::deque<GcsFault>> faults_;
  std::map<std::string, std::string> objects_;
  std::map<std::string, int> creations_;
  std::map<std::string, Session> sessions_;
  std::set<std::string> valid_tokens_;
  std::vector<std::string> authorization_headers_;
  std::vector<std::string> chunk_ranges_;
  int tokens_issued_ = 0;
  int sign_blob_requests_ = 0;
  std::string service_account_email_;
  EVP_PKEY* service_account_key_ = nullptr;
  std::optional<absl::Time> now_;
  int token_lifetime_ = 3599;
  int next_session_ = 0;
  bool require_auth_ = false;
  EVP_PKEY* trusted_key_ = nullptr;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_OUTPUT_FAKE_GCS_H_
