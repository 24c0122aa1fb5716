// Finished runs for the report and log tests (and the screenshot tool): a perturbational run
// that fell back to query-as-control, an observational one and a failed one.
#ifndef HAYSTACK_TESTS_OUTPUT_SAMPLE_RUN_H_
#define HAYSTACK_TESTS_OUTPUT_SAMPLE_RUN_H_

#include <string>

#include "haystack/output/run_report.h"
#include "support/model_fixtures.h"

namespace haystack::testing {

// The shared fixture (support/model_fixtures.h) with more genes and pathways to plot, one
// unavailable component and the query-as-control penalty.
inline GroundingScore SamplePerturbationalScore(int composite) {
  GroundingScore s = SampleGroundingScore(composite);
  s.pathway_coherence = composite + 1 > 10 ? 10 : composite + 1;
  s.target_activation = composite;
  s.literature_support = std::nullopt;
  s.network_coherence = composite - 1 < 1 ? 1 : composite - 1;
  s.composite_score = composite;
  s.composite_raw = composite + 0.3;
  s.confidence_penalty = 0.5;
  s.control_strategy = ControlStrategy::kQueryAsControl;
  s.components = {
      {"pathway_coherence", s.pathway_coherence, 0.3, "IFN-gamma response pathways enriched", ""},
      {"target_activation", s.target_activation, 0.3, "STAT1 and IRF1 up as expected", ""},
      {"literature_support", std::nullopt, 0.2, "", "literature API timed out"},
      {"network_coherence", s.network_coherence, 0.2, "DE genes cluster in the network", ""}};
  s.enriched_pathways = {{"GO:0034341",
                          "response to interferon-gamma",
                          "GO_BP",
                          "up",
                          12,
                          80,
                          40,
                          5000,
                          1e-9,
                          2e-7,
                          {"STAT1", "IRF1", "CXCL10"}},
                         {"HALLMARK_INTERFERON_GAMMA_RESPONSE",
                          "Interferon gamma response",
                          "HALLMARK",
                          "up",
                          15,
                          200,
                          40,
                          5000,
                          3e-8,
                          4e-6,
                          {"STAT1"}},
                         {"GO:0006955",
                          "immune response <b>bold</b> & co",
                          "GO_BP",
                          "down",
                          4,
                          300,
                          20,
                          5000,
                          1e-3,
                          0.02,
                          {"CD14"}}};
  s.de_genes_up = {"CXCL10", "STAT1", "IRF1", "GBP1"};
  s.de_genes_down = {"CD14", "LYZ"};
  DeSummary de = *s.de_summary;
  de.n_up = 4;
  de.n_down = 2;
  de.top_up = {{"CXCL10", 3.2, 1e-30, 1e-27},
               {"STAT1", 2.1, 1e-20, 1e-17},
               {"IRF1", 1.6, 1e-12, 1e-10},
               {"GBP1", 0.9, 1e-5, 1e-3}};
  de.top_down = {{"CD14", -1.4, 1e-8, 1e-6}, {"LYZ", -0.7, 1e-4, 0.01}};
  s.de_summary = de;
  s.improvement_suggestions = {"Try prompts from donors with matched controls"};
  return s;
}

inline RunReportInput SampleReportInput() {
  RunReportInput input;
  Run& run = input.run;
  run.run_id = "hay_20261125_abc123";
  run.user_email = "ada@example.org";
  run.status = RunStatus::kCompleted;
  run.raw_query = "How would CD14+ monocytes respond to IFN-gamma?";
  run.config_json = R"({"max_iterations":3,"score_threshold":7})";
  run.control_strategy = ControlStrategy::kSyntheticControl;
  run.control_strategy_effective = ControlStrategy::kQueryAsControl;
  StructuredQuery q;
  q.raw_query = run.raw_query;
  q.task_type = TaskType::kPerturbationNovelCellTypes;
  q.cell_type_query = "CD14+ monocytes";
  q.cell_type_cl_id = "CL:0001054";
  q.cell_type_name = "CD14-positive monocyte";
  q.perturbation_query = "IFN-gamma";
  q.perturbation_resolved = "interferon gamma";
  q.expected_targets = {"STAT1", "IRF1"};
  run.structured_query = q;
  const int scores[] = {5, 8, 7};
  const absl::Time t0 = absl::FromUnixSeconds(1'795'000'000);
  for (int i = 0; i < 3; ++i) {
    IterationRecord it;
    it.iteration_number = i + 1;
    it.selected_prompt.strategy =
        i == 0 ? PromptStrategyKind::kDirect : PromptStrategyKind::kMechanistic;
    it.grounding_score = SamplePerturbationalScore(scores[i]);
    it.control_strategy = ControlStrategy::kQueryAsControl;
    it.duration_seconds = 40.5 + i;
    it.phase_seconds = {{"inference", 30.0}, {"evaluation", 8.0}};
    it.prompt_path =
        "runs/hay_20261125_abc123/iterations/" + std::to_string(i + 1) + "/prompt.h5ad";
    it.inference_backend = "local-icl-baseline";
    it.started_at = t0 + absl::Seconds(60 * i);
    it.finished_at = t0 + absl::Seconds(60 * i + 40);
    run.iterations.push_back(it);
    run.grounding_scores.push_back(scores[i]);
  }
  run.final_score = 8;
  run.best_iteration = 2;
  run.termination_reason = TerminationReason::kConverged;
  run.start_time = t0 - absl::Seconds(5);
  run.end_time = t0 + absl::Seconds(200);
  run.output_report_path = "gs://bucket/runs/hay_20261125_abc123/report.html";
  run.attempt = 2;
  input.score_threshold = 7;
  input.phases = {{RunPhase::kQueryAnalysis, std::nullopt, t0 - absl::Seconds(5), t0},
                  {RunPhase::kInference, 1, t0 + absl::Seconds(2), t0 + absl::Seconds(32)}};
  input.warnings = {
      {"ExternalApiError", "literature API timed out after 3 attempts", RunPhase::kEvaluation, 1}};
  input.unavailable_components = {"literature_support: literature API timed out"};
  input.provenance = {"0.1.0", "demo-kb 2026-11", "synthetic-pbmc v1", "local-icl-baseline"};
  input.generated_at = t0 + absl::Seconds(210);
  return input;
}

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_OUTPUT_SAMPLE_RUN_H_
