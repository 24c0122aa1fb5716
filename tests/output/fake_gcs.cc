#include "fake_gcs.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "haystack/core/json.h"
#include "haystack/output/crc32c.h"

namespace haystack::testing {
namespace {

constexpr int64_t kQuantum = 256 * 1024;

std::string JsonString(const rapidjson::Value& doc, const char* key) {
  if (!doc.IsObject() || !doc.HasMember(key) || !doc[key].IsString()) return "";
  return doc[key].GetString();
}

// RFC 3986 percent-encoding of everything but unreserved characters (and '/' if asked).
std::string PercentEncode(const std::string& text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

bool VerifyRs256(EVP_PKEY* key, const std::string& jwt, std::string* claims_json) {
  const std::vector<std::string> parts = absl::StrSplit(jwt, '.');
  if (parts.size() != 3) return false;
  std::string signature, claims;
  if (!absl::WebSafeBase64Unescape(parts[2], &signature) ||
      !absl::WebSafeBase64Unescape(parts[1], &claims)) {
    return false;
  }
  const std::string input = parts[0] + "." + parts[1];
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  *claims_json = claims;
  return ok;
}

}  // namespace

FakeGcs::FakeGcs() {
  auto& s = server_.server();

  // Metadata server (AIP-4115).
  s.Get("/computeMetadata/v1/instance/service-accounts/default/token",
        [this](const httplib::Request& req, httplib::Response& res) {
          if (req.get_header_value("Metadata-Flavor") != "Google") {
            res.status = 403;
            return;
          }
          IssueToken("metadata-token-", res);
        });

  s.Get(
      "/computeMetadata/v1/instance/service-accounts/default/email",
      [this](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard lock(mu_);
        if (req.get_header_value("Metadata-Flavor") != "Google" || service_account_email_.empty()) {
          res.status = 404;
          return;
        }
        res.set_content(service_account_email_, "application/text");
      });

  // IAM Credentials signBlob, for metadata-server credentials.
  s.Post(R"(/v1/projects/-/serviceAccounts/([^/]+):signBlob)",
         [this](const httplib::Request& req, httplib::Response& res) { SignBlob(req, res); });

  // OAuth token endpoint (AIP-4112 JWT bearer).
  s.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
    std::string claims;
    if (req.get_param_value("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" ||
        trusted_key_ == nullptr ||
        !VerifyRs256(trusted_key_, req.get_param_value("assertion"), &claims)) {
      res.status = 400;
      res.set_content(R"({"error":"invalid_grant"})", "application/json");
      return;
    }
    auto doc = ParseJsonDocument(claims, "claims");
    if (!doc.ok() || JsonString(*doc, "aud") != url() + "/token" ||
        JsonString(*doc, "iss") != JsonString(*doc, "sub")) {
      res.status = 400;
      return;
    }
    IssueToken("sa-token-", res);
  });

  // Uploads: multipart and resumable-session start.
  s.Post(R"(/upload/storage/v1/b/([^/]+)/o)", [this](const httplib::Request& req,
                                                     httplib::Response& res) {
    if (!Authorized(req, res)) return;
    if (!KnownBucket(req, res)) return;
    const bool create_only = req.get_param_value("ifGenerationMatch") == "0";
    const std::string type = req.get_param_value("uploadType");
    if (type == "multipart") {
      const GcsFault fault = NextFault(GcsRequest::kMultipart);
      if (fault == GcsFault::k503) {
        res.status = 503;
        return;
      }
      const std::string content_type = req.get_header_value("Content-Type");
      const size_t at = content_type.find("boundary=");
      const std::string delimiter = "--" + content_type.substr(at + 9);
      // --B\r\nheaders\r\n\r\nJSON\r\n--B\r\nheaders\r\n\r\nDATA\r\n--B--\r\n
      const std::string& body = req.body;
      const size_t meta_start = body.find("\r\n\r\n") + 4;
      const size_t meta_end = body.find("\r\n" + delimiter, meta_start);
      const size_t data_start = body.find("\r\n\r\n", meta_end + 2) + 4;
      const size_t data_end = body.rfind("\r\n" + delimiter + "--");
      auto meta = ParseJsonDocument(body.substr(meta_start, meta_end - meta_start), "meta");
      if (!meta.ok()) {
        res.status = 400;
        return;
      }
      res.status = Commit(JsonString(*meta, "name"), body.substr(data_start, data_end - data_start),
                          JsonString(*meta, "crc32c"), create_only, fault, res);
      return;
    }
    if (type == "resumable") {
      const GcsFault fault = NextFault(GcsRequest::kStartSession);
      if (fault == GcsFault::k503) {
        res.status = 503;
        return;
      }
      auto meta = ParseJsonDocument(req.body, "meta");
      if (!meta.ok()) {
        res.status = 400;
        return;
      }
      std::lock_guard lock(mu_);
      const std::string name = JsonString(*meta, "name");
      if (create_only && objects_.contains(name)) {
        res.status = 412;
        return;
      }
      const std::string id = "session-" + std::to_string(++next_session_);
      sessions_[id] = Session{.name = name,
                              .crc32c = JsonString(*meta, "crc32c"),
                              .if_generation_match_zero = create_only};
      res.set_header("Location", url() + "/upload/storage/v1/b/" + std::string(kBucket) +
                                     "/o?uploadType=resumable&upload_id=" + id);
      res.status = 200;
      return;
    }
    res.status = 400;
  });

  // Resumable chunks and status queries.
  s.Put(R"(/upload/storage/v1/b/([^/]+)/o)",
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!Authorized(req, res)) return;
          const std::string id = req.get_param_value("upload_id");
          const std::string range = req.get_header_value("Content-Range");
          // "bytes */N" (query) or "bytes A-B/N" (chunk).
          const bool query = range.rfind("bytes */", 0) == 0;
          const GcsFault fault = NextFault(query ? GcsRequest::kStatusQuery : GcsRequest::kChunk);
          if (fault == GcsFault::k503) {
            res.status = 503;
            return;
          }
          std::unique_lock lock(mu_);
          auto it = sessions_.find(id);
          if (it == sessions_.end()) {
            res.status = 404;
            return;
          }
          Session& session = it->second;
          const size_t slash = range.find('/');
          int64_t total = 0;
          if (slash == std::string::npos || !absl::SimpleAtoi(range.substr(slash + 1), &total)) {
            res.status = 400;
            return;
          }
          auto incomplete = [&] {
            res.status = 308;
            if (!session.data.empty()) {
              res.set_header("Range", "bytes=0-" + std::to_string(session.data.size() - 1));
            }
          };
          if (session.finalized) {
            res.status = 200;
            res.set_content(Resource(session.name), "application/json");
            return;
          }
          if (query) return incomplete();
          chunk_ranges_.push_back(range);
          int64_t first = 0, last = 0;
          const size_t dash = range.find('-');
          if (!absl::SimpleAtoi(range.substr(6, dash - 6), &first) ||
              !absl::SimpleAtoi(range.substr(dash + 1, slash - dash - 1), &last) ||
              static_cast<int64_t>(req.body.size()) != last - first + 1) {
            res.status = 400;
            return;
          }
          const int64_t persisted = static_cast<int64_t>(session.data.size());
          const bool final_chunk = last + 1 == total;
          if (first > persisted || (!final_chunk && (last + 1 - first) % kQuantum != 0)) {
            res.status = 400;  // a gap, or a non-final chunk that is not a 256 KiB multiple
            res.set_content("invalid chunk " + range, "text/plain");
            return;
          }
          std::string fresh = req.body.substr(static_cast<size_t>(persisted - first));
          if (fault == GcsFault::kPersistHalfAndReset) {
            const size_t half = fresh.size() / 2 / kQuantum * kQuantum;
            session.data += fresh.substr(0, half);
            BreakConnection(res);
            return;
          }
          session.data += fresh;
          if (static_cast<int64_t>(session.data.size()) < total) {
            if (fault == GcsFault::kPersistAndReset) return BreakConnection(res);
            return incomplete();
          }
          const std::string name = session.name, crc = session.crc32c, data = session.data;
          const bool create_only = session.if_generation_match_zero;
          session.finalized = true;
          lock.unlock();
          res.status = Commit(name, data, crc, create_only, fault, res);
          if (res.status != 200) {
            std::lock_guard relock(mu_);
            sessions_[id].finalized = false;
          }
        });

  // Metadata and media downloads.
  s.Get(R"(/storage/v1/b/([^/]+)/o/(.+))",
        [this](const httplib::Request& req, httplib::Response& res) {
          if (!Authorized(req, res)) return;
          if (!KnownBucket(req, res)) return;
          const std::string name = req.matches[2];
          std::lock_guard lock(mu_);
          auto it = objects_.find(name);
          if (it == objects_.end()) {
            res.status = 404;
            return;
          }
          if (req.get_param_value("alt") == "media") {
            std::string data = it->second;
            res.set_header("x-goog-hash", "crc32c=" + Crc32cToBase64(Crc32c(data)) + ",md5=AAAA");
            auto& queue = faults_[GcsRequest::kDownload];
            if (!queue.empty()) {
              if (queue.front() == GcsFault::kCorrupt && !data.empty()) data[data.size() / 2] ^= 1;
              queue.pop_front();
            }
            res.set_content(data, "application/octet-stream");
            return;
          }
          res.set_content(Resource(name), "application/json");
        });
  // Last: any other GET of /<bucket>/<object> is the XML API, reached through signed URLs.
  s.Get(R"(/([^/]+)/(.+))",
        [this](const httplib::Request& req, httplib::Response& res) { ServeSignedUrl(req, res); });
  server_.Start();
}

int FakeGcs::SignBlobRequests() {
  std::lock_guard lock(mu_);
  return sign_blob_requests_;
}

void FakeGcs::SignBlob(const httplib::Request& req, httplib::Response& res) {
  if (!Authorized(req, res)) return;
  std::lock_guard lock(mu_);
  ++sign_blob_requests_;
  std::string email = req.matches[1];
  absl::StrReplaceAll({{"%40", "@"}}, &email);
  if (service_account_key_ == nullptr || email != service_account_email_) {
    res.status = 403;
    res.set_content(
        R"({"error":{"code":403,"message":"Permission 'iam.serviceAccounts.signBlob' denied"}})",
        "application/json");
    return;
  }
  auto doc = ParseJsonDocument(req.body, "signBlob request");
  std::string payload;
  if (!doc.ok() || !absl::Base64Unescape(JsonString(*doc, "payload"), &payload)) {
    res.status = 400;
    return;
  }
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  std::string signature;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, service_account_key_) == 1 &&
      EVP_DigestSign(ctx, nullptr, &length, reinterpret_cast<const unsigned char*>(payload.data()),
                     payload.size()) == 1) {
    signature.resize(length);
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
    signature.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  res.set_content(
      absl::StrCat(R"({"keyId":"kid-1","signedBlob":")", absl::Base64Escape(signature), R"("})"),
      "application/json");
}

void FakeGcs::ServeSignedUrl(const httplib::Request& req, httplib::Response& res) {
  // The canonical request is rebuilt from the decoded path and query, encoded again the way
  // the V4 scheme prescribes (RFC 3986 unreserved characters kept, '/' kept in the path).
  std::map<std::string, std::string> query;  // encoded name → encoded value, sorted
  std::string signature_hex;
  for (const auto& [name, value] : req.params) {
    if (name == "X-Goog-Signature") {
      signature_hex = value;
    } else {
      query[PercentEncode(name, false)] = PercentEncode(value, false);
    }
  }
  const std::string path = PercentEncode(req.path, /*keep_slash=*/true);
  auto refuse = [&res](int status, const std::string& code) {
    res.status = status;
    res.set_content(absl::StrCat("<Error><Code>", code, "</Code></Error>"), "application/xml");
  };
  if (signature_hex.empty() || query["X-Goog-Algorithm"] != "GOOG4-RSA-SHA256" ||
      query["X-Goog-SignedHeaders"] != "host") {
    return refuse(400, "AuthorizationQueryParametersError");
  }
  std::string canonical_query;
  for (const auto& [name, value] : query) {
    absl::StrAppend(&canonical_query, canonical_query.empty() ? "" : "&", name, "=", value);
  }
  const std::string canonical_request =
      absl::StrCat("GET\n", path, "\n", canonical_query, "\nhost:", req.get_header_value("Host"),
                   "\n\nhost\nUNSIGNED-PAYLOAD");
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(canonical_request.data()), canonical_request.size(),
         digest);
  const std::string credential = req.get_param_value("X-Goog-Credential");
  const std::string date = req.get_param_value("X-Goog-Date");
  const std::string scope =
      credential.substr(std::min(credential.find('/') + 1, credential.size()));
  const std::string string_to_sign = absl::StrCat(
      "GOOG4-RSA-SHA256\n", date, "\n", scope, "\n",
      absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 32)));

  std::lock_guard lock(mu_);
  const std::string signature = absl::HexStringToBytes(signature_hex);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool verified =
      service_account_key_ != nullptr &&
      credential.substr(0, credential.find('/')) == service_account_email_ &&
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, service_account_key_) == 1 &&
      EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(),
                       reinterpret_cast<const unsigned char*>(string_to_sign.data()),
                       string_to_sign.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!verified) return refuse(403, "SignatureDoesNotMatch");
  absl::Time signed_at;
  int64_t expires = 0;
  std::string error;
  if (!absl::ParseTime("%E4Y%m%dT%H%M%SZ", date, &signed_at, &error) ||
      !absl::SimpleAtoi(req.get_param_value("X-Goog-Expires"), &expires)) {
    return refuse(400, "AuthorizationQueryParametersError");
  }
  const absl::Time now = now_.value_or(absl::Now());
  if (now > signed_at + absl::Seconds(expires)) return refuse(400, "ExpiredToken");
  if (req.matches[1] != kBucket) return refuse(404, "NoSuchBucket");
  auto it = objects_.find(req.matches[2]);
  if (it == objects_.end()) return refuse(404, "NoSuchKey");
  res.set_content(it->second, "application/octet-stream");
}

bool FakeGcs::KnownBucket(const httplib::Request& req, httplib::Response& res) {
  if (req.matches[1] == kBucket) return true;
  // What GCS answers for a bucket that does not exist.
  res.status = 404;
  res.set_content(R"({"error":{"code":404,"message":"The specified bucket does not exist."}})",
                  "application/json");
  return false;
}

void FakeGcs::IssueToken(std::string_view prefix, httplib::Response& res) {
  std::lock_guard lock(mu_);
  const std::string token = std::string(prefix) + std::to_string(++tokens_issued_);
  valid_tokens_.insert(token);
  res.set_content(absl::StrCat(R"({"access_token":")", token, R"(","expires_in":)", token_lifetime_,
                               R"(,"token_type":"Bearer"})"),
                  "application/json");
}

int FakeGcs::Commit(const std::string& name, std::string data, const std::string& crc32c,
                    bool if_generation_match_zero, GcsFault fault, httplib::Response& res) {
  std::lock_guard lock(mu_);
  if (if_generation_match_zero && objects_.contains(name)) return 412;
  if (fault == GcsFault::kCorrupt) {
    // A broken server: stores flipped bytes without checking.
    if (!data.empty()) data[0] ^= 1;
  } else if (!crc32c.empty() && crc32c != Crc32cToBase64(Crc32c(data))) {
    res.set_content(R"({"error":{"code":400,"message":"Provided CRC32C does not match"}})",
                    "application/json");
    return 400;
  }
  objects_[name] = std::move(data);
  ++creations_[name];
  if (fault == GcsFault::kPersistAndReset) {
    BreakConnection(res);
    return 200;
  }
  res.set_content(Resource(name), "application/json");
  return 200;
}

std::string FakeGcs::Resource(const std::string& name) {
  const std::string& data = objects_.at(name);
  return absl::StrCat(R"({"kind":"storage#object","bucket":")", kBucket, R"(","name":")", name,
                      R"(","generation":"1700000000000001","size":")", data.size(),
                      R"(","crc32c":")", Crc32cToBase64(Crc32c(data)), R"("})");
}

bool FakeGcs::Authorized(const httplib::Request& req, httplib::Response& res) {
  std::lock_guard lock(mu_);
  const std::string header = req.get_header_value("Authorization");
  authorization_headers_.push_back(header);
  if (!require_auth_) return true;
  if (header.rfind("Bearer ", 0) == 0 && valid_tokens_.contains(header.substr(7))) return true;
  res.status = 401;
  res.set_content(R"({"error":{"code":401,"message":"Invalid Credentials"}})", "application/json");
  return false;
}

GcsFault FakeGcs::NextFault(GcsRequest kind) {
  std::lock_guard lock(mu_);
  auto& queue = faults_[kind];
  if (queue.empty()) return GcsFault::kNone;
  const GcsFault fault = queue.front();
  queue.pop_front();
  return fault;
}

void FakeGcs::Inject(GcsRequest kind, GcsFault fault) {
  std::lock_guard lock(mu_);
  faults_[kind].push_back(fault);
}

void FakeGcs::ExpireTokens() {
  std::lock_guard lock(mu_);
  valid_tokens_.clear();
}

void FakeGcs::PutObject(const std::string& name, const std::string& data) {
  std::lock_guard lock(mu_);
  objects_[name] = data;
  ++creations_[name];
}

std::optional<std::string> FakeGcs::Object(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = objects_.find(name);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

int FakeGcs::Creations(const std::string& name) {
  std::lock_guard lock(mu_);
  return creations_[name];
}

int FakeGcs::TokensIssued() {
  std::lock_guard lock(mu_);
  return tokens_issued_;
}

std::vector<std::string> FakeGcs::AuthorizationHeaders() {
  std::lock_guard lock(mu_);
  return authorization_headers_;
}

std::vector<std::string> FakeGcs::ChunkRanges() {
  std::lock_guard lock(mu_);
  return chunk_ranges_;
}

}  // namespace haystack::testing
