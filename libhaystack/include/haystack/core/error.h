// Error kinds carried on absl::Status.
//
// Every failure that crosses a module boundary is an absl::Status whose canonical code says how
// to react (retry, give up, report a bug) and whose ErrorKind payload says what failed, in the
// vocabulary of docs/architecture.md "Conventions": five scientific kinds plus the infrastructure
// kinds. The kind is what the run record, the JSON log and the failure email show.
#ifndef HAYSTACK_CORE_ERROR_H_
#define HAYSTACK_CORE_ERROR_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace haystack {

enum class ErrorKind {
  kQueryParsing,      // the natural-language query could not be understood
  kEntityResolution,  // a cell type / perturbation / gene could not be resolved
  kRetrieval,         // no suitable prompt (or query) cells were found
  kInference,         // the model run failed
  kEvaluation,        // DE, enrichment or grounding scoring failed
  kDatabase,          // the run store failed or refused a write
  kStorage,           // artifacts could not be read or written
  kNotification,      // an email could not be sent
  kConfiguration,     // settings, environment or run config are invalid
  kExternalApi,       // an optional external service (LLM, literature) failed
  kCancelled,         // the run was cancelled or the job was asked to stop
  kInternal,          // a bug: an invariant did not hold
};

// "QueryParsingError", "DatabaseError", ...: the names written to error_type.
std::string_view ErrorKindName(ErrorKind kind);
// The inverse of ErrorKindName.
std::optional<ErrorKind> ErrorKindFromName(std::string_view name);

// Builds a status of the given kind. `code` must not be kOk.
absl::Status MakeError(ErrorKind kind, absl::StatusCode code, std::string_view message);

// The kind attached to `status`; statuses created without one are classified by code
// (cancelled → kCancelled, everything else → kInternal). Must not be called with an OK status.
ErrorKind GetErrorKind(const absl::Status& status);

// A failed system call's errno as a canonical code, one rule for every file write: a full disk
// or quota (ENOSPC, EDQUOT) → kResourceExhausted; permissions (EACCES, EPERM) →
// kPermissionDenied; I/O errors and interruptions (EIO, EINTR, EAGAIN) → kUnavailable; anything
// else (ENOENT, EROFS, EFBIG, ...) → kFailedPrecondition. The first and third are transient.
absl::StatusCode StatusCodeForErrno(int err);
// MakeError(kind, StatusCodeForErrno(err), "<context>: <strerror(err)>").
absl::Status SystemCallError(ErrorKind kind, int err, std::string_view context);

// Returns `status` with `context` prepended to its message, keeping code and kind.
absl::Status Annotate(const absl::Status& status, std::string_view context);

// True for failures a later re-execution may overcome: the batch job exits 75 (EX_TEMPFAIL)
// instead of recording a failed run. Unavailable, deadline exceeded, resource exhausted and
// aborted (e.g. a lost lease) are transient; everything else is permanent.
bool IsTransient(const absl::Status& status);

// Shorthands for the common kinds with their usual canonical codes.
absl::Status QueryParsingError(std::string_view message);
absl::Status EntityResolutionError(std::string_view message);
absl::Status RetrievalError(std::string_view message);
absl::Status InferenceError(std::string_view message);
absl::Status EvaluationError(std::string_view message);
absl::Status ConfigurationError(std::string_view message);
absl::Status InvalidInputError(ErrorKind kind, std::string_view message);
absl::Status CancelledError(std::string_view message);
absl::Status InternalError(std::string_view message);

}  // namespace haystack

#define HAYSTACK_STATUS_CONCAT_INNER_(a, b) a##b
#define HAYSTACK_STATUS_CONCAT_(a, b) HAYSTACK_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing function if not OK.
// The variable name is unique so that the macro nests (a lambda inside `expr` may use it).
#define HAYSTACK_RETURN_IF_ERROR(expr) \
  HAYSTACK_RETURN_IF_ERROR_IMPL_(HAYSTACK_STATUS_CONCAT_(_hs_status_, __COUNTER__), expr)
#define HAYSTACK_RETURN_IF_ERROR_IMPL_(status, expr)    \
  do {                                                  \
    if (::absl::Status status = (expr); !status.ok()) { \
      return status;                                    \
    }                                                   \
  } while (false)

// HAYSTACK_ASSIGN_OR_RETURN(auto value, MaybeValue()): unwraps an absl::StatusOr or returns
// its status from the enclosing function.
#define HAYSTACK_ASSIGN_OR_RETURN(lhs, expr) \
  HAYSTACK_ASSIGN_OR_RETURN_IMPL_(HAYSTACK_STATUS_CONCAT_(_hs_statusor_, __COUNTER__), lhs, expr)
#define HAYSTACK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // HAYSTACK_CORE_ERROR_H_
