#include "internal/matrix_rows.h"

#include <algorithm>
#include <unordered_map>
#include <variant>

#include "haystack/core/error.h"

namespace haystack::agent_internal {
namespace {

// Appends row r of `m` to `out`, its columns renumbered by `column_of` (-1 drops a column; empty
// keeps them).
void AppendRow(const ExpressionMatrix& m, int64_t r, const std::vector<int32_t>& column_of,
               std::vector<std::pair<int32_t, float>>& scratch, CsrMatrix& out) {
  scratch.clear();
  auto add = [&](int64_t c, float v) {
    if (v == 0.0f) return;
    const int32_t to =
        column_of.empty() ? static_cast<int32_t>(c) : column_of[static_cast<size_t>(c)];
    if (to >= 0) scratch.emplace_back(to, v);
  };
  if (const auto* d = std::get_if<DenseMatrix>(&m)) {
    for (int64_t c = 0; c < d->cols; ++c) add(c, d->at(r, c));
  } else {
    const auto& csr = std::get<CsrMatrix>(m);
    for (int64_t k = csr.indptr[static_cast<size_t>(r)]; k < csr.indptr[static_cast<size_t>(r) + 1];
         ++k) {
      add(csr.indices[static_cast<size_t>(k)], csr.data[static_cast<size_t>(k)]);
    }
  }
  if (!column_of.empty()) std::sort(scratch.begin(), scratch.end());
  for (const auto& [c, v] : scratch) {
    out.indices.push_back(c);
    out.data.push_back(v);
  }
  out.indptr.push_back(static_cast<int64_t>(out.data.size()));
  ++out.rows;
}

CsrMatrix Select(const ExpressionMatrix& m, std::span<const int64_t> rows,
                 const std::vector<int32_t>& column_of, int64_t cols) {
  CsrMatrix out;
  out.cols = cols;
  out.indptr.push_back(0);
  std::vector<std::pair<int32_t, float>> scratch;
  for (int64_t r : rows) AppendRow(m, r, column_of, scratch, out);
  return out;
}

}  // namespace

CsrMatrix TakeRows(const ExpressionMatrix& m, std::span<const int64_t> rows) {
  return Select(m, rows, {}, Cols(m));
}

absl::StatusOr<ExpressionMatrix> GatherOver(const CellAtlas& atlas, std::span<const int64_t> cells,
                                            const std::vector<std::string>& genes) {
  HAYSTACK_ASSIGN_OR_RETURN(ExpressionMatrix rows, atlas.GatherRows(cells));
  const std::vector<std::string>& atlas_genes = atlas.var().index;
  if (atlas_genes == genes) return rows;
  std::unordered_map<std::string_view, int32_t> wanted;
  for (size_t i = 0; i < genes.size(); ++i) wanted.emplace(genes[i], static_cast<int32_t>(i));
  std::vector<int32_t> column_of(atlas_genes.size(), -1);
  for (size_t c = 0; c < atlas_genes.size(); ++c) {
    if (auto it = wanted.find(atlas_genes[c]); it != wanted.end()) column_of[c] = it->second;
  }
  std::vector<int64_t> all(static_cast<size_t>(Rows(rows)));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  return Select(rows, all, column_of, static_cast<int64_t>(genes.size()));
}

}  // namespace haystack::agent_internal
