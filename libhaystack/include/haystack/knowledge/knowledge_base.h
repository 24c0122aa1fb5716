// Prior biological knowledge: genes, gene sets, ontologies, perturbations, an interaction
// network and literature links, queried in a run's hot path (scoring, entity resolution,
// mechanistic and ontology-guided retrieval). SqliteKnowledgeBase is the production
// implementation (built by the haystack-kb importers); InMemoryKnowledgeBase serves tests.
//
// Gene identifiers are HGNC symbols as they appear in the atlas's var index. Lookups by symbol
// accept aliases where the method says so. All methods are const and thread-safe.
#ifndef HAYSTACK_KNOWLEDGE_KNOWLEDGE_BASE_H_
#define HAYSTACK_KNOWLEDGE_KNOWLEDGE_BASE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/enums.h"

namespace haystack {

struct Gene {
  std::string symbol;     // "STAT1"
  std::string entrez_id;  // "6772"
  std::string name;       // "signal transducer and activator of transcription 1"
  std::vector<std::string> aliases;
};

struct GeneSet {
  std::string id;                  // "GO:0034341", "HALLMARK_INTERFERON_GAMMA_RESPONSE"
  std::string name;                // "response to type II interferon"
  std::string collection;          // "GO_BP", "GO_MF", "GO_CC", "HALLMARK", ...
  std::vector<std::string> genes;  // symbols, sorted, unique
};

struct OntologyTerm {
  std::string id;        // "CL:0001054"
  std::string name;      // "CD14-positive monocyte"
  std::string ontology;  // "CL", "UBERON", "MONDO", "GO"
  std::vector<std::string> synonyms;
  bool obsolete = false;
};

// A term related to another one, with its distance in the is_a/part_of graph:
// parent 1, child 1, grandparent 2, sibling 2 (docs/knowledge.md, "Ontology neighbours").
struct OntologyNeighbor {
  OntologyTerm term;
  int distance = 1;
  std::string relation;  // "parent", "child", "grandparent", "grandchild", "sibling"
};

struct Perturbation {
  std::string name;  // canonical: "IFNG", "dexamethasone"
  PerturbationType type = PerturbationType::kUnknown;
  std::vector<std::string> synonyms;           // "IFN-gamma", "interferon gamma", "IFN-γ"
  std::vector<std::string> targets;            // receptors / direct targets: IFNGR1, JAK1, ...
  std::vector<std::string> expected_pathways;  // gene set ids
  std::vector<std::string> expected_up;        // genes expected to rise (downstream response)
  std::vector<std::string> expected_down;      // genes expected to fall
  std::string description;
};

enum class EntityKind { kCellType, kTissue, kDisease, kPerturbation, kGene };

// How free text matched an entity (Resolve's tiers, docs/knowledge.md "Entity resolution").
enum class MatchMethod {
  kExact,       // the entity's name (genes: the symbol as written)
  kSynonym,     // one of its synonyms (genes: an alias or the full name)
  kNormalized,  // "+" read as "positive" ("CD4+ T cell"); genes: the symbol in another case
  kFuzzy,       // whole-word containment either way: a guess, never taken without a check
};
std::string_view MatchMethodName(MatchMethod method);  // "exact", "synonym", ...

// A candidate resolution of free text to an entity.
struct EntityMatch {
  EntityKind kind = EntityKind::kCellType;
  std::string id;            // ontology id, perturbation name or gene symbol
  std::string name;          // its canonical label
  std::string matched_text;  // the label or synonym that matched
  MatchMethod method = MatchMethod::kExact;
  double score = 0;  // exact 1, synonym 0.95, normalized 0.9, fuzzy 0.5 × shorter/longer

  // A dictionary hit (name, synonym or its "+"→"positive" variant), not a fuzzy guess.
  bool IsDictionaryMatch() const { return method != MatchMethod::kFuzzy; }
};

// Case-, punctuation-, plural- and Greek-letter-insensitive normal form that every resolver
// matches on: "CD14+ Monocytes" → "cd14+ monocyte", "IFN-γ" → "ifn gamma",
// "interferon-gamma" → "interferon gamma", "T-cells" → "t cell".
std::string NormalizeEntityText(std::string_view text);

// An Ensembl id without its version suffix: "ENSG00000115415.17" → "ENSG00000115415".
std::string_view WithoutEnsemblVersion(std::string_view ensembl_id);

// An undirected functional interaction network over gene symbols.
struct InteractionNetwork {
  std::string source;              // "STRING v12 (score >= 700)", "GO co-annotation proxy", ...
  std::vector<std::string> genes;  // node i is genes[i], sorted
  std::vector<std::vector<int32_t>> adjacency;  // neighbours of node i, sorted
  // Node index of `symbol`, or -1.
  int32_t IndexOf(std::string_view symbol) const;
};

// Papers linked to more genes than this are left out of co-citation: genome-scale screens,
// atlases, GWAS and clone collections name thousands of genes each (docs/knowledge.md
// "Co-citation"), so a shared link to one says nothing about either gene. In the bundled NCBI
// gene2pubmed, 0.17% of the papers hold 29% of the gene-paper links.
inline constexpr int kMaxGenesPerPublication = 50;

// Co-citation of one gene with a query gene set (e.g. a perturbation's targets), counted over the
// papers that link at most kMaxGenesPerPublication genes.
struct CoCitation {
  std::string gene;
  int64_t shared_publications = 0;  // papers linked to the gene and to any query gene
  int64_t gene_publications = 0;
  int64_t query_publications = 0;   // papers linked to any query gene
  int64_t corpus_publications = 0;  // papers in the corpus (after the cut-off)
  double expected_shared = 0;       // gene · query / corpus: the mean under independence
  std::vector<std::string> example_publication_ids;  // "PMID:…", at most a few
};

struct SourceVersion {
  std::string source;       // "GO", "org.Hs.eg.db", "Cell Ontology", "curated"
  std::string version;      // release or date
  std::string license;      // "CC BY 4.0", ...
  std::string imported_at;  // RFC 3339
  std::string detail;       // file names, counts, cut-offs
};

class KnowledgeBase {
 public:
  virtual ~KnowledgeBase() = default;

  // ---- genes
  // The gene with this symbol, or with this alias if no symbol matches; nullopt if unknown.
  virtual absl::StatusOr<std::optional<Gene>> FindGene(std::string_view symbol_or_alias) const = 0;
  // The symbol of an Ensembl gene id ("ENSG00000115415" → "STAT1"; a version suffix such as
  // ".17" is ignored), for atlases whose var index holds Ensembl ids and no symbol column.
  // nullopt when the knowledge base maps the id to no gene, or to several.
  virtual absl::StatusOr<std::optional<std::string>> SymbolOfEnsemblId(
      std::string_view ensembl_id) const = 0;

  // ---- gene sets
  virtual absl::StatusOr<std::vector<std::string>> GeneSetCollections() const = 0;
  // All sets of a collection whose size lies in [min_size, max_size].
  virtual absl::StatusOr<std::vector<GeneSet>> GeneSets(std::string_view collection, int min_size,
                                                        int max_size) const = 0;
  // The sets of a collection restricted to `genes`: members outside `genes` are dropped and
  // sets left empty are omitted (what over-representation analysis over a universe needs).
  // The default reads GeneSets(collection, 1, INT_MAX) and filters; SqliteKnowledgeBase reads
  // only the member rows of `genes`, far less than a whole ontology.
  virtual absl::StatusOr<std::vector<GeneSet>> GeneSetsWithin(
      std::string_view collection, std::span<const std::string> genes) const;
  virtual absl::StatusOr<std::optional<GeneSet>> GetGeneSet(std::string_view id) const = 0;
  // Ids of the sets (any collection) that contain `symbol`.
  virtual absl::StatusOr<std::vector<std::string>> GeneSetsContaining(
      std::string_view symbol) const = 0;

  // ---- ontologies
  virtual absl::StatusOr<std::optional<OntologyTerm>> GetTerm(std::string_view id) const = 0;
  // Terms within `max_distance` of `id` (see OntologyNeighbor), nearest first (ties by id). A
  // path goes up k is_a/part_of edges then down m, k + m <= max_distance. An id the knowledge
  // base does not hold is an EntityResolutionError (kNotFound).
  virtual absl::StatusOr<std::vector<OntologyNeighbor>> Neighbors(std::string_view id,
                                                                  int max_distance) const = 0;
  // The ancestors of `id` up to `max_distance` edges up (relations parent, grandparent,
  // ancestor), nearest first; only upward paths, so far cheaper than Neighbors. Unknown id:
  // EntityResolutionError (kNotFound).
  virtual absl::StatusOr<std::vector<OntologyNeighbor>> Ancestors(std::string_view id,
                                                                  int max_distance) const = 0;

  // ---- perturbations
  virtual absl::StatusOr<std::optional<Perturbation>> FindPerturbation(
      std::string_view name_or_synonym) const = 0;
  virtual absl::StatusOr<std::vector<Perturbation>> Perturbations() const = 0;

  // ---- free text → entities (case, punctuation, plural and Greek-letter insensitive)
  virtual absl::StatusOr<std::vector<EntityMatch>> Resolve(EntityKind kind, std::string_view text,
                                                           int limit) const = 0;

  // ---- network and literature
  // The interaction network (STRING if imported, else a documented GO co-annotation proxy).
  virtual absl::StatusOr<std::shared_ptr<const InteractionNetwork>> Network() const = 0;
  // Co-citation of each of `genes` with `query_genes`.
  virtual absl::StatusOr<std::vector<CoCitation>> CoCitations(
      const std::vector<std::string>& query_genes, const std::vector<std::string>& genes) const = 0;

  // ---- provenance
  virtual absl::StatusOr<std::vector<SourceVersion>> Sources() const = 0;
};

// kb.SymbolOfEnsemblId as a plain function (a read error counts as no symbol: the gene keeps its
// id), for H5adAtlasOptions::ensembl_to_symbol. `kb` must outlive the function.
std::function<std::optional<std::string>(std::string_view)> EnsemblSymbolLookup(
    const KnowledgeBase& kb);

}  // namespace haystack

#endif  // HAYSTACK_KNOWLEDGE_KNOWLEDGE_BASE_H_
