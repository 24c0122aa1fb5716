// Importer parsers on small real-format fixtures (tests/knowledge/data) and malformed inputs.
#include "haystack/knowledge/formats.h"

#include <map>
#include <string>

#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

std::string Fixture(const std::string& name) {
  return (testing::SourceDir() / "tests/knowledge/data" / name).string();
}

// The error's message, after checking that it is an input error naming `file:line`.
template <class T>
std::string InputError(const absl::StatusOr<T>& result, const std::string& file, int line) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(GetErrorKind(result.status()) == ErrorKind::kConfiguration);
  const std::string message(result.status().message());
  CHECK_THAT(message, Catch::Contains(file + ":" + std::to_string(line) + ": "));
  return message;
}

TEST_CASE("OBO: terms, synonyms, is_a and part_of edges, obsolete flag, version") {
  auto go = ParseObo(Fixture("mini_go.obo"));
  REQUIRE(go.ok());
  CHECK(go->version == "releases/2022-07-01");
  std::map<std::string, OntologyTerm> terms;
  for (const auto& t : go->terms) terms[t.id] = t;
  REQUIRE(terms.size() == 7);
  CHECK(terms["GO:0034341"].name == "response to type II interferon");
  CHECK(terms["GO:0034341"].ontology == "GO");
  CHECK(terms["GO:0034341"].synonyms ==
        std::vector<std::string>{"response to interferon-gamma",
                                 "response to \"immune\" interferon"});
  CHECK(terms["GO:0000001"].obsolete);
  CHECK_FALSE(terms["GO:0034341"].obsolete);
  CHECK(go->edges.size() == 5);  // "regulates" is not an is_a/part_of edge
  std::vector<std::pair<std::string, std::string>> of_signaling;
  for (const auto& e : go->edges) {
    if (e.child == "GO:0060333") of_signaling.emplace_back(e.parent, e.relation);
  }
  std::sort(of_signaling.begin(), of_signaling.end());
  CHECK(of_signaling == std::vector<std::pair<std::string, std::string>>{
                            {"GO:0008150", "is_a"}, {"GO:0034341", "part_of"}});
}

TEST_CASE("OBO: part_of into an ontology the file does not define is dropped") {
  auto cl = ParseObo(Fixture("mini_cl.obo"));
  REQUIRE(cl.ok());
  CHECK(cl->terms.size() == 5);
  CHECK(cl->edges.size() == 4);
  for (const auto& e : cl->edges) CHECK(e.relation == "is_a");
}

TEST_CASE("OBO: cycles, unknown parents and duplicate terms are reported with line numbers") {
  CHECK_THAT(InputError(ParseObo(Fixture("cyclic.obo")), "cyclic.obo", 5),
             Catch::Contains("cycle: CL:0000002 → CL:0000003 → CL:0000002"));
  CHECK_THAT(InputError(ParseObo(Fixture("unknown_parent.obo")), "unknown_parent.obo", 8),
             Catch::Contains("unknown term \"CL:9999999\""));
  CHECK_THAT(InputError(ParseObo(Fixture("duplicate.obo")), "duplicate.obo", 5),
             Catch::Contains("duplicate term CL:0000001 (first defined on line 1)"));
}

TEST_CASE("GAF: NOT rows dropped, annotations propagated along is_a and part_of") {
  auto go = ParseObo(Fixture("mini_go.obo"));
  REQUIRE(go.ok());
  auto annotations = ParseGaf(Fixture("mini_goa.gaf"));
  REQUIRE(annotations.ok());
  CHECK(annotations->size() == 4);  // the ACTB NOT row is dropped
  CHECK(annotations->front().line == 3);
  auto sets = GeneSetsFromGaf(*go, *annotations, "mini_goa.gaf");
  REQUIRE(sets.ok());
  std::map<std::string, GeneSet> by_id;
  for (const auto& s : *sets) by_id[s.id] = s;
  // STAT1 and IFNGR2 are annotated to the signalling pathway, part_of the response.
  CHECK(by_id["GO:0060333"].genes == std::vector<std::string>{"IFNGR2", "STAT1"});
  CHECK(by_id["GO:0034341"].genes == std::vector<std::string>{"IFNGR2", "IRF1", "STAT1"});
  CHECK(by_id["GO:0034341"].collection == "GO_BP");
  CHECK(by_id["GO:0034341"].name == "response to type II interferon");
  CHECK(by_id["GO:0008150"].genes == std::vector<std::string>{"IFNGR2", "IRF1", "STAT1"});
  CHECK(by_id["GO:0004896"].collection == "GO_MF");
  CHECK(by_id["GO:0003674"].genes == std::vector<std::string>{"IFNGR1"});
}

TEST_CASE("GAF: unknown GO ids and bad aspects are reported with line numbers") {
  auto go = ParseObo(Fixture("mini_go.obo"));
  REQUIRE(go.ok());
  auto annotations = ParseGaf(Fixture("unknown_term.gaf"));
  REQUIRE(annotations.ok());
  CHECK_THAT(
      InputError(GeneSetsFromGaf(*go, *annotations, "unknown_term.gaf"), "unknown_term.gaf", 2),
      Catch::Contains("GO:9999999"));
  CHECK_THAT(InputError(ParseGaf(Fixture("bad_aspect.gaf")), "bad_aspect.gaf", 1),
             Catch::Contains("aspect"));
  testing::TempDir dir;
  testing::WriteFile(dir.File("short.gaf"), "!c\nUniProtKB\tP1\tSTAT1\n");
  CHECK_THAT(InputError(ParseGaf(dir.File("short.gaf")), "short.gaf", 2),
             Catch::Contains("at least 15"));
}

TEST_CASE("GMT: MSigDB and Enrichr styles round trip") {
  auto sets = ParseGmt(Fixture("hallmark_mini.gmt"), "HALLMARK");
  REQUIRE(sets.ok());
  REQUIRE(sets->size() == 3);
  CHECK((*sets)[0].id == "HALLMARK_INTERFERON_GAMMA_RESPONSE");
  CHECK((*sets)[0].name == "HALLMARK_INTERFERON_GAMMA_RESPONSE");  // a URL is not a name
  CHECK((*sets)[0].genes == std::vector<std::string>{"CXCL10", "GBP1", "IRF1", "STAT1"});
  CHECK((*sets)[1].name == "Genes regulated by NF-kB in response to TNF");
  CHECK((*sets)[2].genes == std::vector<std::string>{"IRF1", "SOCS1"});
  for (const auto& s : *sets) CHECK(s.collection == "HALLMARK");
}

TEST_CASE("GMT: bad lines, duplicates, empty genes and non-UTF-8 are reported with line numbers") {
  CHECK_THAT(InputError(ParseGmt(Fixture("bad_fields.gmt"), "X"), "bad_fields.gmt", 2),
             Catch::Contains("at least 3 fields"));
  CHECK_THAT(InputError(ParseGmt(Fixture("duplicate.gmt"), "X"), "duplicate.gmt", 3),
             Catch::Contains("duplicate gene set \"SET_A\" (first on line 1)"));
  CHECK_THAT(InputError(ParseGmt(Fixture("non_utf8.gmt"), "X"), "non_utf8.gmt", 2),
             Catch::Contains("not valid UTF-8"));
  CHECK_THAT(InputError(ParseGmt(Fixture("empty_gene.gmt"), "X"), "empty_gene.gmt", 1),
             Catch::Contains("empty gene in field 4"));
  auto missing = ParseGmt(Fixture("no_such.gmt"), "X");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("STRING: symbols from protein.info, score cut-off, each pair once") {
  auto links = ParseStringLinks(Fixture("string_links.txt"), Fixture("string_info.txt"), 700);
  REQUIRE(links.ok());
  REQUIRE(links->size() == 2);
  CHECK((*links)[0].a == "GBP1");
  CHECK((*links)[0].b == "IRF1");
  CHECK((*links)[0].score == 800);
  CHECK((*links)[1].a == "JAK1");
  CHECK((*links)[1].b == "STAT1");
  auto all = ParseStringLinks(Fixture("string_links.txt"), Fixture("string_info.txt"), 0);
  REQUIRE(all.ok());
  CHECK(all->size() == 3);
}

TEST_CASE("STRING: unknown proteins and bad scores are reported with line numbers") {
  CHECK_THAT(InputError(ParseStringLinks(Fixture("unknown_protein_links.txt"),
                                         Fixture("string_info.txt"), 700),
                        "unknown_protein_links.txt", 3),
             Catch::Contains("9606.ENSP0099"));
  CHECK_THAT(
      InputError(ParseStringLinks(Fixture("bad_score_links.txt"), Fixture("string_info.txt"), 700),
                 "bad_score_links.txt", 2),
      Catch::Contains("0-1000"));
}

TEST_CASE("perturbation and ontology tables: the curated files parse as they are") {
  const auto curated = testing::SourceDir() / "data/curated";
  auto perturbations = ParsePerturbationTsv((curated / "perturbations.tsv").string());
  REQUIRE(perturbations.ok());
  std::map<std::string, Perturbation> by_name;
  for (const auto& row : *perturbations) by_name[row.perturbation.name] = row.perturbation;
  REQUIRE(by_name.count("IFNG") == 1);
  CHECK(by_name["IFNG"].type == PerturbationType::kCytokine);
  CHECK(by_name["IFNG"].targets ==
        std::vector<std::string>{"IFNGR1", "IFNGR2", "JAK1", "JAK2", "STAT1"});
  CHECK(by_name["IFNG"].expected_pathways[0] == "GO:0034341");
  CHECK(by_name["dexamethasone"].targets == std::vector<std::string>{"NR3C1"});
  CHECK(by_name["dexamethasone"].type == PerturbationType::kDrug);
  auto cells = ParseOntologyTsv((curated / "cell_types.tsv").string());
  REQUIRE(cells.ok());
  bool found = false;
  for (const auto& t : cells->terms) {
    if (t.id == "CL:0001054") {
      found = true;
      CHECK(t.name == "CD14-positive monocyte");
      CHECK(t.ontology == "CL");
    }
  }
  CHECK(found);
}

TEST_CASE("perturbation and ontology tables: malformed rows are reported with line numbers") {
  CHECK_THAT(InputError(ParsePerturbationTsv(Fixture("bad_type_perturbations.tsv")),
                        "bad_type_perturbations.tsv", 3),
             Catch::Contains("virus"));
  testing::TempDir dir;
  testing::WriteFile(dir.File("cells.tsv"),
                     "id\tname\tsynonyms\tparents\nCL:1\ta\t\t\nCL:2\tb\t\tCL:3\n");
  CHECK_THAT(InputError(ParseOntologyTsv(dir.File("cells.tsv")), "cells.tsv", 3),
             Catch::Contains("parent \"CL:3\" of CL:2 is not defined"));
  testing::WriteFile(dir.File("cycle.tsv"),
                     "id\tname\tsynonyms\tparents\nCL:1\ta\t\tCL:2\nCL:2\tb\t\tCL:1\n");
  CHECK_THAT(InputError(ParseOntologyTsv(dir.File("cycle.tsv")), "cycle.tsv", 2),
             Catch::Contains("cycle"));
  testing::WriteFile(dir.File("columns.tsv"), "id\tname\nCL:1\ta\n");
  CHECK_THAT(InputError(ParseOntologyTsv(dir.File("columns.tsv")), "columns.tsv", 1),
             Catch::Contains("lacks column \"synonyms\""));
  testing::WriteFile(dir.File("width.tsv"), "id\tname\tsynonyms\tparents\nCL:1\ta\n");
  CHECK_THAT(InputError(ParseOntologyTsv(dir.File("width.tsv")), "width.tsv", 2),
             Catch::Contains("expected 4 tab-separated fields, found 2"));
}

}  // namespace
}  // namespace haystack
