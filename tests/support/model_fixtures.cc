#include "support/model_fixtures.h"

namespace haystack::testing {

StructuredQuery SampleStructuredQuery() {
  StructuredQuery q;
  q.raw_query = "How would CD14+ monocytes respond to IFN-gamma?";
  q.task_type = TaskType::kPerturbationNovelCellTypes;
  q.cell_type_query = "CD14+ monocytes";
  q.cell_type_cl_id = "CL:0001054";
  q.cell_type_name = "CD14-positive monocyte";
  q.cell_type_synonyms = {"classical monocyte", "CD14+ monocyte"};
  q.perturbation_query = "IFN-gamma";
  q.perturbation_type = PerturbationType::kCytokine;
  q.perturbation_resolved = "IFNG";
  q.perturbation_external_ids = {{"entrez", "3458"}, {"uniprot", "P01579"}};
  q.expected_targets = {"IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"};
  q.expected_pathways = {"GO:0034341", "GO:0060333"};
  q.target_donor_id = "donor_1";
  q.target_tissue = "UBERON:0000178";
  q.target_disease_state = "PATO:0000461";
  q.target_condition = "IFNG 10ng/ml";
  q.reference_donor_id = "donor_2";
  q.reference_dataset = "parse_pbmc";
  q.expected_marker_genes = {"CD14", "LYZ"};
  q.expected_tissue_genes = {"HBB"};
  q.literature_context = "IFN-γ activates STAT1 — \"classical\" response <b>";
  q.control_strategy = ControlStrategy::kSyntheticControl;
  q.control_cells_available = true;
  q.control_cell_info = ControlCellInfo{{"donor_1", "donor_2"}, {"PBS"}, 420};
  q.control_strategy_fallback = ControlStrategy::kQueryAsControl;
  q.analyzer = "rules";
  q.notes = {"cell type resolved by synonym"};
  return q;
}

PromptCandidate SamplePromptCandidate() {
  PromptCandidate p;
  p.strategy = PromptStrategyKind::kMechanistic;
  p.selection = {{"atlas", "demo"}, {"perturbation", "IFNB1"}, {"cell_type", "CL:0000576"}};
  p.prompt_cell_indices = {0, 5, 9, 1'000'000'000'123};
  p.paired_control_indices = std::vector<int64_t>{3, 4};
  p.paired_control_metadata = PairedControlMetadata{"donor_1", "CL:0000576", "PBS", "demo", 2};
  p.n_cells_available = 812;
  p.relevance_score = 0.75;
  p.diversity_score = 1.0;
  p.quality_score = 0.5;
  p.final_score = 0.75 * 0.4 + 0.3 + 0.5 * 0.3;
  p.similarity_score = 0.61;
  p.mechanistic_score = 0.4;
  p.ontology_distance = 1;
  p.rationale = "shares targets JAK1, STAT1 with IFNG";
  return p;
}

GroundingScore SampleGroundingScore(int composite) {
  GroundingScore s;
  s.pathway_coherence = 8;
  s.target_activation = 9;
  s.literature_support = std::nullopt;
  s.network_coherence = 6;
  s.composite_score = composite;
  s.composite_raw = 7.65;
  s.confidence_penalty = 0.5;
  s.control_strategy = ControlStrategy::kQueryAsControl;
  s.enriched_pathways = {EnrichedPathway{"GO:0034341",
                                         "response to interferon-gamma",
                                         "GO_BP",
                                         "up",
                                         12,
                                         130,
                                         200,
                                         18000,
                                         1.5e-12,
                                         3.25e-9,
                                         {"STAT1", "IRF1", "GBP1"}}};
  s.de_genes_up = {"STAT1", "IRF1", "GBP1", "CXCL10"};
  s.de_genes_down = {"MYC"};
  s.literature_evidence = {LiteratureEvidence{
      "STAT1", "supports_prediction", 120, 3.5, {"PMID:1", "PMID:2"}, "co-cited with IFNG"}};
  s.improvement_suggestions = {"try mechanistic prompts sharing JAK/STAT targets"};
  s.components = {
      ScoreComponent{"pathway_coherence", 8, 0.25, "2 of 2 expected pathways", ""},
      ScoreComponent{"literature_support", std::nullopt, 0.25, "", "literature search disabled"}};
  DeSummary de;
  de.control_source = "query_cells";
  de.treatment_source = "predictions";
  de.n_treatment_cells = 500;
  de.n_control_cells = 500;
  de.n_genes_tested = 2000;
  de.n_up = 4;
  de.n_down = 1;
  de.top_up = {DeGene{"STAT1", 2.5, 1e-30, 1e-27}};
  de.top_down = {DeGene{"MYC", -1.0, 1e-5, 0.01}};
  s.de_summary = de;
  return s;
}

ObservationalGroundingScore SampleObservationalScore() {
  ObservationalGroundingScore s;
  s.marker_gene_expression = 9;
  s.tissue_signature_match = 8;
  s.donor_effect_capture = std::nullopt;
  s.cell_type_coherence = 8;
  s.composite_score = 8;
  s.composite_raw = 8.33;
  s.marker_genes_detected = {{"CD14", 0.92}, {"LYZ", 0.88}};
  s.tissue_genes_detected = {{"HBB", 0.1}};
  s.donor_signature_genes = {"XIST"};
  s.improvement_suggestions = {"add donor-matched prompts"};
  s.components = {ScoreComponent{"marker_gene_expression", 9, 0.25, "markers expressed", ""}};
  return s;
}

IterationRecord SampleIteration(int number, int composite) {
  IterationRecord r;
  r.iteration_number = number;
  r.prompt_candidates = {SamplePromptCandidate(), SamplePromptCandidate()};
  r.prompt_candidates[1].strategy = PromptStrategyKind::kOntology;
  r.selected_prompt = SamplePromptCandidate();
  r.grounding_score = SampleGroundingScore(composite);
  r.control_strategy = ControlStrategy::kSyntheticControl;
  r.duration_seconds = 12.5;
  r.phase_seconds = {{"prompt_generation", 0.5}, {"inference", 10.0}, {"evaluation", 2.0}};
  r.prompt_path = "runs/x/iterations/1/prompt.h5ad";
  r.query_cells_path = "runs/x/query.h5ad";
  r.prediction_path = "runs/x/iterations/1/predictions.h5ad";
  r.control_prompt_path = "runs/x/iterations/1/control_prompt.h5ad";
  r.control_prediction_path = "runs/x/iterations/1/control_predictions.h5ad";
  r.inference_backend = "local-icl-baseline";
  r.started_at = absl::FromUnixMicros(1'790'000'000'123'456);
  r.finished_at = absl::FromUnixMicros(1'790'000'012'623'456);
  return r;
}

Run SamplePendingRun(const std::string& run_id) {
  Run run;
  run.run_id = run_id;
  run.user_email = "ada@example.org";
  run.status = RunStatus::kPending;
  run.raw_query = "How would CD14+ monocytes respond to IFN-gamma?";
  run.config_json = R"({"max_iterations":3,"score_threshold":7,"llm_provider":null})";
  run.control_strategy = ControlStrategy::kSyntheticControl;
  run.random_seed = 42;
  return run;
}

}  // namespace haystack::testing
