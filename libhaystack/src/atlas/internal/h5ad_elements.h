// Readers for the individual AnnData elements (dataframes, columns, matrices), shared by
// ReadH5ad and H5adAtlas. All errors are kStorage and name the HDF5 path.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_H5AD_ELEMENTS_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_H5AD_ELEMENTS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "internal/hdf5.h"
#include "internal/obs_columns.h"

namespace haystack::h5ad_internal {

// Opens an .h5ad file read-only: kNotFound if it does not exist, kInvalidArgument if it is not
// HDF5, kDataLoss if HDF5 cannot open it (truncated, corrupt).
absl::StatusOr<h5::Handle> OpenH5ad(const std::string& path);

// Errors unless the root's encoding-type is "anndata" (or absent, as in pre-0.8 files).
absl::Status CheckRootEncoding(hid_t file);

struct DataFrameReadOptions {
  bool read_index = true;  // false: index stays empty (rows() is then 0; use row_count)
  // Only these columns (all when empty); a listed column that is missing is an error.
  std::vector<std::string> only_columns;
};

// Reads the dataframe group loc/name. `row_count` receives the number of rows (also when the
// index is not read).
absl::StatusOr<DataFrame> ReadDataFrame(hid_t loc, const std::string& name, const std::string& path,
                                        const DataFrameReadOptions& options = {},
                                        int64_t* row_count = nullptr);

// A dataframe group opened for reading: its encoding-type checked, its index name and row
// count, and the columns to read (`only_columns`, else its column-order).
struct DataFrameGroup {
  h5::Handle group;
  std::string path;
  std::string index_name;
  int64_t rows = 0;
  std::vector<std::string> columns;
};
absl::StatusOr<DataFrameGroup> OpenDataFrame(hid_t loc, const std::string& name,
                                             const std::string& path,
                                             const std::vector<std::string>& only_columns = {});
// Calls `read(name, path)` for each column of `df`, which reads it from df.group and returns its
// length; a missing column, or a length other than the index's, is an error naming the column.
absl::Status ForEachColumn(
    const DataFrameGroup& df,
    const std::function<absl::StatusOr<size_t>(const std::string& name, const std::string& path)>&
        read);

// One column of a dataframe group.
absl::StatusOr<DataFrameColumn> ReadColumn(hid_t df_group, const std::string& name,
                                           const std::string& path);

// The categorical column group `g` (at `path`), its codes at their stored width when that is
// int8 or int16, else int32. Codes out of range are an error naming the value stored.
absl::StatusOr<atlas_internal::CompactCategorical> ReadCompactCategorical(hid_t g,
                                                                          const std::string& path);

// The number of rows of a dataframe group, from its index dataset (or group).
absl::StatusOr<int64_t> DataFrameRows(hid_t df_group, const std::string& path);

// Reads X or a layer (dense 2-D dataset or csr/csc group) as float32 and checks its shape.
absl::StatusOr<ExpressionMatrix> ReadMatrix(hid_t loc, const std::string& name,
                                            const std::string& path,
                                            std::array<int64_t, 2> expected_shape);

// Checks a CSR/CSC indptr: major+1 entries, starts at 0, never decreases, ends at nnz.
absl::Status CheckIndptr(std::span<const int64_t> indptr, int64_t major, int64_t nnz,
                         std::string_view path);

// Reads the strings of the index dataset (or nullable-string-array group) at `rows`.
absl::StatusOr<std::vector<std::string>> ReadIndexRows(hid_t df_group, const std::string& path,
                                                       const std::vector<int64_t>& rows);

}  // namespace haystack::h5ad_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_H5AD_ELEMENTS_H_
