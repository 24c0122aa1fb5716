// H5adAtlas: a CellAtlas over one .h5ad file, for atlases far larger than memory.
//
// Opening reads obs (all columns, as categorical codes where the column is categorical or a
// string column) and var once, plus X's row pointers; obs names and expression are read on
// demand. Gathers read only the bytes of the requested rows: with an unfiltered contiguous X
// (what WriteH5ad writes by default) the rows are read as one batch of positional reads
// straight into the result; chunked or compressed X goes through HDF5 with a chunk cache.
#ifndef HAYSTACK_ATLAS_H5AD_ATLAS_H_
#define HAYSTACK_ATLAS_H5AD_ATLAS_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "haystack/atlas/cell_atlas.h"

namespace haystack {

struct H5adAtlasOptions {
  AtlasColumnMapping mapping;
  // Parallel positional reads during a gather (I/O bound: more than the cores helps on cold
  // storage). 1 = sequential.
  int io_threads = 4;
  // HDF5 chunk cache per dataset for chunked/compressed X.
  int64_t chunk_cache_bytes = int64_t{64} << 20;
  // Symbols for a var index of Ensembl ids that has no symbol column (feature_name,
  // gene_symbols, gene_symbol, gene_name, symbol): e.g. the knowledge base's Ensembl map.
  std::function<std::optional<std::string>(std::string_view ensembl_id)> ensembl_to_symbol;
  // When X holds raw counts (integers, as many exports do, with no normalised layer), gathers
  // return log1p(counts per 10k), the scale the model and the statistics expect. Off: X as
  // stored (for tools that want the file's own values).
  bool normalize_counts = true;
};

// Opens the atlas. Fields the mapping does not name are looked for under their common column
// names (ColumnCandidates); a var index of Ensembl ids is replaced by gene symbols; X is checked
// for raw counts, which gathers then normalise (AtlasLayout says what was found). Errors are
// kStorage: the file is missing (kNotFound), not HDF5, corrupt (kDataLoss) or not AnnData; obs
// lacks a required column (kInvalidArgument; the message names the column, the field and the
// columns obs does have); X is missing, CSC, or malformed (indptr, shape). A gather reading a row
// whose column indices are out of range fails too.
absl::StatusOr<std::unique_ptr<CellAtlas>> OpenH5adAtlas(const std::string& path,
                                                         const H5adAtlasOptions& options = {});

}  // namespace haystack

#endif  // HAYSTACK_ATLAS_H5AD_ATLAS_H_
