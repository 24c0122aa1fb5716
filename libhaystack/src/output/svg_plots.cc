#include "internal/svg_plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "haystack/core/text.h"
#include "haystack/http/encoding.h"
#include "internal/report_content.h"

namespace haystack::output_internal {
namespace {

// Coordinates with one decimal: small files, stable output.
std::string F(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.1f", v);
  return buffer;
}

// -log10 of a p-value, clamped so that p = 0 still plots.
double NegLog10(double p) { return -std::log10(std::max(p, 1e-300)); }

std::string Open(int width, int height, std::string_view id, std::string_view title,
                 std::string_view desc) {
  return absl::StrCat("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ", width, " ",
                      height, "\" width=\"100%\" role=\"img\" aria-labelledby=\"", std::string(id),
                      "-title ", std::string(id), "-desc\" class=\"plot\">\n<title id=\"",
                      std::string(id), "-title\">", HtmlEscape(title), "</title>\n<desc id=\"",
                      std::string(id), "-desc\">", HtmlEscape(desc), "</desc>\n");
}

}  // namespace

std::string ScorePlotSvg(const std::vector<std::pair<int, int>>& iteration_scores,
                         std::optional<int> threshold) {
  constexpr int kW = 640, kH = 300, kLeft = 50, kRight = 20, kTop = 20, kBottom = 45;
  const int n = std::max<int>(1, static_cast<int>(iteration_scores.size()));
  auto x = [&](int i) {
    return n == 1 ? kLeft + (kW - kLeft - kRight) / 2.0
                  : kLeft + (kW - kLeft - kRight) * static_cast<double>(i) / (n - 1);
  };
  auto y = [&](double score) { return kTop + (kH - kTop - kBottom) * (10 - score) / 9.0; };
  std::string desc = "Composite grounding score per iteration:";
  for (const auto& [iteration, score] : iteration_scores) {
    absl::StrAppend(&desc, " iteration ", iteration, " scored ", score, ";");
  }
  if (threshold) absl::StrAppend(&desc, " the threshold is ", *threshold, ".");
  std::string svg = Open(kW, kH, "score-plot", "Score per iteration", desc);
  // Axes and grid.
  for (int s = 1; s <= 10; s += 3) {
    absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kW - kRight, "\" y1=\"", F(y(s)),
                    "\" y2=\"", F(y(s)), "\" class=\"grid\"/>\n<text x=\"", kLeft - 8, "\" y=\"",
                    F(y(s) + 4), "\" text-anchor=\"end\">", s, "</text>\n");
  }
  absl::StrAppend(&svg, "<text x=\"", kW / 2, "\" y=\"", kH - 8,
                  "\" text-anchor=\"middle\">Iteration</text>\n");
  absl::StrAppend(&svg, "<text x=\"14\" y=\"", kH / 2, "\" transform=\"rotate(-90 14 ", kH / 2,
                  ")\" text-anchor=\"middle\">Score</text>\n");
  if (threshold) {
    absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kW - kRight, "\" y1=\"",
                    F(y(*threshold)), "\" y2=\"", F(y(*threshold)),
                    "\" class=\"threshold\"/>\n<text x=\"", kW - kRight, "\" y=\"",
                    F(y(*threshold) - 6), "\" text-anchor=\"end\">threshold ", *threshold,
                    "</text>\n");
  }
  std::string points;
  for (size_t i = 0; i < iteration_scores.size(); ++i) {
    absl::StrAppend(&points, i ? " " : "", F(x(static_cast<int>(i))), ",",
                    F(y(iteration_scores[i].second)));
  }
  if (iteration_scores.size() > 1) {
    absl::StrAppend(&svg, "<polyline points=\"", points, "\" class=\"series\"/>\n");
  }
  for (size_t i = 0; i < iteration_scores.size(); ++i) {
    const auto& [iteration, score] = iteration_scores[i];
    absl::StrAppend(&svg, "<circle cx=\"", F(x(static_cast<int>(i))), "\" cy=\"", F(y(score)),
                    "\" r=\"5\" class=\"point\"/>\n<text x=\"", F(x(static_cast<int>(i))),
                    "\" y=\"", kH - kBottom + 18, "\" text-anchor=\"middle\">", iteration,
                    "</text>\n");
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

std::string VolcanoPlotSvg(const std::vector<const DeGene*>& up,
                           const std::vector<const DeGene*>& down, double lfc_threshold,
                           double p_threshold) {
  constexpr int kW = 640, kH = 360, kLeft = 55, kRight = 20, kTop = 20, kBottom = 45;
  double max_lfc = std::max(1.0, lfc_threshold * 2);
  double max_y = std::max(2.0, NegLog10(p_threshold) * 1.5);
  for (const auto* list : {&up, &down}) {
    for (const DeGene* g : *list) {
      max_lfc = std::max(max_lfc, std::abs(g->log2_fold_change) * 1.1);
      max_y = std::max(max_y, NegLog10(g->adjusted_p_value) * 1.1);
    }
  }
  auto x = [&](double lfc) {
    return kLeft + (kW - kLeft - kRight) * (lfc + max_lfc) / (2 * max_lfc);
  };
  auto y = [&](double nl) { return kTop + (kH - kTop - kBottom) * (1 - nl / max_y); };
  const std::string desc = absl::StrCat(
      up.size(), " up-regulated and ", down.size(),
      " down-regulated top genes plotted by log2 fold change (x) and -log10 adjusted p-value (y); "
      "thresholds |log2FC| >= ",
      FormatNumber(lfc_threshold), " and adjusted p <= ", FormatNumber(p_threshold),
      ". The gene tables below list the same values.");
  std::string svg = Open(kW, kH, "volcano-plot", "Volcano plot of the top DE genes", desc);
  absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kW - kRight, "\" y1=\"", F(y(0)),
                  "\" y2=\"", F(y(0)), "\" class=\"axis\"/>\n");
  absl::StrAppend(&svg, "<line x1=\"", F(x(0)), "\" x2=\"", F(x(0)), "\" y1=\"", kTop, "\" y2=\"",
                  F(y(0)), "\" class=\"axis\"/>\n");
  for (double v : {-lfc_threshold, lfc_threshold}) {
    absl::StrAppend(&svg, "<line x1=\"", F(x(v)), "\" x2=\"", F(x(v)), "\" y1=\"", kTop, "\" y2=\"",
                    F(y(0)), "\" class=\"threshold\"/>\n");
  }
  absl::StrAppend(&svg, "<line x1=\"", kLeft, "\" x2=\"", kW - kRight, "\" y1=\"",
                  F(y(NegLog10(p_threshold))), "\" y2=\"", F(y(NegLog10(p_threshold))),
                  "\" class=\"threshold\"/>\n");
  absl::StrAppend(&svg, "<text x=\"", kW / 2, "\" y=\"", kH - 8,
                  "\" text-anchor=\"middle\">log2 fold change</text>\n");
  absl::StrAppend(&svg, "<text x=\"14\" y=\"", kH / 2, "\" transform=\"rotate(-90 14 ", kH / 2,
                  ")\" text-anchor=\"middle\">-log10 adjusted p</text>\n");
  absl::StrAppend(&svg, "<text x=\"", kLeft, "\" y=\"", F(y(0) + 16), "\">", F(-max_lfc),
                  "</text><text x=\"", kW - kRight, "\" y=\"", F(y(0) + 16),
                  "\" text-anchor=\"end\">", F(max_lfc), "</text>\n");
  int labelled = 0;
  for (const auto* list : {&up, &down}) {
    const char* cls = list == &up ? "up" : "down";
    for (const DeGene* g : *list) {
      const double cx = x(g->log2_fold_change), cy = y(NegLog10(g->adjusted_p_value));
      absl::StrAppend(&svg, "<circle cx=\"", F(cx), "\" cy=\"", F(cy), "\" r=\"4\" class=\"", cls,
                      "\"><title>", HtmlEscape(g->gene), " log2FC ",
                      FormatNumber(g->log2_fold_change), ", adj. p ",
                      FormatNumber(g->adjusted_p_value), "</title></circle>\n");
      if (labelled++ < 16) {
        // Labels near the right edge go to the left of their point, so they stay visible.
        const bool flip = cx > kW * 0.75;
        absl::StrAppend(&svg, "<text x=\"", F(flip ? cx - 6 : cx + 6), "\" y=\"", F(cy - 4),
                        "\" text-anchor=\"", flip ? "end" : "start", "\" class=\"label\">",
                        HtmlEscape(g->gene), "</text>\n");
      }
    }
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

std::string PathwayBarsSvg(const std::vector<const EnrichedPathway*>& pathways) {
  const size_t n = std::min<size_t>(10, pathways.size());
  constexpr int kW = 640, kLeft = 250, kRight = 60, kBar = 22, kGap = 8, kTop = 10;
  const int height = kTop + static_cast<int>(n) * (kBar + kGap) + 30;
  double max_value = 1;
  for (size_t i = 0; i < n; ++i)
    max_value = std::max(max_value, NegLog10(pathways[i]->adjusted_p_value));
  std::string desc = "Top enriched pathways by -log10 adjusted p-value:";
  for (size_t i = 0; i < n; ++i) {
    absl::StrAppend(&desc, " ", pathways[i]->name, " (",
                    FormatNumber(pathways[i]->adjusted_p_value), ");");
  }
  std::string svg = Open(kW, height, "pathway-plot", "Top enriched pathways", desc);
  for (size_t i = 0; i < n; ++i) {
    const EnrichedPathway& p = *pathways[i];
    const double value = NegLog10(p.adjusted_p_value);
    const double width = (kW - kLeft - kRight) * value / max_value;
    const int top = kTop + static_cast<int>(i) * (kBar + kGap);
    std::string label = p.name.size() > 36 ? std::string(TruncateUtf8(p.name, 33)) + "..." : p.name;
    absl::StrAppend(&svg, "<text x=\"", kLeft - 8, "\" y=\"", top + 16,
                    "\" text-anchor=\"end\" class=\"label\">", HtmlEscape(label), "</text>\n");
    absl::StrAppend(&svg, "<rect x=\"", kLeft, "\" y=\"", top, "\" width=\"",
                    F(std::max(1.0, width)), "\" height=\"", kBar, "\" class=\"bar ",
                    p.direction == "down" ? "down" : "up", "\"><title>", HtmlEscape(p.name),
                    ": adjusted p ", FormatNumber(p.adjusted_p_value), "</title></rect>\n");
    absl::StrAppend(&svg, "<text x=\"", F(kLeft + std::max(1.0, width) + 6), "\" y=\"", top + 16,
                    "\">", F(value), "</text>\n");
  }
  absl::StrAppend(&svg, "<text x=\"", kLeft, "\" y=\"", height - 6,
                  "\">-log10 adjusted p</text>\n</svg>\n");
  return svg;
}

}  // namespace haystack::output_internal
