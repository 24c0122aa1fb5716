// What an atlas file holds beyond its obs columns: where the gene symbols are (CELLxGENE files
// index var by Ensembl id and keep symbols in var.feature_name) and whether X holds counts.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_ATLAS_LAYOUT_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_ATLAS_LAYOUT_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "haystack/atlas/anndata.h"
#include "haystack/core/matrix.h"

namespace haystack::atlas_internal {

// "ENSG00000115415", "ENSG00000115415.17", "ENSMUSG00000026104": an Ensembl gene id.
bool LooksLikeEnsemblGeneId(std::string_view id);

using EnsemblToSymbol = std::function<std::optional<std::string>(std::string_view)>;

// Rewrites var so that its index holds gene symbols when the file's index holds Ensembl ids
// (at least half of them): symbols from the first of feature_name, gene_symbols, gene_symbol,
// gene_name, symbol that var has, else from `fallback` (the knowledge base's map), else the
// index stays. A gene without a symbol, or whose symbol an earlier gene already took, keeps
// its id. The ids move to a column "ensembl_id" (unless var already has one). Returns the
// description for AtlasLayout::gene_symbols.
std::string UseGeneSymbols(DataFrame& var, const EnsemblToSymbol& fallback);

// True when every value of `sample` is a non-negative integer (raw counts), and at least one
// is above 1 (a binary matrix is not evidence of counts).
bool LooksLikeCounts(const ExpressionMatrix& sample);

// log1p(x / row total × 10,000), per row: the normalisation CELLxGENE and scanpy use.
void NormalizeCountsInPlace(ExpressionMatrix& m);

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_ATLAS_LAYOUT_H_
