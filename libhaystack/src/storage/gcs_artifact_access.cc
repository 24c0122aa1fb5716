#include "haystack/storage/gcs_artifact_access.h"

#include "absl/strings/match.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "haystack/storage/gcs_artifact_store.h"
#include "internal/scratch_files.h"

namespace haystack {
namespace {

// What OpenArtifactStore reads (storage/open_artifact_store.h).
constexpr const char* kGcsVariables[] = {"STORAGE_EMULATOR_HOST", "CLOUD_STORAGE_EMULATOR_ENDPOINT",
                                         "GOOGLE_APPLICATION_CREDENTIALS", "GCE_METADATA_HOST"};

absl::Status UriError(std::string_view uri, std::string_view why) {
  return InvalidInputError(ErrorKind::kStorage,
                           fmt::format("artifact URI {}: {}", QuoteForMessage(uri), why));
}

// "gs://bucket/a/b.h5ad" → {bucket, "a/b.h5ad"}.
absl::StatusOr<GcsLocation> ParseObjectUri(std::string_view uri) {
  auto location = ParseGcsUri(uri);
  if (!location.ok()) return UriError(uri, std::string(location.status().message()));
  if (location->prefix.empty() || uri.back() == '/') {
    return UriError(uri, "names no object (expected gs://bucket/object)");
  }
  return *std::move(location);
}

std::string FileStem(const std::string& object) {
  const size_t slash = object.rfind('/');
  return "haystack-" + (slash == std::string::npos ? object : object.substr(slash + 1));
}

}  // namespace

bool IsGcsUri(std::string_view uri) {
  return absl::StartsWith(absl::string_view(uri.data(), uri.size()), "gs://");
}

GcsArtifactAccess::GcsArtifactAccess(const Environment& env, Logger logger,
                                     std::filesystem::path scratch_dir, const Clock& clock)
    : logger_(std::move(logger)), scratch_dir_(std::move(scratch_dir)), clock_(clock) {
  for (const char* name : kGcsVariables) {
    if (auto value = env.Get(name)) env_.Set(name, *value);
  }
  if (scratch_dir_.empty()) {
    std::error_code ec;
    scratch_dir_ = std::filesystem::temp_directory_path(ec);
    if (ec) scratch_dir_ = "/tmp";
  }
}

absl::Status GcsArtifactAccess::CheckUri(std::string_view uri) const {
  if (!IsGcsUri(uri)) return local_.CheckUri(uri);
  return ParseObjectUri(uri).status();
}

absl::StatusOr<GcsArtifactAccess::Object> GcsArtifactAccess::Resolve(std::string_view uri) {
  HAYSTACK_ASSIGN_OR_RETURN(GcsLocation location, ParseObjectUri(uri));
  std::lock_guard lock(mu_);
  auto it = stores_.find(location.bucket);
  if (it == stores_.end()) {
    auto opened = OpenArtifactStore("gs://" + location.bucket, env_, clock_, logger_);
    if (!opened.ok()) {
      return MakeError(ErrorKind::kStorage, opened.status().code(),
                       fmt::format("artifact {}: cannot open the GCS store: {}",
                                   QuoteForMessage(uri), std::string(opened.status().message())));
    }
    logger_.Info("opened a GCS artifact store for inference", {{"store", opened->description}});
    it = stores_.emplace(location.bucket, std::make_unique<OpenedArtifactStore>(*std::move(opened)))
             .first;
  }
  return Object{.store = it->second->store.get(), .name = std::move(location.prefix)};
}

absl::StatusOr<bool> GcsArtifactAccess::Exists(std::string_view uri) {
  if (!IsGcsUri(uri)) return local_.Exists(uri);
  HAYSTACK_ASSIGN_OR_RETURN(const Object object, Resolve(uri));
  return object.store->Exists(object.name);
}

absl::StatusOr<LocalFile> GcsArtifactAccess::Fetch(std::string_view uri) {
  if (!IsGcsUri(uri)) return local_.Fetch(uri);
  HAYSTACK_ASSIGN_OR_RETURN(const Object object, Resolve(uri));
  auto bytes = object.store->Get(object.name);
  if (!bytes.ok()) {
    if (bytes.status().code() == absl::StatusCode::kNotFound) {
      return MakeError(ErrorKind::kStorage, absl::StatusCode::kNotFound,
                       fmt::format("artifact {} does not exist (or its bucket does not): {}",
                                   QuoteForMessage(uri), std::string(bytes.status().message())));
    }
    return Annotate(bytes.status(), fmt::format("fetching {}", uri));
  }
  return storage_internal::WriteScratchFile(scratch_dir_, FileStem(object.name), *bytes);
}

absl::StatusOr<LocalFile> GcsArtifactAccess::Scratch(std::string_view uri) {
  if (!IsGcsUri(uri)) return local_.Scratch(uri);
  HAYSTACK_ASSIGN_OR_RETURN(const GcsLocation location, ParseObjectUri(uri));
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir_, ec);
  if (ec) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     fmt::format("cannot create the scratch directory {}: {}",
                                 QuoteForMessage(scratch_dir_.string()), ec.message()));
  }
  return LocalFile::Temporary(scratch_dir_ /
                              storage_internal::ScratchName(FileStem(location.prefix)));
}

bool GcsArtifactAccess::PublishesInPlace(std::string_view uri) const {
  return !IsGcsUri(uri) && local_.PublishesInPlace(uri);
}

absl::Status GcsArtifactAccess::Publish(const std::filesystem::path& file, std::string_view uri) {
  if (!IsGcsUri(uri)) return local_.Publish(file, uri);
  HAYSTACK_ASSIGN_OR_RETURN(const Object object, Resolve(uri));
  HAYSTACK_ASSIGN_OR_RETURN(const std::string contents, storage_internal::ReadLocalFile(file));
  // Create-only with its crc32c: GCS never shows half an object and never overwrites one.
  return object.store->Put(object.name, contents, "application/x-hdf5").status();
}

}  // namespace haystack
