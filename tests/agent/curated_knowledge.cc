#include "agent/curated_knowledge.h"

#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "support/temp_dir.h"

namespace haystack::testing {
namespace {

using Row = std::vector<std::string>;

std::vector<Row> ReadTable(const std::string& name) {
  std::istringstream in(ReadFile(SourceDir() / "data" / "curated" / name));
  std::vector<Row> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    rows.push_back(absl::StrSplit(line, '\t'));
  }
  return rows;
}

std::vector<std::string> List(const Row& row, size_t i) {
  if (i >= row.size() || row[i].empty()) return {};
  return absl::StrSplit(row[i], '|');
}

InMemoryKnowledgeBase Build() {
  InMemoryKnowledgeBase kb;
  std::set<std::string> genes;
  for (const auto& [table, ontology] : {std::pair<std::string, std::string>{"cell_types.tsv", "CL"},
                                        {"tissues.tsv", "UBERON"},
                                        {"diseases.tsv", "MONDO"}}) {
    for (const Row& row : ReadTable(table)) {
      REQUIRE(row.size() >= 2);
      kb.AddTerm({row[0], row[1], ontology, List(row, 2)}, List(row, 3));
      for (const std::string& g : List(row, 4)) genes.insert(g);
    }
  }
  for (const Row& row : ReadTable("perturbations.tsv")) {
    REQUIRE(row.size() >= 8);
    Perturbation p;
    p.name = row[0];
    auto type = ParseEnum<PerturbationType>(row[1]);
    REQUIRE(type.ok());
    p.type = *type;
    p.synonyms = List(row, 2);
    p.targets = List(row, 3);
    p.expected_pathways = List(row, 4);
    p.expected_up = List(row, 5);
    p.expected_down = List(row, 6);
    p.description = row[7];
    for (const auto& list : {p.targets, p.expected_up, p.expected_down}) {
      genes.insert(list.begin(), list.end());
    }
    kb.AddPerturbation(std::move(p));
  }
  genes.insert({"IRF1", "GATA3", "FOXP3"});
  for (const std::string& g : genes) kb.AddGene({g, "", "", {}});
  return kb;
}

}  // namespace

const InMemoryKnowledgeBase& CuratedKnowledge() {
  static const InMemoryKnowledgeBase* const kb = new InMemoryKnowledgeBase(Build());
  return *kb;
}

}  // namespace haystack::testing
