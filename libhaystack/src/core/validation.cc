// Range and consistency checks of the model types. Errors name the offending field.
#include <cmath>

#include "fmt/format.h"
#include "haystack/core/iteration.h"
#include "haystack/core/prompt.h"
#include "haystack/core/query.h"
#include "haystack/core/run.h"
#include "haystack/core/run_config.h"
#include "haystack/core/scores.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

absl::Status RangeError(std::string_view path, std::string_view field, std::string_view rule,
                        std::string_view got) {
  return InvalidInputError(ErrorKind::kConfiguration,
                           fmt::format("{}.{} must be {} (got {})", path, field, rule, got));
}

absl::Status CheckInt(std::string_view path, std::string_view field, int64_t value, int64_t lo,
                      int64_t hi) {
  if (value >= lo && value <= hi) return absl::OkStatus();
  return RangeError(path, field, fmt::format("between {} and {}", lo, hi), std::to_string(value));
}

absl::Status CheckScore(std::string_view path, std::string_view field, std::optional<int> value) {
  if (!value) return absl::OkStatus();
  return CheckInt(path, field, *value, 1, 10);
}

absl::Status CheckComponents(std::string_view path, const std::vector<ScoreComponent>& components) {
  for (size_t i = 0; i < components.size(); ++i) {
    const auto& c = components[i];
    const std::string field = fmt::format("components[{}]", i);
    if (c.name.empty()) return RangeError(path, field + ".name", "non-empty", "\"\"");
    HAYSTACK_RETURN_IF_ERROR(CheckScore(path, field + ".score", c.score));
    if (!(c.weight >= 0 && c.weight <= 1)) {
      return RangeError(path, field + ".weight", "in [0, 1]", std::to_string(c.weight));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const DEAnalysisConfig& c, std::string_view path) {
  if (!(c.lfc_threshold >= 0) || !std::isfinite(c.lfc_threshold)) {
    return RangeError(path, "lfc_threshold", ">= 0", std::to_string(c.lfc_threshold));
  }
  if (!(c.pval_threshold > 0 && c.pval_threshold <= 1)) {
    return RangeError(path, "pval_threshold", "in (0, 1]", std::to_string(c.pval_threshold));
  }
  HAYSTACK_RETURN_IF_ERROR(
      CheckInt(path, "min_cells_per_group", c.min_cells_per_group, 1, 1'000'000));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "top_n_hvg", c.top_n_hvg, 100, 1'000'000));
  return absl::OkStatus();
}

absl::Status Validate(const RunConfig& c, std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "max_iterations", c.max_iterations, 1, 10));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "score_threshold", c.score_threshold, 1, 10));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "plateau_window", c.plateau_window, 1, 10));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "min_improvement", c.min_improvement, 0, 9));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "max_prompt_cells", c.max_prompt_cells, 1, 1'000'000));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "max_query_cells", c.max_query_cells, 1, 1'000'000));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "top_k_candidates", c.top_k_candidates, 1, 1000));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "diffusion_steps", c.diffusion_steps, 1, 1000));
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "batch_size", c.batch_size, 1, 65536));
  if (c.control_condition_names.empty()) {
    return RangeError(path, "control_condition_names", "a non-empty list", "[]");
  }
  for (size_t i = 0; i < c.control_condition_names.size(); ++i) {
    HAYSTACK_RETURN_IF_ERROR(ValidateText(
        fmt::format("{}.control_condition_names[{}]", path, i), c.control_condition_names[i],
        {.max_bytes = 256, .allow_newlines = false, .kind = ErrorKind::kConfiguration}));
  }
  if (c.llm_provider && *c.llm_provider != "anthropic" && *c.llm_provider != "openai" &&
      *c.llm_provider != "google_genai") {
    return RangeError(path, "llm_provider", "one of anthropic, openai, google_genai",
                      "'" + QuoteForMessage(*c.llm_provider, 40) + "'");
  }
  return Validate(c.de_config, fmt::format("{}.de_config", path));
}

absl::Status Validate(const StructuredQuery& q, std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(ValidateText(fmt::format("{}.raw_query", path), q.raw_query, {}));
  if (q.cell_type_cl_id && q.cell_type_cl_id->rfind("CL:", 0) != 0) {
    return RangeError(path, "cell_type_cl_id", "a Cell Ontology ID (CL:nnnnnnn)",
                      "'" + QuoteForMessage(*q.cell_type_cl_id, 40) + "'");
  }
  if (IsPerturbational(q.task_type) && !q.perturbation_query && !q.perturbation_resolved) {
    return InvalidInputError(ErrorKind::kQueryParsing,
                             fmt::format("{}: a perturbational task needs a perturbation", path));
  }
  return absl::OkStatus();
}

absl::Status Validate(const PromptCandidate& p, std::string_view path) {
  for (double s : {p.relevance_score, p.diversity_score, p.quality_score}) {
    if (!(s >= 0 && s <= 1)) {
      return RangeError(path, "relevance/diversity/quality score", "in [0, 1]", std::to_string(s));
    }
  }
  for (int64_t index : p.prompt_cell_indices) {
    if (index < 0) return RangeError(path, "prompt_cell_indices", ">= 0", std::to_string(index));
  }
  if (p.paired_control_indices) {
    for (int64_t index : *p.paired_control_indices) {
      if (index < 0) {
        return RangeError(path, "paired_control_indices", ">= 0", std::to_string(index));
      }
    }
  }
  if (p.ontology_distance && *p.ontology_distance < 0) {
    return RangeError(path, "ontology_distance", ">= 0", std::to_string(*p.ontology_distance));
  }
  return absl::OkStatus();
}

absl::Status Validate(const GroundingScore& s, std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "pathway_coherence", s.pathway_coherence));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "target_activation", s.target_activation));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "literature_support", s.literature_support));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "network_coherence", s.network_coherence));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "composite_score", s.composite_score));
  return CheckComponents(path, s.components);
}

absl::Status Validate(const ObservationalGroundingScore& s, std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "marker_gene_expression", s.marker_gene_expression));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "tissue_signature_match", s.tissue_signature_match));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "donor_effect_capture", s.donor_effect_capture));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "cell_type_coherence", s.cell_type_coherence));
  HAYSTACK_RETURN_IF_ERROR(CheckScore(path, "composite_score", s.composite_score));
  return CheckComponents(path, s.components);
}

absl::Status Validate(const AnyGroundingScore& s, std::string_view path) {
  return std::visit([&](const auto& score) { return Validate(score, path); }, s);
}

std::optional<int> CompositeScore(const AnyGroundingScore& s) {
  return std::visit([](const auto& score) { return score.composite_score; }, s);
}

const std::vector<ScoreComponent>& Components(const AnyGroundingScore& s) {
  return std::visit(
      [](const auto& score) -> const std::vector<ScoreComponent>& { return score.components; }, s);
}

const std::vector<std::string>& ImprovementSuggestions(const AnyGroundingScore& s) {
  return std::visit(
      [](const auto& score) -> const std::vector<std::string>& {
        return score.improvement_suggestions;
      },
      s);
}

absl::Status Validate(const IterationRecord& r, std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(CheckInt(path, "iteration_number", r.iteration_number, 1, 1000));
  HAYSTACK_RETURN_IF_ERROR(Validate(r.selected_prompt, fmt::format("{}.selected_prompt", path)));
  HAYSTACK_RETURN_IF_ERROR(Validate(r.grounding_score, fmt::format("{}.grounding_score", path)));
  if (!(r.duration_seconds >= 0)) {
    return RangeError(path, "duration_seconds", ">= 0", std::to_string(r.duration_seconds));
  }
  return absl::OkStatus();
}

absl::Status Validate(const Run& run) {
  if (run.run_id.empty() || run.run_id.size() > 64) {
    return InvalidInputError(ErrorKind::kConfiguration, "run_id must be 1 to 64 characters long");
  }
  for (char c : run.run_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) {
      return InvalidInputError(
          ErrorKind::kConfiguration,
          fmt::format("run_id '{}' may only contain letters, digits, '_', '-' and '.'",
                      QuoteForMessage(run.run_id, 64)));
    }
  }
  return absl::OkStatus();
}

}  // namespace haystack
