#include "internal/sampling.h"

#include <algorithm>
#include <utility>

namespace haystack::agent_internal {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [0, n) without modulo bias (Lemire's rejection on the top bits is overkill for
// cell counts; plain rejection keeps it exact and simple).
uint64_t Below(uint64_t n, uint64_t& state) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = SplitMix64(state);
  } while (x >= limit);
  return x % n;
}

}  // namespace

uint64_t StableHash(std::string_view text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t DeriveSeed(int64_t run_seed, std::string_view key) {
  uint64_t state = static_cast<uint64_t>(run_seed) ^ StableHash(key);
  return SplitMix64(state);
}

std::vector<int64_t> SampleSorted(std::vector<int64_t> cells, size_t k, uint64_t seed) {
  if (k < cells.size()) {
    uint64_t state = seed;
    for (size_t i = 0; i < k; ++i) {
      const size_t j = i + static_cast<size_t>(Below(cells.size() - i, state));
      std::swap(cells[i], cells[j]);
    }
    cells.resize(k);
  }
  std::sort(cells.begin(), cells.end());
  return cells;
}

}  // namespace haystack::agent_internal
