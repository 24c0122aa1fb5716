// Focused cases of the rule-based analyzer; the wording table (wording_table_test.cc) covers
// the breadth of wordings on two atlases.
#include <string>

#include "agent/test_atlases.h"
#include "catch2/catch.hpp"
#include "haystack/agent/query_analyzer.h"
#include "haystack/core/error.h"

namespace haystack {
namespace {

using testing::CellxgeneVocabulary;
using testing::DemoVocabulary;
using testing::TableKnowledge;

RuleBasedQueryAnalyzer Demo() { return RuleBasedQueryAnalyzer(TableKnowledge(), DemoVocabulary()); }
RuleBasedQueryAnalyzer Cellxgene() {
  return RuleBasedQueryAnalyzer(TableKnowledge(), CellxgeneVocabulary());
}

std::string Message(const absl::StatusOr<StructuredQuery>& q) {
  return q.ok() ? std::string("(ok)") : std::string(q.status().message());
}

TEST_CASE("a resolved perturbation brings its targets, pathways and type") {
  auto q = Demo().Analyze("How would CD14+ monocytes respond to IFN-gamma?");
  REQUIRE(q.ok());
  CHECK(q->perturbation_query == "IFN-gamma");
  CHECK(q->perturbation_type == PerturbationType::kCytokine);
  CHECK(q->perturbation_components == std::vector<std::string>{"IFNG"});
  CHECK(q->expected_targets ==
        std::vector<std::string>{"IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"});
  CHECK(q->expected_pathways == std::vector<std::string>{"GO:0034341", "GO:0060333"});
  CHECK(q->cell_type_query == "CD14+ monocytes");
  CHECK(q->cell_type_name == "CD14-positive monocyte");
  CHECK(q->cell_types_selected ==
        std::vector<CellTypeSelection>{{"CL:0001054", "CD14-positive monocyte", 0, "self"}});
  CHECK_FALSE(q->cell_type_synonyms.empty());
  CHECK(q->notes.empty());
}

TEST_CASE("a parent cell type selects its descendants with their ontology distances") {
  auto q = Demo().Analyze("effect of dexamethasone on T cells");
  REQUIRE(q.ok());
  CHECK(q->cell_type_cl_id == "CL:0000084");
  REQUIRE(q->cell_types_selected.size() == 2);
  CHECK(q->cell_types_selected[0] ==
        CellTypeSelection{"CL:0000624", "CD4-positive, alpha-beta T cell", 2, "grandchild"});
  CHECK(q->cell_types_selected[1].id == "CL:0000625");
  REQUIRE(q->notes.size() == 1);
  CHECK_THAT(q->notes[0], Catch::Contains("selects 2 cell types"));
}

TEST_CASE("cell types the knowledge base does not know are served by name, subtypes by label") {
  auto q = Cellxgene().Analyze("How would macrophages respond to LPS?");
  REQUIRE(q.ok());
  REQUIRE(q->cell_types_selected.size() == 4);
  CHECK(q->cell_types_selected[0] == CellTypeSelection{"CL:0000235", "macrophage", 0, "self"});
  CHECK(q->cell_types_selected[1] ==
        CellTypeSelection{"CL:0000583", "alveolar macrophage", 1, "subtype by name"});
}

TEST_CASE("a perturbation the knowledge base does not know runs, with a note saying so") {
  auto q = Cellxgene().Analyze("Predict the effect of a medium change on CD14+ monocytes");
  REQUIRE(q.ok());
  CHECK(q->perturbation_resolved == "medium change");
  CHECK(q->perturbation_type == PerturbationType::kUnknown);
  CHECK(q->expected_targets.empty());
  REQUIRE(q->notes.size() == 2);
  CHECK_THAT(q->notes[0], Catch::Contains("does not know the perturbation medium change") &&
                              Catch::Contains("unavailable"));
  CHECK_THAT(q->notes[1], Catch::Contains("no time point named") && Catch::Contains("72h"));
}

TEST_CASE("a gene knockdown written as a knockout matches the atlas's perturbation of the gene") {
  auto q = Cellxgene().Analyze("JAK1 KO in naive B cells");
  REQUIRE(q.ok());
  CHECK(q->perturbation_resolved == "JAK1_KD");
  CHECK(q->perturbation_type == PerturbationType::kGenetic);
  CHECK(q->expected_targets == std::vector<std::string>{"JAK1"});
  CHECK(q->perturbation_query == "JAK1 KO");
}

TEST_CASE("a combination the atlas holds brings both parts' targets") {
  auto q = Cellxgene().Analyze("How would CD14+ monocytes respond to interferon gamma plus TNF?");
  REQUIRE(q.ok());
  CHECK(q->perturbation_resolved == "IFNG+TNF");
  CHECK(q->perturbation_components == std::vector<std::string>{"IFNG", "TNF"});
  CHECK(std::find(q->expected_targets.begin(), q->expected_targets.end(), "TNFRSF1A") !=
        q->expected_targets.end());
  CHECK(std::find(q->expected_targets.begin(), q->expected_targets.end(), "IFNGR1") !=
        q->expected_targets.end());
}

TEST_CASE("typos are resolved with a note saying so") {
  auto q = Demo().Analyze("How do CD8 T cells respond to dexamethazone?");
  REQUIRE(q.ok());
  CHECK(q->perturbation_resolved == "dexamethasone");
  REQUIRE(q->notes.size() == 1);
  CHECK_THAT(q->notes[0], Catch::Contains("dexamethasone") && Catch::Contains("edit distance 1"));
}

TEST_CASE("several failures are refused together, each named") {
  auto q = Demo().Analyze("How would hepatocytes from donor 9 respond to IFN-beta at 48 h?");
  REQUIRE_FALSE(q.ok());
  CHECK(GetErrorKind(q.status()) == ErrorKind::kEntityResolution);
  CHECK_THAT(Message(q), Catch::Contains("hepatocytes") && Catch::Contains("donor \"9\"") &&
                             Catch::Contains("48 h"));
}

TEST_CASE("a knowledge-base perturbation the atlas lacks lists the atlas's, nearest first") {
  auto q = Cellxgene().Analyze("How would CD14+ monocytes respond to IFN-beta?");
  REQUIRE_FALSE(q.ok());
  CHECK(GetErrorKind(q.status()) == ErrorKind::kEntityResolution);
  CHECK_THAT(Message(q), Catch::Contains("no cells treated with IFNB1") &&
                             Catch::Contains("treatment column") &&
                             Catch::Contains("nearest first: IFNG"));
}

TEST_CASE("empty, short, vague and hostile queries are refused as query parsing errors") {
  RuleBasedQueryAnalyzer analyzer = Demo();
  for (const std::string& bad :
       {std::string(""), std::string("   "), std::string("monocyte"),
        std::string("Tell me about monocytes"), std::string("How would T cells respond?"),
        std::string("How would T cells\x01 respond to IFNG?"),
        std::string("\xff\xfe monocytes respond to IFNG"), std::string(20'000, 'a')}) {
    INFO(bad.substr(0, 40));
    auto q = analyzer.Analyze(bad);
    REQUIRE_FALSE(q.ok());
    CHECK(GetErrorKind(q.status()) == ErrorKind::kQueryParsing);
  }
}

TEST_CASE("markup in a query is kept verbatim in raw_query and never breaks resolution") {
  const std::string text =
      "<script>alert(1)</script> How would \"CD14+ monocytes\" respond to "
      "IFN-gamma? 🧬 مرحبا";
  auto q = Demo().Analyze(text);
  REQUIRE(q.ok());
  CHECK(q->raw_query == text);
  CHECK(q->cell_type_cl_id == "CL:0001054");
  CHECK(q->perturbation_resolved == "IFNG");
}

TEST_CASE("the analysis is deterministic") {
  RuleBasedQueryAnalyzer analyzer = Cellxgene();
  for (const char* text : {"How would T cells respond to STAT1 knockout?",
                           "IL-21 plus LPS in B cells", "Predict CD14+ monocytes of donor 12"}) {
    auto a = analyzer.Analyze(text);
    auto b = analyzer.Analyze(text);
    REQUIRE(a.ok() == b.ok());
    if (a.ok()) {
      CHECK(*a == *b);
    } else {
      CHECK(a.status() == b.status());
    }
  }
}

}  // namespace
}  // namespace haystack
