// The atlas's obs as it keeps it in memory: each categorical column's codes at the width the
// file stores them (anndata writes int8 below 128 categories, int16 below 32,768), the other
// columns as read. A code per cell is the bulk of obs — 25 columns × 1M cells are 100 MB as
// int32 and 25 MB as int8 — and on a fresh process every byte is a page fault, so the narrow
// codes are what makes opening a large atlas fast (docs/atlas.md "Performance").
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_OBS_COLUMNS_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_OBS_COLUMNS_H_

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "internal/hdf5.h"

namespace haystack::atlas_internal {

// A categorical column with codes of the stored width; -1 is a missing value.
struct CompactCategorical {
  std::vector<std::string> categories;
  std::variant<h5::UnzeroedVector<int8_t>, h5::UnzeroedVector<int16_t>, std::vector<int32_t>> codes;
  bool ordered = false;

  size_t size() const;
  int32_t CodeAt(size_t row) const;
  // Calls f(codes) with the codes vector of whichever width (for loops over every cell).
  template <class F>
  decltype(auto) VisitCodes(F&& f) const {
    return std::visit(std::forward<F>(f), codes);
  }
  // The rows `rows`, or every row, as an ordinary Categorical (int32 codes).
  Categorical TakeRows(const std::vector<int64_t>& rows) const;
  Categorical ToCategorical() const;
  static CompactCategorical FromCategorical(Categorical c);
};

struct ObsColumn {
  std::string name;
  std::variant<CompactCategorical, DataFrameColumn> values;  // DataFrameColumn: not categorical

  size_t size() const;
};

class ObsColumns {
 public:
  ObsColumns() = default;
  ObsColumns(std::vector<ObsColumn> columns, int64_t rows)
      : columns_(std::move(columns)), rows_(rows) {}

  int64_t rows() const { return rows_; }
  const std::vector<ObsColumn>& columns() const { return columns_; }
  // The column called `name`, or nullptr.
  const ObsColumn* Find(std::string_view name) const;
  // The rows `rows` (any order, repeats allowed) of every column, as a DataFrame without index.
  DataFrame TakeRows(const std::vector<int64_t>& rows) const;

 private:
  std::vector<ObsColumn> columns_;  // in obs's column order
  int64_t rows_ = 0;
};

// Reads every column of the dataframe group `file`/obs (not its index), categoricals compact.
// Errors are kStorage and name the HDF5 path, as ReadDataFrame's.
absl::StatusOr<ObsColumns> ReadObsColumns(hid_t file);

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_OBS_COLUMNS_H_
