#include "agent/curated_knowledge.h"

#include <set>

#include "catch2/catch.hpp"
#include "haystack/synth/curated_vocabulary.h"
#include "support/temp_dir.h"

namespace haystack::testing {

using synth::CuratedPerturbation;
using synth::CuratedTerm;
using synth::ReadCuratedVocabulary;
namespace {

InMemoryKnowledgeBase Build() {
  auto vocabulary = ReadCuratedVocabulary((SourceDir() / "data" / "curated").string());
  REQUIRE(vocabulary.ok());
  InMemoryKnowledgeBase kb;
  std::set<std::string> genes = {"IRF1", "GATA3", "FOXP3"};
  for (const auto& [terms, ontology] :
       {std::pair{&vocabulary->cell_types, "CL"}, std::pair{&vocabulary->tissues, "UBERON"},
        std::pair{&vocabulary->diseases, "MONDO"}}) {
    for (const CuratedTerm& t : *terms) {
      kb.AddTerm({t.id, t.name, ontology, t.synonyms}, t.parents);
      genes.insert(t.genes.begin(), t.genes.end());
    }
  }
  for (const CuratedPerturbation& c : vocabulary->perturbations) {
    Perturbation p;
    p.name = c.name;
    auto type = ParseEnum<PerturbationType>(c.type);
    REQUIRE(type.ok());
    p.type = *type;
    p.synonyms = c.synonyms;
    p.targets = c.targets;
    p.expected_pathways = c.expected_pathways;
    p.expected_up = c.expected_up;
    p.expected_down = c.expected_down;
    p.description = c.description;
    for (const auto* list : {&p.targets, &p.expected_up, &p.expected_down}) {
      genes.insert(list->begin(), list->end());
    }
    kb.AddPerturbation(std::move(p));
  }
  for (const std::string& g : genes) kb.AddGene({g, "", "", {}});
  return kb;
}

}  // namespace

const InMemoryKnowledgeBase& CuratedKnowledge() {
  static const InMemoryKnowledgeBase* const kb = new InMemoryKnowledgeBase(Build());
  return *kb;
}

}  // namespace haystack::testing
