// Reproducible sampling of cells: the same seed and key give the same cells on every machine
// (std::hash and the standard distributions are implementation-defined, so neither is used).
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_SAMPLING_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_SAMPLING_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace haystack::agent_internal {

// FNV-1a, 64 bits.
uint64_t StableHash(std::string_view text);

// A seed for one purpose of one run: mixes the run's seed with a key such as a selection.
uint64_t DeriveSeed(int64_t run_seed, std::string_view key);

// `k` of `cells` chosen uniformly without replacement (all of them when k >= size), returned
// in ascending order. Deterministic for a seed: partial Fisher–Yates driven by SplitMix64.
std::vector<int64_t> SampleSorted(std::vector<int64_t> cells, size_t k, uint64_t seed);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_SAMPLING_H_
