#include <algorithm>
#include <set>

#include "agent/curated_knowledge.h"
#include "agent/tiny_atlas.h"
#include "catch2/catch.hpp"
#include "haystack/agent/control_resolver.h"
#include "haystack/agent/prompt_generator.h"
#include "haystack/agent/query_analyzer.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

using testing::CuratedKnowledge;

struct Fixture {
  Fixture() : atlas(testing::WriteTinyAtlas(dir.File("atlas.h5ad"))), controls(*atlas) {
    auto built = AtlasVocabulary::Build(*atlas, CuratedKnowledge());
    REQUIRE(built.ok());
    vocabulary = std::make_unique<AtlasVocabulary>(std::move(*built));
    config.random_seed = 42;
    config.max_prompt_cells = 16;
    config.max_query_cells = 10;
  }

  StructuredQuery Query(const std::string& text) {
    RuleBasedQueryAnalyzer analyzer(CuratedKnowledge(), *vocabulary);
    auto q = analyzer.Analyze(text);
    INFO(text << ": " << q.status());
    REQUIRE(q.ok());
    return *q;
  }
  std::vector<PromptCandidate> Generate(const StructuredQuery& q, int iteration = 1,
                                        const std::vector<IterationRecord>& history = {}) {
    PromptGenerator generator(*atlas, CuratedKnowledge(), controls);
    auto candidates = generator.Generate(q, config, iteration, history);
    REQUIRE(candidates.ok());
    return *candidates;
  }

  testing::TempDir dir;
  std::unique_ptr<CellAtlas> atlas;
  std::unique_ptr<AtlasVocabulary> vocabulary;
  ControlResolver controls;
  RunConfig config;
};

// The query about a cell type the atlas lacks (the analyzer refuses such a question; the
// generator and the resolver must still fail cleanly on such a record).
StructuredQuery Fibroblasts(StructuredQuery q) {
  q.cell_type_cl_id = "CL:0000057";
  q.cell_type_name = "fibroblast";
  q.cell_types_selected = {{"CL:0000057", "fibroblast", 0, "self"}};
  return q;
}

std::string Get(const PromptCandidate& c, const std::string& key) {
  auto it = c.selection.find(key);
  return it == c.selection.end() ? "" : it->second;
}

TEST_CASE("direct match: the same perturbation in the same cell type, paired per donor") {
  Fixture f;
  auto candidates = f.Generate(f.Query("How would CD14+ monocytes respond to IFN-gamma?"));
  REQUIRE(candidates.size() >= 2);
  for (int i = 0; i < 2; ++i) {
    const PromptCandidate& c = candidates[static_cast<size_t>(i)];
    CHECK(c.strategy == PromptStrategyKind::kDirect);
    CHECK(Get(c, "perturbation") == "IFNG");
    CHECK(Get(c, "cell_type_ontology_term_id") == "CL:0001054");
    CHECK(c.relevance_score == 1.0);
    REQUIRE(c.paired_control_metadata.has_value());
    CHECK(c.paired_control_metadata->donor_id == Get(c, "donor_id"));
    CHECK(c.paired_control_metadata->condition == "PBS");
    CHECK(c.paired_control_metadata->dataset == "ds1");
    REQUIRE(c.paired_control_indices.has_value());
    // The paired cells really are that donor's PBS cells of the same cell type.
    for (int64_t cell : *c.paired_control_indices) {
      CHECK(*f.atlas->ValueOf(AtlasField::kDonor, cell) == Get(c, "donor_id"));
      CHECK(*f.atlas->ValueOf(AtlasField::kPerturbation, cell) == "PBS");
      CHECK(*f.atlas->ValueOf(AtlasField::kCellType, cell) == "CL:0001054");
    }
    CHECK(static_cast<int>(c.prompt_cell_indices.size()) <= f.config.max_prompt_cells);
    CHECK(std::is_sorted(c.prompt_cell_indices.begin(), c.prompt_cell_indices.end()));
    CHECK(std::abs(c.final_score - (0.5 * c.relevance_score + 0.3 * c.diversity_score +
                                    0.2 * c.quality_score)) < 1e-12);
  }
  // D2 has 25 IFNG cells (quality 1) against D1's 20 (quality 1 too, cap 16): the first pick has
  // full diversity, the second shares dataset, cell type and perturbation with it.
  CHECK(candidates[0].diversity_score == 1.0);
  CHECK(candidates[1].diversity_score < 1.0);
}

TEST_CASE("a perturbation never measured in the cell type → mechanistic and ontology candidates") {
  Fixture f;
  auto candidates = f.Generate(f.Query("How would CD16+ monocytes respond to IFN-gamma?"));
  std::set<PromptStrategyKind> kinds;
  for (const auto& c : candidates) kinds.insert(c.strategy);
  CHECK_FALSE(kinds.contains(PromptStrategyKind::kDirect));
  REQUIRE(kinds.contains(PromptStrategyKind::kOntology));
  bool mechanistic = false;
  for (const auto& c : candidates) {
    if (c.mechanistic_score) {  // named by the semantic strategy when it is more relevant there
      mechanistic = true;
      CHECK(Get(c, "perturbation") == "IFNB1");  // shares JAK1/STAT1 with IFNG; TNF does not
      CHECK(Get(c, "cell_type_ontology_term_id") == "CL:0002396");
      REQUIRE(c.mechanistic_score.has_value());
      CHECK(*c.mechanistic_score > 0);
      CHECK_THAT(c.rationale, Catch::Contains("STAT1"));
    }
    if (c.strategy == PromptStrategyKind::kOntology) {
      // IFNG in CD14+ monocytes: a sibling of CD16+ monocytes, distance 2, relevance 1/3.
      CHECK(Get(c, "perturbation") == "IFNG");
      CHECK(Get(c, "cell_type_ontology_term_id") == "CL:0001054");
      CHECK(c.ontology_distance == 2);
      CHECK(c.relevance_score == Approx(1.0 / 3.0));
      CHECK_THAT(c.rationale, Catch::Contains("sibling"));
    }
  }
  CHECK(mechanistic);
}

TEST_CASE("ontology distances: the parent cell type is distance 1") {
  Fixture f;
  // Generic monocytes (CL:0000576) have IFNB1 cells; CD16+ monocytes are its child.
  auto candidates = f.Generate(f.Query("How would classical monocytes respond to IFN-beta?"));
  bool parent = false;
  for (const auto& c : candidates) {
    if (c.strategy == PromptStrategyKind::kOntology &&
        Get(c, "cell_type_ontology_term_id") == "CL:0000576") {
      parent = true;
      CHECK(c.ontology_distance == 1);
      CHECK(c.relevance_score == Approx(0.5));
    }
  }
  CHECK(parent);
}

TEST_CASE("fallback to query_as_control happens exactly when no matched control exists") {
  Fixture f;
  StructuredQuery q = f.Query("How would CD14+ monocytes respond to IFN-gamma?");
  SECTION("controls exist") {
    auto candidates = f.Generate(q);
    ControlDecision d = f.controls.Decide(q, f.config, candidates);
    CHECK(d.effective == ControlStrategy::kSyntheticControl);
    CHECK(d.control_cells_available);
    CHECK_FALSE(d.fallback.has_value());
    REQUIRE(d.info.has_value());
    CHECK(d.info->donors == std::vector<std::string>{"D1", "D2"});
    CHECK(d.info->conditions == std::vector<std::string>{"PBS"});
  }
  SECTION("controls come from is_control, whatever the configured names") {
    f.config.control_condition_names = {"saline"};
    auto candidates = f.Generate(q);
    ControlDecision d = f.controls.Decide(q, f.config, candidates);
    CHECK(d.effective == ControlStrategy::kSyntheticControl);
    CHECK(d.control_cells_available);
  }
  SECTION("no candidate with matched controls falls back") {
    f.config.control_condition_names = {"saline"};
    auto candidates = f.Generate(q);
    for (auto& c : candidates) {
      c.paired_control_indices.reset();
      c.paired_control_metadata.reset();
    }
    ControlDecision d = f.controls.Decide(q, f.config, candidates);
    CHECK(d.effective == ControlStrategy::kQueryAsControl);
    CHECK(d.fallback == ControlStrategy::kQueryAsControl);
    CHECK_FALSE(d.control_cells_available);
    CHECK_THAT(d.warning, Catch::Contains("is_control") && Catch::Contains("saline"));
    d.ApplyTo(q);
    CHECK(q.control_strategy_fallback == ControlStrategy::kQueryAsControl);
  }
  SECTION("query_as_control requested stays as requested") {
    f.config.control_strategy = ControlStrategy::kQueryAsControl;
    ControlDecision d = f.controls.Decide(q, f.config, f.Generate(q));
    CHECK(d.effective == ControlStrategy::kQueryAsControl);
    CHECK_FALSE(d.fallback.has_value());
  }
  SECTION("a candidate in a donor without controls is not paired") {
    PromptCandidate c;
    c.selection = {{"donor_id", "D3"},
                   {"cell_type_ontology_term_id", "CL:0000576"},
                   {"dataset", "ds2"},
                   {"perturbation", "IFNB1"}};
    auto conditions = f.controls.ControlConditions(f.config.control_condition_names);
    REQUIRE(conditions.ok());
    CHECK(*conditions == std::vector<std::string>{"DMSO", "PBS", "untreated"});
    REQUIRE(f.controls.PairControls(c, *conditions, 10, 1).ok());
    CHECK_FALSE(c.paired_control_indices.has_value());
  }
}

TEST_CASE("query cells: controls of the cell type, preferring the named donor, capped") {
  Fixture f;
  auto all =
      f.controls.SelectQueryCells(f.Query("How would CD14+ monocytes respond to IFNG?"), f.config);
  REQUIRE(all.ok());
  CHECK(all->n_available == 35);  // PBS cells of D1 and D2
  CHECK(all->cells.size() == 10);
  CHECK(std::is_sorted(all->cells.begin(), all->cells.end()));
  auto d2 = f.controls.SelectQueryCells(
      f.Query("How would CD14+ monocytes from donor D2 respond to IFNG?"), f.config);
  REQUIRE(d2.ok());
  CHECK(d2->n_available == 15);
  for (int64_t cell : d2->cells) CHECK(*f.atlas->ValueOf(AtlasField::kDonor, cell) == "D2");
  // A record naming a donor the atlas lacks (the analyzer refuses such a query; the resolver
  // still copes with an older record).
  StructuredQuery d9 = f.Query("How would CD14+ monocytes from donor D2 respond to IFNG?");
  d9.target_donor_id = "D9";
  auto missing = f.controls.SelectQueryCells(d9, f.config);
  REQUIRE(missing.ok());  // the donor preference is relaxed, and the rationale says so
  CHECK(missing->n_available == 35);
  CHECK_THAT(missing->rationale, Catch::Contains("relaxed") && Catch::Contains("D9"));
  auto none = f.controls.SelectQueryCells(Fibroblasts(f.Query("How would B cells respond to TNF?")),
                                          f.config);
  REQUIRE_FALSE(none.ok());
  CHECK(GetErrorKind(none.status()) == ErrorKind::kRetrieval);
  CHECK_THAT(std::string(none.status().message()), Catch::Contains("CL:0000057"));
}

TEST_CASE("observational: donor context and query cells from other donors") {
  Fixture f;
  StructuredQuery q = f.Query("What would B cells look like in donor D3?");
  REQUIRE(q.task_type == TaskType::kDonorExpressionPrediction);
  auto candidates = f.Generate(q);
  REQUIRE_FALSE(candidates.empty());
  CHECK(candidates[0].strategy == PromptStrategyKind::kDonorContext);
  for (const auto& c : candidates) {
    if (c.strategy != PromptStrategyKind::kDonorContext) continue;
    CHECK(Get(c, "donor_id") == "D3");
    CHECK(Get(c, "is_control") == "true");
    CHECK(Get(c, "cell_type_ontology_term_id") != "CL:0000236");
    CHECK_FALSE(c.paired_control_indices.has_value());
  }
  auto query_cells = f.controls.SelectQueryCells(q, f.config);
  REQUIRE(query_cells.ok());
  CHECK(query_cells->n_available == 10);  // D1's unperturbed B cells
}

TEST_CASE("later iterations skip tried prompts and lower a failing strategy") {
  Fixture f;
  StructuredQuery q = f.Query("How would CD14+ monocytes respond to IFN-gamma?");
  auto first = f.Generate(q);
  IterationRecord record;
  record.iteration_number = 1;
  record.selected_prompt = first[0];
  GroundingScore low;
  low.composite_score = 3;
  record.grounding_score = low;
  auto second = f.Generate(q, 2, {record});
  for (const auto& c : second) CHECK(c.selection != first[0].selection);
  REQUIRE_FALSE(second.empty());
  const auto direct = std::find_if(second.begin(), second.end(), [](const PromptCandidate& c) {
    return c.strategy == PromptStrategyKind::kDirect;
  });
  REQUIRE(direct != second.end());
  CHECK(direct->relevance_score == Approx(0.8));
  CHECK_THAT(direct->rationale, Catch::Contains("relevance lowered"));
}

TEST_CASE("same inputs and seed give the same candidates, byte for byte") {
  Fixture f;
  StructuredQuery q = f.Query("How would CD16+ monocytes respond to IFN-gamma?");
  const std::string a = ToJson(f.Generate(q));
  const std::string b = ToJson(f.Generate(q));
  CHECK(a == b);
  f.config.random_seed = 7;
  CHECK(ToJson(f.Generate(q)) != a);  // cells are sampled from the seed
}

TEST_CASE("nothing to prompt with is a retrieval error naming the strategies") {
  Fixture f;
  PromptGenerator generator(*f.atlas, CuratedKnowledge(), f.controls);
  StructuredQuery q = Fibroblasts(f.Query("How would B cells respond to TNF?"));
  q.perturbation_resolved = "TGFB1";
  auto result = generator.Generate(q, f.config, 1, {});
  REQUIRE_FALSE(result.ok());
  CHECK(GetErrorKind(result.status()) == ErrorKind::kRetrieval);
  CHECK_THAT(std::string(result.status().message()),
             Catch::Contains("direct, mechanistic, semantic, ontology"));
}

}  // namespace
}  // namespace haystack
