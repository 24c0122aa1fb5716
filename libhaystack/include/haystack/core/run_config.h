// Per-run configuration: what the web API stores in runs.config (docs/configuration.md "Per-run
// settings").
#ifndef HAYSTACK_CORE_RUN_CONFIG_H_
#define HAYSTACK_CORE_RUN_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "haystack/core/enums.h"

namespace haystack {

// Differential-expression settings (docs/scoring.md §1).
struct DEAnalysisConfig {
  DeTestMethod test_method = DeTestMethod::kWilcoxon;
  WilcoxonConvention wilcoxon_convention = WilcoxonConvention::kExactTies;
  CorrectionMethod correction_method = CorrectionMethod::kBenjaminiHochberg;
  double lfc_threshold = 0.5;    // |log2 fold change|, >= 0
  double pval_threshold = 0.05;  // adjusted p, in (0, 1]
  int min_cells_per_group = 10;  // >= 1
  int top_n_hvg = 2000;          // >= 100

  bool operator==(const DEAnalysisConfig&) const = default;
};

struct RunConfig {
  // Iteration control (spec defaults; the API allows 1-10 for both bounds).
  int max_iterations = 5;
  int score_threshold = 7;
  int plateau_window = 3;   // >= 1
  int min_improvement = 1;  // >= 0

  ControlStrategy control_strategy = ControlStrategy::kSyntheticControl;
  std::vector<std::string> control_condition_names = {"PBS", "DMSO", "control", "vehicle",
                                                      "untreated"};

  std::optional<std::string> llm_provider;  // anthropic | openai | google_genai
  std::optional<std::string> llm_model;
  bool enable_literature_search = true;
  bool enable_pathway_enrichment = true;

  DEAnalysisConfig de_config;
  std::optional<int64_t> random_seed;

  // Cell budgets (docs/agent.md "Controls and query cells").
  int max_prompt_cells = 500;  // per prompt candidate, >= 1
  int max_query_cells = 2000;  // >= 1
  int top_k_candidates = 10;   // candidates kept per iteration, >= 1

  // Model parameters handed to the inference backend.
  int diffusion_steps = 5;  // >= 1
  int batch_size = 32;      // >= 1

  bool operator==(const RunConfig&) const = default;
};

// Range and consistency checks; the error names the field (e.g. "config.max_iterations").
absl::Status Validate(const DEAnalysisConfig& config, std::string_view path = "de_config");
absl::Status Validate(const RunConfig& config, std::string_view path = "config");

}  // namespace haystack

#endif  // HAYSTACK_CORE_RUN_CONFIG_H_
