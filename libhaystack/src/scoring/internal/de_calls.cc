#include "internal/de_calls.h"

#include <algorithm>
#include <cmath>

#include "haystack/scoring/multiple_testing.h"

namespace haystack::scoring_internal {
namespace {

std::vector<DeGene> Top(const scoring::DeResult& r, const std::vector<std::string>& names,
                        size_t n) {
  std::vector<DeGene> top;
  for (size_t i = 0; i < names.size() && i < n; ++i) {
    const auto g = static_cast<size_t>(r.IndexOf(names[i]));
    top.push_back({names[i], r.log2_fold_change[g], r.p_value[g], r.adjusted_p_value[g]});
  }
  return top;
}

}  // namespace

scoring::DeResult UntestedDeResult(std::span<const std::string> genes) {
  const size_t n = genes.size();
  scoring::DeResult r;
  r.genes.assign(genes.begin(), genes.end());
  r.statistic.assign(n, 0);
  r.p_value.assign(n, 1);
  r.log2_fold_change.assign(n, 0);
  r.mean_treated.assign(n, 0);
  r.mean_control.assign(n, 0);
  r.tested.assign(n, 0);
  return r;
}

bool Detected(int64_t nonzero_treated, int64_t n_treated, int64_t nonzero_control,
              int64_t n_control, double min_fraction) {
  if (min_fraction <= 0) return true;
  const double t = n_treated > 0 ? static_cast<double>(nonzero_treated) / n_treated : 0;
  const double c = n_control > 0 ? static_cast<double>(nonzero_control) / n_control : 0;
  return std::max(t, c) >= min_fraction && (nonzero_treated + nonzero_control) > 0;
}

void FinishDe(scoring::DeResult& r, const scoring::DeOptions& options, int64_t n_treated,
              int64_t n_control) {
  const DEAnalysisConfig& config = options.config;
  const size_t n = r.genes.size();
  std::vector<double> family;
  for (size_t i = 0; i < n; ++i) {
    if (r.tested[i]) family.push_back(r.p_value[i]);
  }
  const std::vector<double> adjusted = scoring::AdjustPValues(family, config.correction_method);
  r.adjusted_p_value.assign(n, 1);
  r.is_de.assign(n, 0);
  for (size_t i = 0, k = 0; i < n; ++i) {
    if (!r.tested[i]) continue;
    r.adjusted_p_value[i] = adjusted[k++];
    r.is_de[i] = r.adjusted_p_value[i] <= config.pval_threshold &&
                 std::fabs(r.log2_fold_change[i]) >= config.lfc_threshold;
  }
  r.up.clear();
  r.down.clear();
  for (size_t i : scoring::RankedDeGenes(r)) {
    (r.log2_fold_change[i] > 0 ? r.up : r.down).push_back(r.genes[i]);
  }

  DeSummary& s = r.summary;
  s.method = config.test_method;
  s.convention = config.wilcoxon_convention;
  s.correction = config.correction_method;
  s.treatment_source = options.treatment_source;
  s.control_source = options.control_source;
  s.n_treatment_cells = n_treated;
  s.n_control_cells = n_control;
  s.n_genes_tested = static_cast<int64_t>(family.size());
  s.n_genes_filtered = static_cast<int64_t>(n - family.size());
  s.n_up = static_cast<int64_t>(r.up.size());
  s.n_down = static_cast<int64_t>(r.down.size());
  s.lfc_threshold = config.lfc_threshold;
  s.pval_threshold = config.pval_threshold;
  const size_t top_n = static_cast<size_t>(std::max(0, options.top_n));
  s.top_up = Top(r, r.up, top_n);
  s.top_down = Top(r, r.down, top_n);
}

}  // namespace haystack::scoring_internal
