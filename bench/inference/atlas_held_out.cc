#include "atlas_held_out.h"

#include <cmath>
#include <map>
#include <set>

#include "haystack/core/error.h"
#include "haystack/inference/icl_baseline.h"
#include "shift_metrics.h"

namespace haystack::bench {
namespace {

absl::StatusOr<std::vector<std::string>> StringColumn(const AnnData& atlas, std::string_view name) {
  const DataFrameColumn* column = atlas.obs.Find(name);
  if (column == nullptr)
    return InternalError(std::string("atlas has no obs column ") + std::string(name));
  std::vector<std::string> out(static_cast<size_t>(atlas.n_obs()));
  if (const auto* cat = std::get_if<Categorical>(&column->values)) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = std::string(cat->ValueAt(i).value_or(""));
  } else if (const auto* strings = std::get_if<std::vector<std::string>>(&column->values)) {
    out = *strings;
  } else {
    return InternalError(std::string("obs column is not a string column: ") + std::string(name));
  }
  return out;
}

DenseMatrix TakeRows(const ExpressionMatrix& x, const std::vector<int64_t>& rows) {
  DenseMatrix out(static_cast<int64_t>(rows.size()), Cols(x));
  for (size_t i = 0; i < rows.size(); ++i) {
    auto dst = out.row(static_cast<int64_t>(i));
    if (const auto* dense = std::get_if<DenseMatrix>(&x)) {
      const auto src = dense->row(rows[i]);
      std::copy(src.begin(), src.end(), dst.begin());
    } else {
      const auto& csr = std::get<CsrMatrix>(x);
      for (int64_t k = csr.indptr[rows[i]]; k < csr.indptr[rows[i] + 1]; ++k) {
        dst[csr.indices[k]] = csr.data[k];
      }
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<HeldOutCase>> EvaluateHeldOut(const AnnData& atlas, int64_t min_cells,
                                                         int threads) {
  if (!atlas.x) return InternalError("atlas has no X");
  HAYSTACK_ASSIGN_OR_RETURN(const auto cell_type, StringColumn(atlas, "cell_type"));
  HAYSTACK_ASSIGN_OR_RETURN(const auto perturbation, StringColumn(atlas, "perturbation"));
  const DataFrameColumn* control_column = atlas.obs.Find("is_control");
  if (control_column == nullptr ||
      !std::holds_alternative<std::vector<bool>>(control_column->values)) {
    return InternalError("atlas has no boolean obs column is_control");
  }
  const auto& is_control = std::get<std::vector<bool>>(control_column->values);

  std::set<std::string> perturbations, types;
  for (size_t i = 0; i < cell_type.size(); ++i) {
    types.insert(cell_type[i]);
    if (!is_control[i]) perturbations.insert(perturbation[i]);
  }
  std::vector<HeldOutCase> cases;
  for (const auto& p : perturbations) {
    for (const auto& t : types) {
      std::vector<int64_t> prompt, reference, query, truth;
      for (size_t i = 0; i < cell_type.size(); ++i) {
        const bool same_type = cell_type[i] == t;
        const auto row = static_cast<int64_t>(i);
        if (is_control[i]) {
          (same_type ? query : reference).push_back(row);
        } else if (perturbation[i] == p) {
          (same_type ? truth : prompt).push_back(row);
        }
      }
      if (std::min({prompt.size(), reference.size(), query.size(), truth.size()}) <
          static_cast<size_t>(min_cells)) {
        continue;
      }
      const ExpressionMatrix pm = TakeRows(*atlas.x, prompt), rm = TakeRows(*atlas.x, reference),
                             qm = TakeRows(*atlas.x, query);
      const DenseMatrix tm = TakeRows(*atlas.x, truth);
      HAYSTACK_ASSIGN_OR_RETURN(const DenseMatrix predicted,
                                PredictIcl({.prompt = &pm, .reference = &rm, .query = &qm},
                                           {.threads = threads, .seed = 1}, StopToken()));
      const ShiftComparison c = CompareShifts(std::get<DenseMatrix>(qm), predicted, tm);
      cases.push_back(
          HeldOutCase{p, t, static_cast<int64_t>(prompt.size()),
                      static_cast<int64_t>(reference.size()), static_cast<int64_t>(query.size()),
                      static_cast<int64_t>(truth.size()), c.r, c.rmse, c.rmse_no_change});
    }
  }
  return cases;
}

}  // namespace haystack::bench
