#include "haystack/core/random.h"

#include <algorithm>
#include <limits>
#include <random>

namespace haystack {
namespace {

constexpr uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;

}  // namespace

uint64_t StableHash(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t DeriveSeed(uint64_t seed, std::string_view key) {
  return SeededRandom(seed ^ StableHash(key)).Next();
}

uint64_t EntropyBits() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

uint64_t SeededRandom::Next() { return Mix64(state_ += kGoldenGamma); }

uint64_t SeededRandom::Below(uint64_t n) {
  // The largest multiple of n that fits: draws at or above it would favour small values.
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  const uint64_t limit = kMax - kMax % n;
  uint64_t x;
  do {
    x = Next();
  } while (x >= limit);
  return x % n;
}

double SeededRandom::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

std::vector<int64_t> SampleSorted(std::vector<int64_t> items, size_t k, uint64_t seed) {
  if (k < items.size()) {
    SeededRandom random(seed);
    PartialShuffle(std::span<int64_t>(items), k, random);
    items.resize(k);
  }
  std::sort(items.begin(), items.end());
  return items;
}

}  // namespace haystack
