// SplitMix64 (Steele, Lea & Flood 2014) as a stream, for the synthetic atlases' draws.
// TODO(issue 20): replace with core/random.h once it lands on main (one generator project-wide).
#ifndef HAYSTACK_SRC_SYNTH_INTERNAL_SPLIT_MIX_H_
#define HAYSTACK_SRC_SYNTH_INTERNAL_SPLIT_MIX_H_

#include <cmath>
#include <cstdint>

namespace haystack::synth_internal {

class SplitMixStream {
 public:
  explicit SplitMixStream(uint64_t seed) : state_(seed) {}

  // The SplitMix64 finaliser: a well-mixed 64-bit hash of x.
  static uint64_t Mix(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
  }
  uint64_t Next() {
    const uint64_t out = Mix(state_);
    state_ += 0x9E3779B97F4A7C15ull;
    return out;
  }
  // Uniform in [0, 1) with 53 bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; one of the pair is discarded, for simplicity).
  double Normal() {
    const double u1 = 1.0 - Uniform();
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace haystack::synth_internal

#endif  // HAYSTACK_SRC_SYNTH_INTERNAL_SPLIT_MIX_H_
