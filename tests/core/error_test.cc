#include "haystack/core/error.h"

#include <cerrno>

#include "catch2/catch.hpp"

namespace haystack {
namespace {

TEST_CASE("error kinds travel on the status and survive annotation") {
  absl::Status status = InferenceError("worker returned NaN");
  CHECK(GetErrorKind(status) == ErrorKind::kInference);
  CHECK(status.code() == absl::StatusCode::kInternal);

  absl::Status annotated = Annotate(status, "iteration 2");
  CHECK(annotated.message() == "iteration 2: worker returned NaN");
  CHECK(GetErrorKind(annotated) == ErrorKind::kInference);
  CHECK(annotated.code() == status.code());
}

TEST_CASE("statuses without a kind are classified by code") {
  CHECK(GetErrorKind(absl::CancelledError("x")) == ErrorKind::kCancelled);
  CHECK(GetErrorKind(absl::UnavailableError("x")) == ErrorKind::kInternal);
}

TEST_CASE("every kind has a distinct name that parses back") {
  for (auto kind : {ErrorKind::kQueryParsing, ErrorKind::kEntityResolution, ErrorKind::kRetrieval,
                    ErrorKind::kInference, ErrorKind::kEvaluation, ErrorKind::kDatabase,
                    ErrorKind::kStorage, ErrorKind::kNotification, ErrorKind::kConfiguration,
                    ErrorKind::kExternalApi, ErrorKind::kCancelled, ErrorKind::kInternal}) {
    auto name = ErrorKindName(kind);
    CHECK(name.size() > 5);
    CHECK(ErrorKindFromName(name) == kind);
  }
  CHECK(ErrorKindName(ErrorKind::kQueryParsing) == "QueryParsingError");
  CHECK_FALSE(ErrorKindFromName("NoSuchError").has_value());
}

TEST_CASE("transient statuses are the ones a retry can fix") {
  CHECK(IsTransient(MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable, "down")));
  CHECK(IsTransient(absl::DeadlineExceededError("slow")));
  CHECK(IsTransient(absl::AbortedError("lease lost")));
  CHECK_FALSE(IsTransient(QueryParsingError("bad query")));
  CHECK_FALSE(IsTransient(InternalError("bug")));
}

absl::StatusOr<int> Half(int x) {
  if (x % 2 != 0) return EvaluationError("odd");
  return x / 2;
}

absl::Status UseMacros(int x, int* out) {
  HAYSTACK_ASSIGN_OR_RETURN(int half, Half(x));
  HAYSTACK_RETURN_IF_ERROR(half > 100 ? ConfigurationError("too big") : absl::OkStatus());
  *out = half;
  return absl::OkStatus();
}

TEST_CASE("a system call's errno decides whether a retry can help: a full disk can, ENOENT not") {
  const absl::Status full = SystemCallError(ErrorKind::kStorage, ENOSPC, "writing out.h5ad");
  CHECK(full.code() == absl::StatusCode::kResourceExhausted);
  CHECK(full.message() == "writing out.h5ad: No space left on device");
  CHECK(GetErrorKind(full) == ErrorKind::kStorage);
  CHECK(IsTransient(full));
  CHECK(IsTransient(SystemCallError(ErrorKind::kStorage, EDQUOT, "x")));
  CHECK(IsTransient(SystemCallError(ErrorKind::kStorage, EIO, "x")));
  CHECK(StatusCodeForErrno(EACCES) == absl::StatusCode::kPermissionDenied);
  for (const int permanent : {ENOENT, EROFS, EFBIG, EACCES, EPERM, ENOTDIR}) {
    INFO(permanent);
    CHECK_FALSE(IsTransient(SystemCallError(ErrorKind::kStorage, permanent, "x")));
  }
}

TEST_CASE("status macros propagate errors and unwrap values") {
  int out = 0;
  CHECK(UseMacros(8, &out).ok());
  CHECK(out == 4);
  CHECK(GetErrorKind(UseMacros(7, &out)) == ErrorKind::kEvaluation);
  CHECK(GetErrorKind(UseMacros(400, &out)) == ErrorKind::kConfiguration);
}

}  // namespace
}  // namespace haystack
