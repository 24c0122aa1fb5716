// Artifacts in Google Cloud Storage, on the JSON API over the shared HttpClient (no SDK).
#ifndef HAYSTACK_STORAGE_GCS_ARTIFACT_STORE_H_
#define HAYSTACK_STORAGE_GCS_ARTIFACT_STORE_H_

#include <cstdint>
#include <string>

#include "haystack/core/logging.h"
#include "haystack/http/http_client.h"
#include "haystack/storage/artifact_store.h"
#include "haystack/storage/gcs_auth.h"

namespace haystack {

struct GcsLocation {
  std::string bucket;
  std::string prefix;  // without leading or trailing '/', may be empty
};

// Parses "gs://bucket" or "gs://bucket/some/prefix/" (kConfiguration errors).
absl::StatusOr<GcsLocation> ParseGcsUri(std::string_view uri);

struct GcsOptions {
  GcsLocation location;
  std::string endpoint = "https://storage.googleapis.com";  // or an emulator's URL
  // Objects up to this size go in one multipart request; larger ones use a resumable session.
  int64_t resumable_threshold = 8 << 20;
  // Bytes per resumable PUT; a multiple of 256 KiB (GCS rejects other non-final chunk sizes).
  int64_t chunk_size = 8 << 20;
  // Per request; failures without progress count against max_attempts.
  RetryPolicy retry{
      .max_attempts = 6, .initial_backoff = absl::Seconds(1), .max_backoff = absl::Seconds(32)};
  absl::Duration request_timeout = absl::Minutes(5);
};

// Every write is create-only (ifGenerationMatch=0) with its CRC-32C in the object metadata, so
// GCS rejects corrupted bytes and a retry can never overwrite. A 412 (the object exists, e.g.
// our own earlier attempt whose response was lost) is resolved by comparing the stored object's
// crc32c and size with ours: equal is success, different is kAlreadyExists. Resumable uploads
// send 256 KiB-multiple chunks and, after a 5xx, a reset or a lost 308, ask the session how
// much it persisted and continue from there. A 401 drops the cached token and retries once.
// Downloads verify the x-goog-hash crc32c. All errors are kind kStorage.
class GcsArtifactStore final : public ArtifactStore {
 public:
  GcsArtifactStore(GcsOptions options, HttpClient& http, AccessTokenSource& auth, Logger logger);
  absl::StatusOr<ArtifactInfo> Put(std::string_view path, std::string_view contents,
                                   std::string_view content_type) override;
  absl::StatusOr<std::string> Get(std::string_view path) override;
  absl::StatusOr<bool> Exists(std::string_view path) override;
  absl::Status Remove(std::string_view path) override;
  std::string Uri(std::string_view path) const override;

 private:
  struct ObjectState {
    int64_t size = 0;
    uint32_t crc32c = 0;
  };
  std::string ObjectName(std::string_view path) const;
  absl::StatusOr<HttpResponse> Send(HttpRequest request, bool retry);
  absl::StatusOr<ArtifactInfo> MultipartUpload(const std::string& name, std::string_view contents,
                                               std::string_view content_type, ArtifactInfo info);
  absl::StatusOr<ArtifactInfo> ResumableUpload(const std::string& name, std::string_view contents,
                                               std::string_view content_type, ArtifactInfo info);
  absl::StatusOr<ArtifactInfo> CompareExisting(const std::string& name, ArtifactInfo info);
  absl::StatusOr<ObjectState> ParseObject(const HttpResponse& response, const std::string& name);
  absl::StatusOr<ArtifactInfo> VerifyCreated(const HttpResponse& response, const std::string& name,
                                             ArtifactInfo info);
  absl::Status HttpFailure(const HttpResponse& response, std::string_view what,
                           const std::string& name) const;

  GcsOptions options_;
  HttpClient& http_;
  AccessTokenSource& auth_;
  Logger logger_;
};

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_GCS_ARTIFACT_STORE_H_
