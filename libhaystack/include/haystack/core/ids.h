// Identifiers: run ids, worker ids and ids safe for batch engines.
#ifndef HAYSTACK_CORE_IDS_H_
#define HAYSTACK_CORE_IDS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace haystack {

// "hay_20261124_3f9a2b1c4d5e": date of creation plus 48 random bits.
std::string NewRunId(absl::Time now);

// Run ids become directory names, object prefixes and file names, so they are checked before
// any file system or store use: 1 to 64 characters from A-Z a-z 0-9 . _ -, the first a letter or
// a digit (no "..", no leading "-" or ".", no "/"). Ids from NewRunId and UUIDs qualify.
inline constexpr size_t kMaxRunIdLength = 64;
bool IsValidRunId(std::string_view run_id);
// A kConfiguration error naming `what` (e.g. "RUN_ID") and the first offending byte, or OK.
absl::Status ValidateRunId(std::string_view run_id, std::string_view what = "RUN_ID");

// Identifies one process attempt as a lease owner: "<host>:<pid>:<random>".
std::string NewWorkerId();

// A unique id for one logical write, kept across its retries: "req_" + 32 hex digits.
std::string NewRequestId();

// An id for GCP Batch jobs, Kubernetes objects and inference jobs derived from `parts`:
// lowercase letters, digits and hyphens only, starting with a letter, at most 63 characters
// (a hash suffix keeps long ids unique). E.g. {"haystack", "hay_2026_X1", "iter-2"} →
// "haystack-hay-2026-x1-iter-2".
std::string BatchSafeId(std::initializer_list<std::string_view> parts);

}  // namespace haystack

#endif  // HAYSTACK_CORE_IDS_H_
