// The composite grounding score (docs/scoring.md §4).
#ifndef HAYSTACK_SCORING_COMPOSITE_H_
#define HAYSTACK_SCORING_COMPOSITE_H_

#include <optional>
#include <span>

#include "haystack/core/scores.h"

namespace haystack::scoring {

// Nominal weights of the perturbational components (docs/scoring.md §4).
inline constexpr double kPathwayWeight = 0.25;
inline constexpr double kTargetWeight = 0.30;
inline constexpr double kLiteratureWeight = 0.25;
inline constexpr double kNetworkWeight = 0.20;
// Observational components weigh the same.
inline constexpr double kObservationalWeight = 0.25;
// Subtracted before rounding when the control was the query cells.
inline constexpr double kQueryAsControlPenalty = 0.5;

// floor(x + 0.5): 6.5 → 7 (Python's round would give 6). A 1e-9 guard absorbs the binary
// error of weighted sums such as 0.25·7 + 0.25·6, which should be exactly 6.5.
int RoundHalfUp(double x);

struct Composite {
  // clamp(RoundHalfUp(raw − penalty), 1, 10); nullopt when no component has a score.
  std::optional<int> score;
  double raw = 0;  // Σ wᵢ·sᵢ / Σ wᵢ over the components that have a score
  double penalty = 0;
};

// Components without a score (unavailable evidence) are dropped and the remaining nominal
// weights renormalised. With no scored component at all there is no composite (unscored).
Composite ComputeComposite(std::span<const ScoreComponent> components, double penalty);

// Score in 1-10 from an evidence strength in [0, 1]: 1 + RoundHalfUp(9·strength), clamped.
int ScoreFromStrength(double strength);

}  // namespace haystack::scoring

#endif  // HAYSTACK_SCORING_COMPOSITE_H_
