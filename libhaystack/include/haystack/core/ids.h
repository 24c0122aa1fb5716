// Identifiers: run ids, worker ids and ids safe for batch engines.
#ifndef HAYSTACK_CORE_IDS_H_
#define HAYSTACK_CORE_IDS_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace haystack {

// "hay_20261124_3f9a2b1c4d5e": date of creation plus 48 random bits.
std::string NewRunId(absl::Time now);

// Identifies one process attempt as a lease owner: "<host>:<pid>:<random>".
std::string NewWorkerId();

// An id for GCP Batch jobs, Kubernetes objects and inference jobs derived from `parts`:
// lowercase letters, digits and hyphens only, starting with a letter, at most 63 characters
// (a hash suffix keeps long ids unique). E.g. {"haystack", "hay_2026_X1", "iter-2"} →
// "haystack-hay-2026-x1-iter-2".
std::string BatchSafeId(std::initializer_list<std::string_view> parts);

}  // namespace haystack

#endif  // HAYSTACK_CORE_IDS_H_
