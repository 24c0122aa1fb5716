// The report's inline SVG plots. Each is an <svg role="img"> with a <title> and <desc> that
// state what it shows, so screen readers get the content; every label is HTML-escaped.
#ifndef HAYSTACK_OUTPUT_INTERNAL_SVG_PLOTS_H_
#define HAYSTACK_OUTPUT_INTERNAL_SVG_PLOTS_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "haystack/core/scores.h"

namespace haystack::output_internal {

// Composite score (1-10) per iteration as a line with points, the threshold dashed.
std::string ScorePlotSvg(const std::vector<std::pair<int, int>>& iteration_scores,
                         std::optional<int> threshold);

// log2 fold change against -log10(adjusted p) for the top DE genes, with the thresholds.
std::string VolcanoPlotSvg(const std::vector<const DeGene*>& up,
                           const std::vector<const DeGene*>& down, double lfc_threshold,
                           double p_threshold);

// -log10(adjusted p) per pathway as horizontal bars, most significant first.
std::string PathwayBarsSvg(const std::vector<const EnrichedPathway*>& pathways);

}  // namespace haystack::output_internal

#endif  // HAYSTACK_OUTPUT_INTERNAL_SVG_PLOTS_H_
