#include "haystack/output/gcs_artifact_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/random.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "haystack/http/encoding.h"
#include "haystack/output/crc32c.h"

namespace haystack {
namespace {

constexpr int64_t kChunkQuantum = 256 * 1024;

absl::Status StorageError(absl::StatusCode code, std::string_view message) {
  return MakeError(ErrorKind::kStorage, code, message);
}

// "bytes=0-262143" → 262144 (the next byte the session expects); no header → 0.
absl::StatusOr<int64_t> PersistedBytes(const HttpResponse& response) {
  const auto range = response.Header("Range");
  if (!range) return 0;
  const size_t dash = range->find('-');
  int64_t last = 0;
  if (!absl::StartsWith(*range, "bytes=") || dash == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(*range).substr(dash + 1), &last)) {
    return StorageError(
        absl::StatusCode::kInternal,
        absl::StrCat("unexpected Range header in a 308: ", QuoteForMessage(*range)));
  }
  return last + 1;
}

std::string MetadataJson(const std::string& name, std::string_view content_type, uint32_t crc) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteMember(w, "name", name);
  WriteMember(w, "contentType", content_type);
  WriteMember(w, "crc32c", Crc32cToBase64(crc));
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

absl::StatusOr<GcsLocation> ParseGcsUri(std::string_view uri) {
  if (!absl::StartsWith(absl::string_view(uri.data(), uri.size()), "gs://")) {
    return ConfigurationError(absl::StrCat("not a gs:// URI: ", QuoteForMessage(uri)));
  }
  std::string_view rest = uri.substr(5);
  const size_t slash = rest.find('/');
  GcsLocation location;
  location.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) {
    std::string_view prefix = rest.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
    location.prefix = std::string(prefix);
  }
  if (location.bucket.empty() || location.bucket.size() > 222) {
    return ConfigurationError(absl::StrCat("no valid bucket name in ", QuoteForMessage(uri)));
  }
  for (char c : location.bucket) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return ConfigurationError(absl::StrCat("invalid bucket name in ", QuoteForMessage(uri)));
    }
  }
  if (!location.prefix.empty()) HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(location.prefix));
  return location;
}

GcsArtifactStore::GcsArtifactStore(GcsOptions options, HttpClient& http, AccessTokenSource& auth,
                                   Logger logger)
    : options_(std::move(options)), http_(http), auth_(auth), logger_(std::move(logger)) {
  options_.chunk_size =
      std::max(kChunkQuantum, options_.chunk_size / kChunkQuantum * kChunkQuantum);
}

std::string GcsArtifactStore::ObjectName(std::string_view path) const {
  if (options_.location.prefix.empty()) return std::string(path);
  return absl::StrCat(options_.location.prefix, "/", std::string(path));
}

std::string GcsArtifactStore::Uri(std::string_view path) const {
  return absl::StrCat("gs://", options_.location.bucket, "/", ObjectName(path));
}

absl::StatusOr<HttpResponse> GcsArtifactStore::Send(HttpRequest request, bool retry) {
  request.total_timeout = options_.request_timeout;
  const size_t base_headers = request.headers.size();
  for (int auth_attempt = 0;; ++auth_attempt) {
    request.headers.resize(base_headers);
    HAYSTACK_ASSIGN_OR_RETURN(std::string token, auth_.Token());
    if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
    absl::StatusOr<HttpResponse> response =
        retry ? http_.Execute(request, options_.retry, ErrorKind::kStorage)
              : http_.Perform(request, ErrorKind::kStorage);
    // An expired or revoked token: fetch a fresh one once.
    if (response.ok() && response->status == 401 && auth_attempt == 0 && !token.empty()) {
      logger_.Info("GCS refused the access token; refreshing it");
      auth_.Invalidate();
      continue;
    }
    return response;
  }
}

absl::Status GcsArtifactStore::HttpFailure(const HttpResponse& response, std::string_view what,
                                           const std::string& name) const {
  return StorageError(
      StatusCodeForHttp(response.status),
      absl::StrCat(std::string(what), " gs://", options_.location.bucket, "/", name, ": HTTP ",
                   response.status, " ", QuoteForMessage(RedactSecrets(response.body), 300)));
}

absl::StatusOr<GcsArtifactStore::ObjectState> GcsArtifactStore::ParseObject(
    const HttpResponse& response, const std::string& name) {
  const std::string what = absl::StrCat("object resource of ", name);
  auto doc = ParseJsonBody(response, what, ErrorKind::kStorage);
  if (!doc.ok()) return doc.status();
  auto reader = JsonObjectReader::Create(*doc, what);
  if (!reader.ok()) return reader.status();
  std::string size_text, crc_text;
  HAYSTACK_RETURN_IF_ERROR(reader->Required("size", &size_text));  // int64 as a JSON string
  HAYSTACK_RETURN_IF_ERROR(reader->Required("crc32c", &crc_text));
  ObjectState state;
  if (!absl::SimpleAtoi(size_text, &state.size)) {
    return StorageError(absl::StatusCode::kInternal,
                        absl::StrCat(what, ": size is not an integer"));
  }
  HAYSTACK_ASSIGN_OR_RETURN(state.crc32c, Crc32cFromBase64(crc_text));
  return state;
}

absl::StatusOr<ArtifactInfo> GcsArtifactStore::VerifyCreated(const HttpResponse& response,
                                                             const std::string& name,
                                                             ArtifactInfo info) {
  HAYSTACK_ASSIGN_OR_RETURN(ObjectState stored, ParseObject(response, name));
  if (stored.crc32c != info.crc32c || stored.size != info.size) {
    return StorageError(
        absl::StatusCode::kDataLoss,
        absl::StrCat("checksum mismatch for ", info.uri, ": sent ", info.size, " bytes crc32c ",
                     Crc32cToBase64(info.crc32c), ", the server stored ", stored.size,
                     " bytes crc32c ", Crc32cToBase64(stored.crc32c)));
  }
  return info;
}

absl::StatusOr<ArtifactInfo> GcsArtifactStore::CompareExisting(const std::string& name,
                                                               ArtifactInfo info) {
  HttpRequest request{.url = absl::StrCat(options_.endpoint, "/storage/v1/b/",
                                          options_.location.bucket, "/o/", UrlEncode(name)),
                      .idempotent = true};
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response, Send(request, /*retry=*/true));
  if (response.status != 200) return HttpFailure(response, "reading the metadata of", name);
  HAYSTACK_ASSIGN_OR_RETURN(ObjectState stored, ParseObject(response, name));
  if (stored.crc32c != info.crc32c || stored.size != info.size) {
    return StorageError(
        absl::StatusCode::kAlreadyExists,
        absl::StrCat(info.uri, " already exists with different contents (", stored.size,
                     " bytes, crc32c ", Crc32cToBase64(stored.crc32c), "; new: ", info.size,
                     " bytes, crc32c ", Crc32cToBase64(info.crc32c),
                     "); artifacts are never replaced"));
  }
  info.already_existed = true;
  return info;
}

absl::StatusOr<ArtifactInfo> GcsArtifactStore::Put(std::string_view path, std::string_view contents,
                                                   std::string_view content_type) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  const std::string name = ObjectName(path);
  ArtifactInfo info{
      .uri = Uri(path), .size = static_cast<int64_t>(contents.size()), .crc32c = Crc32c(contents)};
  absl::StatusOr<ArtifactInfo> result = info.size <= options_.resumable_threshold
                                            ? MultipartUpload(name, contents, content_type, info)
                                            : ResumableUpload(name, contents, content_type, info);
  if (result.ok()) {
    logger_.Info("artifact written", {{"uri", result->uri},
                                      {"bytes", result->size},
                                      {"already_existed", result->already_existed}});
  }
  return result;
}

absl::StatusOr<ArtifactInfo> GcsArtifactStore::MultipartUpload(const std::string& name,
                                                               std::string_view contents,
                                                               std::string_view content_type,
                                                               ArtifactInfo info) {
  // A boundary that does not occur in the data.
  SeededRandom random(info.crc32c);
  std::string boundary;
  do {
    boundary = absl::StrCat("haystack_", random.Next(), random.Next());
  } while (contents.find(boundary) != std::string_view::npos);
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(options_.endpoint, "/upload/storage/v1/b/", options_.location.bucket,
                             "/o?uploadType=multipart&ifGenerationMatch=0");
  request.headers = {{"Content-Type", absl::StrCat("multipart/related; boundary=", boundary)}};
  request.body =
      absl::StrCat("--", boundary, "\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n",
                   MetadataJson(name, content_type, info.crc32c), "\r\n--", boundary,
                   "\r\nContent-Type: ", std::string(content_type), "\r\n\r\n");
  request.body.append(contents);
  absl::StrAppend(&request.body, "\r\n--", boundary, "--\r\n");
  // Create-only makes the insert idempotent: retrying cannot produce a second version.
  request.idempotent = true;
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), /*retry=*/true));
  if (response.status == 200 || response.status == 201) {
    return VerifyCreated(response, name, info);
  }
  if (response.status == 412) return CompareExisting(name, info);
  return HttpFailure(response, "uploading", name);
}

absl::StatusOr<ArtifactInfo> GcsArtifactStore::ResumableUpload(const std::string& name,
                                                               std::string_view contents,
                                                               std::string_view content_type,
                                                               ArtifactInfo info) {
  HttpRequest start;
  start.method = "POST";
  start.url = absl::StrCat(options_.endpoint, "/upload/storage/v1/b/", options_.location.bucket,
                           "/o?uploadType=resumable&ifGenerationMatch=0");
  start.headers = {{"Content-Type", "application/json; charset=UTF-8"},
                   {"X-Upload-Content-Type", std::string(content_type)},
                   {"X-Upload-Content-Length", std::to_string(info.size)}};
  start.body = MetadataJson(name, content_type, info.crc32c);
  start.idempotent = true;  // an unused session costs nothing
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse started, Send(std::move(start), /*retry=*/true));
  if (started.status == 412) return CompareExisting(name, info);
  const std::optional<std::string> session = started.Header("Location");
  if (started.status != 200 || !session || session->empty()) {
    return HttpFailure(started, "starting a resumable upload of", name);
  }

  const std::string total = std::to_string(info.size);
  int64_t offset = 0;      // the next byte the session expects
  int64_t sent_up_to = 0;  // bytes ever sent: the session cannot have persisted more
  int failures = 0;
  // Handles a response that may finish the upload: 200/201 done, 308 progress, 412 exists.
  auto outcome = [&](const HttpResponse& r) -> std::optional<absl::StatusOr<ArtifactInfo>> {
    if (r.status == 200 || r.status == 201) return VerifyCreated(r, name, info);
    if (r.status == 412) return CompareExisting(name, info);
    if (r.status == 308) {
      absl::StatusOr<int64_t> persisted = PersistedBytes(r);
      if (!persisted.ok()) return persisted.status();
      if (*persisted > sent_up_to || *persisted > info.size) {
        return StorageError(absl::StatusCode::kInternal,
                            absl::StrCat("the upload session of ", info.uri, " reports ",
                                         *persisted, " bytes persisted but only ", sent_up_to,
                                         " were sent; another writer used the session"));
      }
      if (*persisted > offset) failures = 0;  // progress resets the failure budget
      offset = *persisted;
      return std::nullopt;
    }
    return std::nullopt;
  };
  while (true) {
    const int64_t length = std::min(options_.chunk_size, info.size - offset);
    HttpRequest put;
    put.method = "PUT";
    put.url = *session;
    put.headers = {{"Content-Range", length > 0 ? absl::StrCat("bytes ", offset, "-",
                                                               offset + length - 1, "/", total)
                                                : absl::StrCat("bytes */", total)}};
    put.body =
        std::string(contents.substr(static_cast<size_t>(offset), static_cast<size_t>(length)));
    sent_up_to = std::max(sent_up_to, offset + length);
    absl::StatusOr<HttpResponse> response = Send(std::move(put), /*retry=*/false);
    if (response.ok()) {
      if (auto done = outcome(*response)) return *done;
      if (response->status == 308) continue;
      if (response->status == 404 || response->status == 410) {
        return StorageError(absl::StatusCode::kUnavailable,
                            absl::StrCat("the upload session of ", info.uri, " expired (HTTP ",
                                         response->status, ")"));
      }
      if (!options_.retry.retryable_statuses.contains(response->status)) {
        return HttpFailure(*response, "uploading a chunk of", name);
      }
    }
    // 5xx, reset, timeout, lost 308: wait, then ask the session what it has.
    if (++failures >= options_.retry.max_attempts) {
      return response.ok() ? HttpFailure(*response, "uploading a chunk of", name)
                           : Annotate(response.status(), absl::StrCat("uploading ", info.uri));
    }
    logger_.Info("resumable upload interrupted; querying the session",
                 {{"uri", info.uri}, {"offset", offset}, {"failures", failures}});
    http_.Sleep(http_.Backoff(options_.retry, failures));
    HttpRequest query;
    query.method = "PUT";
    query.url = *session;
    query.headers = {{"Content-Range", absl::StrCat("bytes */", total)}};
    query.idempotent = true;
    absl::StatusOr<HttpResponse> status = Send(std::move(query), /*retry=*/true);
    if (!status.ok()) continue;  // counted as a failure on the next round if it persists
    if (auto done = outcome(*status)) return *done;
    if (status->status == 404 || status->status == 410) {
      return StorageError(absl::StatusCode::kUnavailable,
                          absl::StrCat("the upload session of ", info.uri, " expired"));
    }
  }
}

absl::StatusOr<std::string> GcsArtifactStore::Get(std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  const std::string name = ObjectName(path);
  HttpRequest request{
      .url = absl::StrCat(options_.endpoint, "/storage/v1/b/", options_.location.bucket, "/o/",
                          UrlEncode(name), "?alt=media"),
      .idempotent = true,
      // The body is the artifact itself, of any size; its checksum is verified below.
      .max_response_bytes = 0};
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), /*retry=*/true));
  if (response.status != 200) return HttpFailure(response, "downloading", name);
  // x-goog-hash: crc32c=…,md5=…
  if (auto hash = response.Header("x-goog-hash")) {
    for (absl::string_view part : absl::StrSplit(*hash, ',')) {
      part = absl::StripAsciiWhitespace(part);
      if (!absl::StartsWith(part, "crc32c=")) continue;
      const std::string encoded(part.substr(7));
      HAYSTACK_ASSIGN_OR_RETURN(uint32_t expected, Crc32cFromBase64(std::string_view(encoded)));
      if (Crc32c(response.body) != expected) {
        return StorageError(
            absl::StatusCode::kDataLoss,
            absl::StrCat("checksum mismatch downloading ", Uri(path), ": x-goog-hash says crc32c ",
                         encoded, ", received ", Crc32cToBase64(Crc32c(response.body))));
      }
    }
  }
  return std::move(response.body);
}

absl::StatusOr<bool> GcsArtifactStore::Exists(std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(ValidateArtifactPath(path));
  const std::string name = ObjectName(path);
  HttpRequest request{.url = absl::StrCat(options_.endpoint, "/storage/v1/b/",
                                          options_.location.bucket, "/o/", UrlEncode(name)),
                      .idempotent = true};
  HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response, Send(std::move(request), /*retry=*/true));
  // 404 is both "no such object" and "no such bucket": either way there is nothing to read.
  if (response.status == 404) return false;
  if (response.status != 200) return HttpFailure(response, "reading the metadata of", name);
  return true;
}

}  // namespace haystack
