// JSON encoding of the model types. Member names are the specification's field names.
#include "fmt/format.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

// Writes an object: `body` emits the members.
template <class F>
void Object(JsonWriter& w, F&& body) {
  w.StartObject();
  body();
  w.EndObject();
}

}  // namespace

// ---- RunConfig ----------------------------------------------------------------------------

void WriteJson(JsonWriter& w, const DEAnalysisConfig& v) {
  Object(w, [&] {
    WriteMember(w, "test_method", v.test_method);
    WriteMember(w, "wilcoxon_convention", v.wilcoxon_convention);
    WriteMember(w, "correction_method", v.correction_method);
    WriteMember(w, "lfc_threshold", v.lfc_threshold);
    WriteMember(w, "pval_threshold", v.pval_threshold);
    WriteMember(w, "min_cells_per_group", v.min_cells_per_group);
    WriteMember(w, "top_n_hvg", v.top_n_hvg);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, DEAnalysisConfig* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("test_method", &out->test_method));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("wilcoxon_convention", &out->wilcoxon_convention));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("correction_method", &out->correction_method));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("lfc_threshold", &out->lfc_threshold));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("pval_threshold", &out->pval_threshold));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("min_cells_per_group", &out->min_cells_per_group));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("top_n_hvg", &out->top_n_hvg));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const RunConfig& v) {
  Object(w, [&] {
    WriteMember(w, "max_iterations", v.max_iterations);
    WriteMember(w, "score_threshold", v.score_threshold);
    WriteMember(w, "plateau_window", v.plateau_window);
    WriteMember(w, "min_improvement", v.min_improvement);
    WriteMember(w, "control_strategy", v.control_strategy);
    WriteMember(w, "control_condition_names", v.control_condition_names);
    WriteMember(w, "llm_provider", v.llm_provider);
    WriteMember(w, "llm_model", v.llm_model);
    WriteMember(w, "enable_literature_search", v.enable_literature_search);
    WriteMember(w, "enable_pathway_enrichment", v.enable_pathway_enrichment);
    WriteMember(w, "de_config", v.de_config);
    WriteMember(w, "random_seed", v.random_seed);
    WriteMember(w, "max_prompt_cells", v.max_prompt_cells);
    WriteMember(w, "max_query_cells", v.max_query_cells);
    WriteMember(w, "top_k_candidates", v.top_k_candidates);
    WriteMember(w, "diffusion_steps", v.diffusion_steps);
    WriteMember(w, "batch_size", v.batch_size);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, RunConfig* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("max_iterations", &out->max_iterations));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("score_threshold", &out->score_threshold));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("plateau_window", &out->plateau_window));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("min_improvement", &out->min_improvement));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_strategy", &out->control_strategy));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_condition_names", &out->control_condition_names));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("llm_provider", &out->llm_provider));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("llm_model", &out->llm_model));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("enable_literature_search", &out->enable_literature_search));
  HAYSTACK_RETURN_IF_ERROR(
      r.Optional("enable_pathway_enrichment", &out->enable_pathway_enrichment));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("de_config", &out->de_config));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("random_seed", &out->random_seed));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("max_prompt_cells", &out->max_prompt_cells));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("max_query_cells", &out->max_query_cells));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("top_k_candidates", &out->top_k_candidates));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("diffusion_steps", &out->diffusion_steps));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("batch_size", &out->batch_size));
  return absl::OkStatus();
}

// ---- StructuredQuery ----------------------------------------------------------------------

void WriteJson(JsonWriter& w, const ControlCellInfo& v) {
  Object(w, [&] {
    WriteMember(w, "donors", v.donors);
    WriteMember(w, "conditions", v.conditions);
    WriteMember(w, "n_cells", v.n_cells);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, ControlCellInfo* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("donors", &out->donors));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("conditions", &out->conditions));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_cells", &out->n_cells));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const CellTypeSelection& v) {
  Object(w, [&] {
    WriteMember(w, "id", v.id);
    WriteMember(w, "name", v.name);
    WriteMember(w, "distance", v.distance);
    WriteMember(w, "relation", v.relation);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, CellTypeSelection* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("id", &out->id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("name", &out->name));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("distance", &out->distance));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("relation", &out->relation));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const StructuredQuery& v) {
  Object(w, [&] {
    WriteMember(w, "raw_query", v.raw_query);
    WriteMember(w, "task_type", v.task_type);
    WriteMember(w, "cell_type_query", v.cell_type_query);
    WriteMember(w, "cell_type_cl_id", v.cell_type_cl_id);
    WriteMember(w, "cell_type_name", v.cell_type_name);
    WriteMember(w, "cell_type_synonyms", v.cell_type_synonyms);
    WriteMember(w, "cell_types_selected", v.cell_types_selected);
    WriteMember(w, "perturbation_query", v.perturbation_query);
    WriteMember(w, "perturbation_type", v.perturbation_type);
    WriteMember(w, "perturbation_resolved", v.perturbation_resolved);
    WriteMember(w, "perturbation_components", v.perturbation_components);
    WriteMember(w, "perturbation_external_ids", v.perturbation_external_ids);
    WriteMember(w, "expected_targets", v.expected_targets);
    WriteMember(w, "expected_pathways", v.expected_pathways);
    WriteMember(w, "target_donor_id", v.target_donor_id);
    WriteMember(w, "target_tissue", v.target_tissue);
    WriteMember(w, "target_disease_state", v.target_disease_state);
    WriteMember(w, "target_condition", v.target_condition);
    WriteMember(w, "reference_donor_id", v.reference_donor_id);
    WriteMember(w, "reference_dataset", v.reference_dataset);
    WriteMember(w, "expected_marker_genes", v.expected_marker_genes);
    WriteMember(w, "expected_tissue_genes", v.expected_tissue_genes);
    WriteMember(w, "literature_context", v.literature_context);
    WriteMember(w, "control_strategy", v.control_strategy);
    WriteMember(w, "control_cells_available", v.control_cells_available);
    WriteMember(w, "control_cell_info", v.control_cell_info);
    WriteMember(w, "control_strategy_fallback", v.control_strategy_fallback);
    WriteMember(w, "analyzer", v.analyzer);
    WriteMember(w, "notes", v.notes);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, StructuredQuery* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("raw_query", &out->raw_query));
  HAYSTACK_RETURN_IF_ERROR(r.Required("task_type", &out->task_type));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_type_query", &out->cell_type_query));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_type_cl_id", &out->cell_type_cl_id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_type_name", &out->cell_type_name));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_type_synonyms", &out->cell_type_synonyms));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_types_selected", &out->cell_types_selected));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("perturbation_query", &out->perturbation_query));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("perturbation_type", &out->perturbation_type));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("perturbation_resolved", &out->perturbation_resolved));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("perturbation_components", &out->perturbation_components));
  HAYSTACK_RETURN_IF_ERROR(
      r.Optional("perturbation_external_ids", &out->perturbation_external_ids));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("expected_targets", &out->expected_targets));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("expected_pathways", &out->expected_pathways));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("target_donor_id", &out->target_donor_id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("target_tissue", &out->target_tissue));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("target_disease_state", &out->target_disease_state));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("target_condition", &out->target_condition));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("reference_donor_id", &out->reference_donor_id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("reference_dataset", &out->reference_dataset));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("expected_marker_genes", &out->expected_marker_genes));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("expected_tissue_genes", &out->expected_tissue_genes));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("literature_context", &out->literature_context));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_strategy", &out->control_strategy));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_cells_available", &out->control_cells_available));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_cell_info", &out->control_cell_info));
  HAYSTACK_RETURN_IF_ERROR(
      r.Optional("control_strategy_fallback", &out->control_strategy_fallback));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("analyzer", &out->analyzer));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("notes", &out->notes));
  return absl::OkStatus();
}

// ---- PromptCandidate ----------------------------------------------------------------------

void WriteJson(JsonWriter& w, const PairedControlMetadata& v) {
  Object(w, [&] {
    WriteMember(w, "donor_id", v.donor_id);
    WriteMember(w, "cell_type", v.cell_type);
    WriteMember(w, "condition", v.condition);
    WriteMember(w, "dataset", v.dataset);
    WriteMember(w, "n_cells", v.n_cells);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, PairedControlMetadata* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("donor_id", &out->donor_id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_type", &out->cell_type));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("condition", &out->condition));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("dataset", &out->dataset));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_cells", &out->n_cells));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const PromptCandidate& v) {
  Object(w, [&] {
    WriteMember(w, "strategy", v.strategy);
    WriteMember(w, "selection", v.selection);
    WriteMember(w, "prompt_cell_indices", v.prompt_cell_indices);
    WriteMember(w, "paired_control_indices", v.paired_control_indices);
    WriteMember(w, "paired_control_metadata", v.paired_control_metadata);
    WriteMember(w, "n_cells_available", v.n_cells_available);
    WriteMember(w, "relevance_score", v.relevance_score);
    WriteMember(w, "diversity_score", v.diversity_score);
    WriteMember(w, "quality_score", v.quality_score);
    WriteMember(w, "final_score", v.final_score);
    WriteMember(w, "similarity_score", v.similarity_score);
    WriteMember(w, "mechanistic_score", v.mechanistic_score);
    WriteMember(w, "ontology_distance", v.ontology_distance);
    WriteMember(w, "rationale", v.rationale);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, PromptCandidate* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("strategy", &out->strategy));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("selection", &out->selection));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("prompt_cell_indices", &out->prompt_cell_indices));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("paired_control_indices", &out->paired_control_indices));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("paired_control_metadata", &out->paired_control_metadata));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_cells_available", &out->n_cells_available));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("relevance_score", &out->relevance_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("diversity_score", &out->diversity_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("quality_score", &out->quality_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("final_score", &out->final_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("similarity_score", &out->similarity_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("mechanistic_score", &out->mechanistic_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("ontology_distance", &out->ontology_distance));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("rationale", &out->rationale));
  return absl::OkStatus();
}

// ---- Scores -------------------------------------------------------------------------------

void WriteJson(JsonWriter& w, const DeGene& v) {
  Object(w, [&] {
    WriteMember(w, "gene", v.gene);
    WriteMember(w, "log2_fold_change", v.log2_fold_change);
    WriteMember(w, "p_value", v.p_value);
    WriteMember(w, "adjusted_p_value", v.adjusted_p_value);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, DeGene* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("gene", &out->gene));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("log2_fold_change", &out->log2_fold_change));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("p_value", &out->p_value));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("adjusted_p_value", &out->adjusted_p_value));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const DeSummary& v) {
  Object(w, [&] {
    WriteMember(w, "method", v.method);
    WriteMember(w, "convention", v.convention);
    WriteMember(w, "correction", v.correction);
    WriteMember(w, "treatment_source", v.treatment_source);
    WriteMember(w, "control_source", v.control_source);
    WriteMember(w, "n_treatment_cells", v.n_treatment_cells);
    WriteMember(w, "n_control_cells", v.n_control_cells);
    WriteMember(w, "n_genes_tested", v.n_genes_tested);
    WriteMember(w, "n_genes_filtered", v.n_genes_filtered);
    WriteMember(w, "design", v.design);
    WriteMember(w, "n_units", v.n_units);
    WriteMember(w, "caveats", v.caveats);
    WriteMember(w, "n_up", v.n_up);
    WriteMember(w, "n_down", v.n_down);
    WriteMember(w, "lfc_threshold", v.lfc_threshold);
    WriteMember(w, "pval_threshold", v.pval_threshold);
    WriteMember(w, "top_up", v.top_up);
    WriteMember(w, "top_down", v.top_down);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, DeSummary* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("method", &out->method));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("convention", &out->convention));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("correction", &out->correction));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("treatment_source", &out->treatment_source));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_source", &out->control_source));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_treatment_cells", &out->n_treatment_cells));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_control_cells", &out->n_control_cells));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_genes_tested", &out->n_genes_tested));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_genes_filtered", &out->n_genes_filtered));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("design", &out->design));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_units", &out->n_units));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("caveats", &out->caveats));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_up", &out->n_up));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_down", &out->n_down));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("lfc_threshold", &out->lfc_threshold));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("pval_threshold", &out->pval_threshold));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("top_up", &out->top_up));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("top_down", &out->top_down));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const EnrichedPathway& v) {
  Object(w, [&] {
    WriteMember(w, "set_id", v.set_id);
    WriteMember(w, "name", v.name);
    WriteMember(w, "collection", v.collection);
    WriteMember(w, "direction", v.direction);
    WriteMember(w, "overlap", v.overlap);
    WriteMember(w, "set_size", v.set_size);
    WriteMember(w, "query_size", v.query_size);
    WriteMember(w, "universe_size", v.universe_size);
    WriteMember(w, "p_value", v.p_value);
    WriteMember(w, "adjusted_p_value", v.adjusted_p_value);
    WriteMember(w, "genes", v.genes);
    WriteMember(w, "aliases", v.aliases);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, EnrichedPathway* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("set_id", &out->set_id));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("name", &out->name));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("collection", &out->collection));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("direction", &out->direction));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("overlap", &out->overlap));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("set_size", &out->set_size));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("query_size", &out->query_size));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("universe_size", &out->universe_size));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("p_value", &out->p_value));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("adjusted_p_value", &out->adjusted_p_value));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("genes", &out->genes));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("aliases", &out->aliases));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const LiteratureEvidence& v) {
  Object(w, [&] {
    WriteMember(w, "subject", v.subject);
    WriteMember(w, "evidence_type", v.evidence_type);
    WriteMember(w, "n_publications", v.n_publications);
    WriteMember(w, "expected_publications", v.expected_publications);
    WriteMember(w, "publication_ids", v.publication_ids);
    WriteMember(w, "note", v.note);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, LiteratureEvidence* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("subject", &out->subject));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("evidence_type", &out->evidence_type));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("n_publications", &out->n_publications));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("expected_publications", &out->expected_publications));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("publication_ids", &out->publication_ids));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("note", &out->note));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const ScoreComponent& v) {
  Object(w, [&] {
    WriteMember(w, "name", v.name);
    WriteMember(w, "score", v.score);
    WriteMember(w, "weight", v.weight);
    WriteMember(w, "rationale", v.rationale);
    if (!v.unavailable_reason.empty()) WriteMember(w, "unavailable_reason", v.unavailable_reason);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, ScoreComponent* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("name", &out->name));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("score", &out->score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("weight", &out->weight));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("rationale", &out->rationale));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("unavailable_reason", &out->unavailable_reason));
  return absl::OkStatus();
}

namespace {

void WriteGroundingMembers(JsonWriter& w, const GroundingScore& v) {
  WriteMember(w, "pathway_coherence", v.pathway_coherence);
  WriteMember(w, "target_activation", v.target_activation);
  WriteMember(w, "literature_support", v.literature_support);
  WriteMember(w, "network_coherence", v.network_coherence);
  WriteMember(w, "composite_score", v.composite_score);
  WriteMember(w, "composite_raw", v.composite_raw);
  WriteMember(w, "confidence_penalty", v.confidence_penalty);
  WriteMember(w, "control_strategy", v.control_strategy);
  WriteMember(w, "enriched_pathways", v.enriched_pathways);
  WriteMember(w, "de_genes_up", v.de_genes_up);
  WriteMember(w, "de_genes_down", v.de_genes_down);
  WriteMember(w, "literature_evidence", v.literature_evidence);
  WriteMember(w, "improvement_suggestions", v.improvement_suggestions);
  WriteMember(w, "components", v.components);
  WriteMember(w, "de_summary", v.de_summary);
}

void WriteObservationalMembers(JsonWriter& w, const ObservationalGroundingScore& v) {
  WriteMember(w, "marker_gene_expression", v.marker_gene_expression);
  WriteMember(w, "tissue_signature_match", v.tissue_signature_match);
  WriteMember(w, "donor_effect_capture", v.donor_effect_capture);
  WriteMember(w, "cell_type_coherence", v.cell_type_coherence);
  WriteMember(w, "composite_score", v.composite_score);
  WriteMember(w, "composite_raw", v.composite_raw);
  WriteMember(w, "marker_genes_detected", v.marker_genes_detected);
  WriteMember(w, "tissue_genes_detected", v.tissue_genes_detected);
  WriteMember(w, "donor_signature_genes", v.donor_signature_genes);
  WriteMember(w, "improvement_suggestions", v.improvement_suggestions);
  WriteMember(w, "components", v.components);
}

}  // namespace

void WriteJson(JsonWriter& w, const GroundingScore& v) {
  Object(w, [&] { WriteGroundingMembers(w, v); });
}

void WriteJson(JsonWriter& w, const ObservationalGroundingScore& v) {
  Object(w, [&] { WriteObservationalMembers(w, v); });
}

void WriteJson(JsonWriter& w, const AnyGroundingScore& v) {
  Object(w, [&] {
    if (const auto* p = std::get_if<GroundingScore>(&v)) {
      WriteMember(w, "kind", std::string_view("perturbational"));
      WriteGroundingMembers(w, *p);
    } else {
      WriteMember(w, "kind", std::string_view("observational"));
      WriteObservationalMembers(w, std::get<ObservationalGroundingScore>(v));
    }
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, GroundingScore* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("pathway_coherence", &out->pathway_coherence));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("target_activation", &out->target_activation));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("literature_support", &out->literature_support));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("network_coherence", &out->network_coherence));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("composite_score", &out->composite_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("composite_raw", &out->composite_raw));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("confidence_penalty", &out->confidence_penalty));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_strategy", &out->control_strategy));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("enriched_pathways", &out->enriched_pathways));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("de_genes_up", &out->de_genes_up));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("de_genes_down", &out->de_genes_down));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("literature_evidence", &out->literature_evidence));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("improvement_suggestions", &out->improvement_suggestions));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("components", &out->components));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("de_summary", &out->de_summary));
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, ObservationalGroundingScore* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("marker_gene_expression", &out->marker_gene_expression));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("tissue_signature_match", &out->tissue_signature_match));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("donor_effect_capture", &out->donor_effect_capture));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("cell_type_coherence", &out->cell_type_coherence));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("composite_score", &out->composite_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("composite_raw", &out->composite_raw));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("marker_genes_detected", &out->marker_genes_detected));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("tissue_genes_detected", &out->tissue_genes_detected));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("donor_signature_genes", &out->donor_signature_genes));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("improvement_suggestions", &out->improvement_suggestions));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("components", &out->components));
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, AnyGroundingScore* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  std::string kind;
  HAYSTACK_RETURN_IF_ERROR(r.Required("kind", &kind));
  if (kind == "perturbational") {
    GroundingScore score;
    HAYSTACK_RETURN_IF_ERROR(ReadJson(v, path, &score));
    *out = std::move(score);
  } else if (kind == "observational") {
    ObservationalGroundingScore score;
    HAYSTACK_RETURN_IF_ERROR(ReadJson(v, path, &score));
    *out = std::move(score);
  } else {
    return InvalidInputError(ErrorKind::kConfiguration,
                             fmt::format("{}.kind: unknown score kind '{}'; expected "
                                         "perturbational or observational",
                                         path, QuoteForMessage(kind, 40)));
  }
  return absl::OkStatus();
}

// ---- IterationRecord ----------------------------------------------------------------------

void WriteJson(JsonWriter& w, const IterationRecord& v) {
  Object(w, [&] {
    WriteMember(w, "iteration_number", v.iteration_number);
    WriteMember(w, "prompt_candidates", v.prompt_candidates);
    WriteMember(w, "selected_prompt", v.selected_prompt);
    WriteMember(w, "grounding_score", v.grounding_score);
    WriteMember(w, "control_strategy", v.control_strategy);
    WriteMember(w, "duration_seconds", v.duration_seconds);
    WriteMember(w, "phase_seconds", v.phase_seconds);
    WriteMember(w, "prompt_path", v.prompt_path);
    WriteMember(w, "query_cells_path", v.query_cells_path);
    WriteMember(w, "prediction_path", v.prediction_path);
    WriteMember(w, "control_prompt_path", v.control_prompt_path);
    WriteMember(w, "control_prediction_path", v.control_prediction_path);
    WriteMember(w, "inference_backend", v.inference_backend);
    WriteMember(w, "started_at", v.started_at);
    WriteMember(w, "finished_at", v.finished_at);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, IterationRecord* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("iteration_number", &out->iteration_number));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("prompt_candidates", &out->prompt_candidates));
  HAYSTACK_RETURN_IF_ERROR(r.Required("selected_prompt", &out->selected_prompt));
  HAYSTACK_RETURN_IF_ERROR(r.Required("grounding_score", &out->grounding_score));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_strategy", &out->control_strategy));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("duration_seconds", &out->duration_seconds));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("phase_seconds", &out->phase_seconds));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("prompt_path", &out->prompt_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("query_cells_path", &out->query_cells_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("prediction_path", &out->prediction_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_prompt_path", &out->control_prompt_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("control_prediction_path", &out->control_prediction_path));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("inference_backend", &out->inference_backend));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("started_at", &out->started_at));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("finished_at", &out->finished_at));
  return absl::OkStatus();
}

// ---- Run ----------------------------------------------------------------------------------

void WriteJson(JsonWriter& w, const RunError& v) {
  Object(w, [&] {
    WriteMember(w, "error_type", v.error_type);
    WriteMember(w, "message", v.message);
    WriteMember(w, "phase", v.phase);
    WriteMember(w, "iteration", v.iteration);
  });
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, RunError* out) {
  HAYSTACK_ASSIGN_OR_RETURN(auto r, JsonObjectReader::Create(v, path));
  HAYSTACK_RETURN_IF_ERROR(r.Required("error_type", &out->error_type));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("message", &out->message));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("phase", &out->phase));
  HAYSTACK_RETURN_IF_ERROR(r.Optional("iteration", &out->iteration));
  return absl::OkStatus();
}

void WriteJson(JsonWriter& w, const Run& v) {
  Object(w, [&] {
    WriteMember(w, "run_id", v.run_id);
    WriteMember(w, "user_email", v.user_email);
    WriteMember(w, "status", v.status);
    WriteMember(w, "raw_query", v.raw_query);
    // The stored config is embedded as JSON when it is a valid document within the limits, as
    // its text otherwise (a malformed record is shown, not hidden).
    w.Key("config");
    if (auto config = ParseJsonDocument(v.config_json, "config"); config.ok()) {
      WriteJson(w, *config);
    } else {
      WriteJson(w, v.config_json);
    }
    WriteMember(w, "control_strategy", v.control_strategy);
    WriteMember(w, "control_strategy_effective", v.control_strategy_effective);
    WriteMember(w, "control_cells_available", v.control_cells_available);
    WriteMember(w, "structured_query", v.structured_query);
    WriteMember(w, "random_seed", v.random_seed);
    WriteMember(w, "current_phase", v.current_phase);
    WriteMember(w, "current_iteration", v.current_iteration);
    WriteMember(w, "iterations", v.iterations);
    WriteMember(w, "grounding_scores", v.grounding_scores);
    WriteMember(w, "final_score", v.final_score);
    WriteMember(w, "best_iteration", v.best_iteration);
    WriteMember(w, "termination_reason", v.termination_reason);
    WriteMember(w, "error", v.error);
    WriteMember(w, "output_anndata_path", v.output_anndata_path);
    WriteMember(w, "output_report_path", v.output_report_path);
    WriteMember(w, "output_log_path", v.output_log_path);
    WriteMember(w, "attempt", v.attempt);
    WriteMember(w, "lease_owner", v.lease_owner);
    WriteMember(w, "lease_expires_at", v.lease_expires_at);
    WriteMember(w, "cancel_requested_at", v.cancel_requested_at);
    WriteMember(w, "start_time", v.start_time);
    WriteMember(w, "end_time", v.end_time);
    WriteMember(w, "created_at", v.created_at);
    WriteMember(w, "updated_at", v.updated_at);
  });
}

}  // namespace haystack
