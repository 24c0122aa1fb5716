// Parsers for the standard files the knowledge base is imported from. Each validates its input
// (UTF-8, column counts, identifier syntax, duplicates, cycles, references) and reports the first
// bad line as "<file>:<line>: <what is wrong>" with ErrorKind kConfiguration/InvalidArgument.
// They read files only; KnowledgeImporter writes what they return into a knowledge base.
#ifndef HAYSTACK_KNOWLEDGE_FORMATS_H_
#define HAYSTACK_KNOWLEDGE_FORMATS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack {

// A directed ontology edge: `child` is_a / part_of `parent`.
struct TermEdge {
  std::string child;
  std::string parent;
  std::string relation;  // "is_a" or "part_of"
};

struct OntologyData {
  std::vector<OntologyTerm> terms;
  std::vector<TermEdge> edges;
  std::string version;  // OBO "data-version:" header, or "" if absent
  // Curated tables only: a term's genes from the optional "markers" (cell types) or "signature"
  // (tissues, diseases) column, by term id; terms without genes are absent.
  std::map<std::string, std::vector<std::string>> genes;
};

// OBO 1.2/1.4 [Term] stanzas: id, name, synonym, is_a, relationship: part_of, is_obsolete.
// Other stanzas and tags are skipped. Errors: a term without id or name, a duplicate id, an
// is_a/part_of to an id no stanza defines, an is_a/part_of cycle (named with the line of a term
// on it), non-UTF-8 text. A term's ontology is its id prefix ("CL", "GO", "UBERON").
absl::StatusOr<OntologyData> ParseObo(const std::string& path);

// One row of a GO Annotation File (GAF 2.x): the gene symbol (column 3) annotated to a GO id
// (column 5) in aspect P/F/C (column 9). Rows whose qualifier (column 4) contains NOT are
// dropped, as GO's own tools do.
struct GafAnnotation {
  std::string symbol;
  std::string go_id;
  char aspect = 'P';
  int line = 0;
};
// Errors: fewer than 15 tab-separated columns, a malformed GO id, an aspect other than P/F/C.
absl::StatusOr<std::vector<GafAnnotation>> ParseGaf(const std::string& path);

// GO gene sets GO_BP/GO_MF/GO_CC from GAF annotations propagated to every is_a/part_of
// ancestor (a gene annotated to a term is annotated to its ancestors: GO's true-path rule).
// Errors: an annotation to a GO id that `go` does not define (with the GAF line number).
absl::StatusOr<std::vector<GeneSet>> GeneSetsFromGaf(const OntologyData& go,
                                                     const std::vector<GafAnnotation>& annotations,
                                                     const std::string& gaf_path);

// GMT: "<set name>\t<description>\t<gene>\t<gene>...", one set per line; set ids are the
// names, `collection` is assigned to all. Errors: fewer than three fields, an empty name or
// gene, a duplicate set name.
absl::StatusOr<std::vector<GeneSet>> ParseGmt(const std::string& path,
                                              const std::string& collection);

// An undirected interaction with STRING's combined score (0–1000).
struct Interaction {
  std::string a;
  std::string b;
  int score = 0;
};
// STRING "protein.links" (space-separated protein1 protein2 combined_score, one header line)
// mapped to symbols with the matching "protein.info" file (tab-separated, first two columns
// string_protein_id and preferred_name). Keeps links with score >= min_score, each pair once.
// Errors: malformed lines, a score outside 0–1000, a protein id absent from the info file.
absl::StatusOr<std::vector<Interaction>> ParseStringLinks(const std::string& links_path,
                                                          const std::string& info_path,
                                                          int min_score);

// A perturbation table as in data/curated/perturbations.tsv (header: name, type, synonyms,
// targets, expected_pathways, expected_up, expected_down, description; lists separated by
// "|"). Errors: missing columns, an unknown type, a duplicate name, a malformed GO id.
struct PerturbationRow {
  Perturbation perturbation;
  int line = 0;
};
absl::StatusOr<std::vector<PerturbationRow>> ParsePerturbationTsv(const std::string& path);

// An ontology table as in data/curated/{cell_types,tissues,diseases}.tsv (header: id, name,
// synonyms, parents, optionally markers or signature): every parent is an is_a edge. Errors:
// missing columns, a duplicate id, a malformed id, a parent no row defines, a cycle.
absl::StatusOr<OntologyData> ParseOntologyTsv(const std::string& path);

}  // namespace haystack

#endif  // HAYSTACK_KNOWLEDGE_FORMATS_H_
