#include "haystack/scoring/composite.h"

#include <algorithm>
#include <cmath>

namespace haystack::scoring {

int RoundHalfUp(double x) { return static_cast<int>(std::floor(x + 0.5 + 1e-9)); }

Composite ComputeComposite(std::span<const ScoreComponent> components, double penalty) {
  double weighted = 0;
  double weights = 0;
  for (const ScoreComponent& c : components) {
    if (!c.score.has_value()) continue;
    weighted += c.weight * *c.score;
    weights += c.weight;
  }
  Composite result;
  result.penalty = penalty;
  if (weights <= 0) return result;
  result.raw = weighted / weights;
  result.score = std::clamp(RoundHalfUp(result.raw - penalty), 1, 10);
  return result;
}

int ScoreFromStrength(double strength) {
  if (!(strength > 0)) return 1;  // also NaN
  return std::clamp(1 + RoundHalfUp(9 * std::min(1.0, strength)), 1, 10);
}

}  // namespace haystack::scoring
