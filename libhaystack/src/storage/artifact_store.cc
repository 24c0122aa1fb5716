#include "haystack/storage/artifact_store.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack {

std::string RunArtifactPath(std::string_view run_id, std::string_view name) {
  return absl::StrCat("runs/", std::string(run_id), "/", std::string(name));
}

absl::Status ValidateArtifactPath(std::string_view path) {
  auto invalid = [path](std::string_view why) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kInvalidArgument,
                     absl::StrCat("artifact path ", QuoteForMessage(path), " ", std::string(why)));
  };
  if (path.empty()) return invalid("is empty");
  if (path.front() == '/') return invalid("must be relative");
  if (path.size() > 1024) return invalid("is longer than 1024 bytes");
  if (!IsValidUtf8(path)) return invalid("is not valid UTF-8");
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || c == '\\') return invalid("contains a control character or '\\'");
  }
  for (absl::string_view segment :
       absl::StrSplit(absl::string_view(path.data(), path.size()), '/')) {
    if (segment.empty()) return invalid("has an empty segment");
    if (segment == "." || segment == "..") return invalid("has a '.' or '..' segment");
  }
  return absl::OkStatus();
}

}  // namespace haystack
