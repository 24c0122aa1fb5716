#include "haystack/core/error.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/cord.h"

namespace haystack {
namespace {

// The payload type URL under which the kind travels on a Status.
constexpr char kErrorKindPayload[] = "type.googleapis.com/haystack.ErrorKind";

constexpr std::array<std::pair<ErrorKind, std::string_view>, 12> kKindNames = {{
    {ErrorKind::kQueryParsing, "QueryParsingError"},
    {ErrorKind::kEntityResolution, "EntityResolutionError"},
    {ErrorKind::kRetrieval, "RetrievalError"},
    {ErrorKind::kInference, "InferenceError"},
    {ErrorKind::kEvaluation, "EvaluationError"},
    {ErrorKind::kDatabase, "DatabaseError"},
    {ErrorKind::kStorage, "StorageError"},
    {ErrorKind::kNotification, "NotificationError"},
    {ErrorKind::kConfiguration, "ConfigurationError"},
    {ErrorKind::kExternalApi, "ExternalAPIError"},
    {ErrorKind::kCancelled, "CancelledError"},
    {ErrorKind::kInternal, "InternalError"},
}};

absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

std::string_view ErrorKindName(ErrorKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return name;
  }
  return "InternalError";
}

std::optional<ErrorKind> ErrorKindFromName(std::string_view name) {
  for (const auto& [k, n] : kKindNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

absl::Status MakeError(ErrorKind kind, absl::StatusCode code, std::string_view message) {
  if (code == absl::StatusCode::kOk) code = absl::StatusCode::kInternal;
  absl::Status status(code, ToAbsl(message));
  status.SetPayload(kErrorKindPayload, absl::Cord(ToAbsl(ErrorKindName(kind))));
  return status;
}

ErrorKind GetErrorKind(const absl::Status& status) {
  if (auto payload = status.GetPayload(kErrorKindPayload)) {
    if (auto kind = ErrorKindFromName(std::string(*payload))) return *kind;
  }
  return status.code() == absl::StatusCode::kCancelled ? ErrorKind::kCancelled
                                                       : ErrorKind::kInternal;
}

absl::StatusCode StatusCodeForErrno(int err) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return absl::StatusCode::kResourceExhausted;
    case EACCES:
    case EPERM:
      return absl::StatusCode::kPermissionDenied;
    case EIO:
    case EINTR:
    case EAGAIN:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kFailedPrecondition;
  }
}

absl::Status SystemCallError(ErrorKind kind, int err, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += std::strerror(err);
  return MakeError(kind, StatusCodeForErrno(err), message);
}

absl::Status Annotate(const absl::Status& status, std::string_view context) {
  if (status.ok()) return status;
  std::string message(context);
  message += ": ";
  message += std::string(status.message());
  absl::Status annotated(status.code(), message);
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    annotated.SetPayload(url, payload);
  });
  return annotated;
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

absl::Status QueryParsingError(std::string_view message) {
  return MakeError(ErrorKind::kQueryParsing, absl::StatusCode::kInvalidArgument, message);
}
absl::Status EntityResolutionError(std::string_view message) {
  return MakeError(ErrorKind::kEntityResolution, absl::StatusCode::kNotFound, message);
}
absl::Status RetrievalError(std::string_view message) {
  return MakeError(ErrorKind::kRetrieval, absl::StatusCode::kNotFound, message);
}
absl::Status InferenceError(std::string_view message) {
  return MakeError(ErrorKind::kInference, absl::StatusCode::kInternal, message);
}
absl::Status EvaluationError(std::string_view message) {
  return MakeError(ErrorKind::kEvaluation, absl::StatusCode::kInvalidArgument, message);
}
absl::Status ConfigurationError(std::string_view message) {
  return MakeError(ErrorKind::kConfiguration, absl::StatusCode::kInvalidArgument, message);
}
absl::Status InvalidInputError(ErrorKind kind, std::string_view message) {
  return MakeError(kind, absl::StatusCode::kInvalidArgument, message);
}
absl::Status CancelledError(std::string_view message) {
  return MakeError(ErrorKind::kCancelled, absl::StatusCode::kCancelled, message);
}
absl::Status InternalError(std::string_view message) {
  return MakeError(ErrorKind::kInternal, absl::StatusCode::kInternal, message);
}

}  // namespace haystack
