// A synthetic atlas in CELLxGENE layout, for tests and benchmarks of "bring your own atlas".
//
// SYNTHETIC DATA. It looks like a scientist's own atlas rather than the demo's: var indexed by
// Ensembl-style ids with symbols in var.feature_name; the CELLxGENE obs columns (cell type,
// tissue and disease with their ontology ids and labels, assay, organism, sex, donor, ...);
// 126 real Cell Ontology cell types including parent/child pairs; a perturbation column named
// "treatment" holding names the bundled knowledge base does not know (free text with a dose, a
// medium change, a drug, gene knockdowns written several ways, a combination); controls flagged
// only by is_control under names that are not PBS/DMSO ("mock", "sgNT"); numeric donor ids;
// a time_point column. docs/atlas.md ("The CELLxGENE-layout test atlas") lists everything.
//
// Generation is linear in cells × non-zeros per cell and deterministic: each cell's draws come
// from a generator keyed by (seed, cell index), so the result depends only on the options, not
// on the thread count. WriteCellxgeneAtlas streams the same atlas to a file without holding X,
// for benchmark atlases of millions of cells (docs/atlas.md gives the sizes on this machine).
#ifndef HAYSTACK_SYNTH_CELLXGENE_ATLAS_H_
#define HAYSTACK_SYNTH_CELLXGENE_ATLAS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack::synth {

struct CellxgeneAtlasOptions {
  int64_t cells = 3000;
  int64_t genes = 2000;  // at least the genes the panels name
  // Cell types: up to the 126 of the built-in panel; beyond that, numbered subtypes of the
  // panel's types ("<label> subtype 3", ids CL:99xxxxx, clearly not Cell Ontology ids).
  int cell_types = 126;
  // Perturbations: the built-in panel of 12 (plus the two controls); beyond that, CRISPR
  // knockouts "sg<GENE>" of further genes, as in a Perturb-seq screen.
  int perturbations = 12;
  int donors = 6;          // ids "1", "2", ..., and the last one is "2 × donors" ("12")
  int nnz_per_cell = 200;  // expressed genes per cell (± 30 %)
  uint64_t seed = 7;
  bool feature_name = true;     // var.feature_name; false leaves only the Ensembl-style ids
  bool x_holds_counts = false;  // X = raw counts instead of log1p(counts per 10k)
};

// The genes' symbols come from `knowledge` (perturbation targets and responsive genes first,
// then members of GO Biological Process sets in symbol order), then synthetic "SYNGENE<n>"
// names when the knowledge base has too few; their ids are "ENSG9" + 10 digits, a range
// Ensembl does not use, so they are never mistaken for real genes.
absl::StatusOr<AnnData> GenerateCellxgeneAtlas(const KnowledgeBase& knowledge,
                                               const CellxgeneAtlasOptions& options);

struct CellxgeneWriteOptions {
  int threads = 0;            // rows drawn in parallel (0: every core); the file is the same
  int64_t block_rows = 4096;  // rows drawn and written per task
  H5adWriteOptions write;     // atomic and sync; X is always contiguous and unfiltered
};

struct CellxgeneWriteSummary {
  int64_t cells = 0;
  int64_t genes = 0;
  int64_t non_zeros = 0;
};

// Writes the atlas GenerateCellxgeneAtlas(knowledge, options) returns to `path` (the same file
// as WriteH5ad of it), drawing X in blocks of rows that go straight to their place in the file
// (CsrH5adWriter): memory holds the metadata and one block per thread, never X.
absl::StatusOr<CellxgeneWriteSummary> WriteCellxgeneAtlas(
    const KnowledgeBase& knowledge, const CellxgeneAtlasOptions& options, const std::string& path,
    const CellxgeneWriteOptions& write_options = {});

}  // namespace haystack::synth

#endif  // HAYSTACK_SYNTH_CELLXGENE_ATLAS_H_
