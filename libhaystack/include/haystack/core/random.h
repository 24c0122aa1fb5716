// Reproducible randomness: every draw that decides a recorded result (cells sampled for a
// prompt, a baseline's context rows, a permutation p-value, a synthetic atlas) comes from here,
// so the same seed gives the same result on every machine and with every standard library.
// std::hash is salted or implementation-defined and the standard distributions
// (std::uniform_int_distribution, ...) are implementation-defined algorithms, so neither is
// used for recorded results; std::mt19937_64 is exactly specified but slower and larger than
// needed.
//
// The generator is SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014), which passes BigCrush; its finaliser `Mix64` doubles as a
// counter-based generator (draw i of stream s = Mix64(s ^ Mix64(i))). Strings are hashed with
// FNV-1a (64 bits), which is stable across processes and platforms.
#ifndef HAYSTACK_CORE_RANDOM_H_
#define HAYSTACK_CORE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace haystack {

// FNV-1a, 64 bits: a stable hash of text (ids, selection keys).
uint64_t StableHash(std::string_view text);

// SplitMix64's finaliser: a bijective mix of one 64-bit value.
uint64_t Mix64(uint64_t x);

// A seed for one purpose: mixes a seed with a key ("prompt:<selection>", "query:..."), so
// different purposes of one run draw independent streams.
uint64_t DeriveSeed(uint64_t seed, std::string_view key);

// 64 bits from the operating system's entropy source, for identifiers that must not repeat
// (run ids, worker ids, temporary names) — never for recorded results.
uint64_t EntropyBits();

// A SplitMix64 stream.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}

  uint64_t Next();
  // Uniform in [0, n), exact (rejection, no modulo bias). n must be > 0.
  uint64_t Below(uint64_t n);
  // Uniform in [0, 1) with 53 random bits.
  double Uniform();

 private:
  uint64_t state_;
};

// Moves a uniform sample of k of `items` (without replacement) to its first k positions, in
// draw order: partial Fisher–Yates. k >= size shuffles nothing and keeps every item.
template <typename T>
void PartialShuffle(std::span<T> items, size_t k, SeededRandom& random) {
  if (k >= items.size()) return;
  for (size_t i = 0; i < k; ++i) {
    const size_t j = i + static_cast<size_t>(random.Below(items.size() - i));
    std::swap(items[i], items[j]);
  }
}

// `k` of `items` chosen uniformly without replacement (all of them when k >= size), in
// ascending order. Deterministic for a seed.
std::vector<int64_t> SampleSorted(std::vector<int64_t> items, size_t k, uint64_t seed);

}  // namespace haystack

#endif  // HAYSTACK_CORE_RANDOM_H_
