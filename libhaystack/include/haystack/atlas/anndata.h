// An in-memory AnnData object: the cells × genes matrix X with its obs (cells) and var (genes)
// dataframes, unstructured metadata (uns) and the obsm/varm/layers side arrays.
//
// This mirrors Python anndata closely enough that every HAYSTACK file (atlas, prompt/query
// files, predictions, output.h5ad) round-trips through anndata 0.8+ with its types intact:
// numeric, boolean, string and categorical columns, nested uns dictionaries. ReadH5ad/WriteH5ad
// (h5ad.h) convert between this type and the .h5ad file format; docs/atlas.md describes the
// on-disk encoding of each member.
#ifndef HAYSTACK_ATLAS_ANNDATA_H_
#define HAYSTACK_ATLAS_ANNDATA_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "haystack/core/matrix.h"

namespace haystack {

// A pandas Categorical: codes index into categories, -1 means missing.
struct Categorical {
  std::vector<std::string> categories;
  std::vector<int32_t> codes;
  bool ordered = false;

  // The category of row `i`, or nullopt when the code is -1.
  std::optional<std::string_view> ValueAt(size_t i) const;
  // Builds a categorical from plain strings; categories are sorted (pandas' default).
  static Categorical FromStrings(const std::vector<std::string>& values);
  bool operator==(const Categorical&) const = default;
};

// The values of one dataframe column. Reading widens integer types to int64 (int32 stays
// int32) and float16 to float64; writing keeps the type stored here.
using ColumnValues =
    std::variant<std::vector<double>, std::vector<float>, std::vector<int64_t>,
                 std::vector<int32_t>, std::vector<bool>, std::vector<std::string>, Categorical>;

// One column. `mask` (true = missing) makes an integer, boolean or string column nullable
// (pandas "Int64", "boolean", "string"); it is written as anndata's nullable-integer,
// nullable-boolean or nullable-string-array encoding. Note that anndata 0.8 cannot read
// nullable string arrays (0.11+ can).
struct DataFrameColumn {
  std::string name;
  ColumnValues values;
  std::optional<std::vector<bool>> mask;

  size_t size() const;
  // The rows `rows` (any order, repeats allowed), mask included.
  DataFrameColumn TakeRows(const std::vector<int64_t>& rows) const;
  bool operator==(const DataFrameColumn&) const = default;
};

// A pandas DataFrame with a string index and ordered, uniquely named columns.
struct DataFrame {
  // Name of the index ("_index" when the pandas index has no name; var often uses
  // "gene_ids"). The index of a dataframe inside uns may be integral in files written by
  // Python; it is read as decimal strings.
  std::string index_name = "_index";
  std::vector<std::string> index;
  std::vector<DataFrameColumn> columns;  // in column-order

  int64_t rows() const { return static_cast<int64_t>(index.size()); }
  // The column called `name`, or nullptr.
  const DataFrameColumn* Find(std::string_view name) const;
  DataFrameColumn* Find(std::string_view name);
  // Appends a column after checking its length and that the name is new and not "_index".
  absl::Status AddColumn(DataFrameColumn column);
  // Checks column lengths, names (unique, non-empty, no '/', not "_index") and masks.
  absl::Status Validate(std::string_view what) const;
  // The rows `rows` (any order, repeats allowed) as a new dataframe. An empty index (not
  // loaded) stays empty.
  DataFrame TakeRows(const std::vector<int64_t>& rows) const;

  bool operator==(const DataFrame&) const = default;
};

// A dense numeric array of any rank, row-major (obsm/varm entries, N-d arrays in uns). The
// element type is preserved through a round trip.
struct NumericArray {
  std::vector<int64_t> shape;
  std::variant<std::vector<float>, std::vector<double>, std::vector<int32_t>, std::vector<int64_t>>
      data;

  int64_t size() const;  // product of shape
  bool operator==(const NumericArray&) const = default;
};

// A value in the uns tree. Scalars, 1-D arrays, N-d numeric arrays, dictionaries, lists of
// values (typically records, i.e. dictionaries) and dataframes.
//
// Lists (List) have no anndata encoding; they are stored as a dict group whose keys are "0",
// "1", ... with the extra attribute haystack-type = "list" (docs/atlas.md). Python reads them
// as a dict of dicts keyed by position; ReadH5ad turns them back into a List. A null
// (monostate, anndata 0.12's "null") is read but never written: anndata 0.8 drops None too,
// and cannot read the null encoding.
class UnsValue {
 public:
  using Dict = std::map<std::string, UnsValue, std::less<>>;
  using List = std::vector<UnsValue>;
  using Variant = std::variant<std::monostate, bool, int64_t, double, std::string,
                               std::vector<bool>, std::vector<int64_t>, std::vector<double>,
                               std::vector<std::string>, NumericArray, Dict, List, DataFrame>;

  UnsValue() = default;
  UnsValue(bool v) : value(v) {}                                 // NOLINT(runtime/explicit)
  UnsValue(int v) : value(int64_t{v}) {}                         // NOLINT(runtime/explicit)
  UnsValue(int64_t v) : value(v) {}                              // NOLINT(runtime/explicit)
  UnsValue(double v) : value(v) {}                               // NOLINT(runtime/explicit)
  UnsValue(const char* v) : value(std::string(v)) {}             // NOLINT(runtime/explicit)
  UnsValue(std::string v) : value(std::move(v)) {}               // NOLINT(runtime/explicit)
  UnsValue(std::string_view v) : value(std::string(v)) {}        // NOLINT(runtime/explicit)
  UnsValue(std::vector<bool> v) : value(std::move(v)) {}         // NOLINT(runtime/explicit)
  UnsValue(std::vector<int64_t> v) : value(std::move(v)) {}      // NOLINT(runtime/explicit)
  UnsValue(std::vector<double> v) : value(std::move(v)) {}       // NOLINT(runtime/explicit)
  UnsValue(std::vector<std::string> v) : value(std::move(v)) {}  // NOLINT(runtime/explicit)
  UnsValue(NumericArray v) : value(std::move(v)) {}              // NOLINT(runtime/explicit)
  UnsValue(Dict v) : value(std::move(v)) {}                      // NOLINT(runtime/explicit)
  UnsValue(List v) : value(std::move(v)) {}                      // NOLINT(runtime/explicit)
  UnsValue(DataFrame v) : value(std::move(v)) {}                 // NOLINT(runtime/explicit)

  template <class T>
  bool is() const {
    return std::holds_alternative<T>(value);
  }
  template <class T>
  const T& as() const {
    return std::get<T>(value);
  }
  template <class T>
  T& as() {
    return std::get<T>(value);
  }
  // For a Dict: the member `key`, or nullptr (also when this is not a Dict).
  const UnsValue* Find(std::string_view key) const;

  bool operator==(const UnsValue&) const = default;

  Variant value;
};

// The whole object. Shapes: x is n_obs × n_vars; obsm entries have n_obs rows, varm entries
// n_vars rows; layers have X's shape.
struct AnnData {
  // X as float32 (dense or CSR). Absent when the file has no X. Files whose X has another
  // dtype are converted to float32 on reading.
  std::optional<ExpressionMatrix> x;
  DataFrame obs;
  DataFrame var;
  UnsValue::Dict uns;
  std::map<std::string, NumericArray, std::less<>> obsm;
  std::map<std::string, NumericArray, std::less<>> varm;
  std::map<std::string, ExpressionMatrix, std::less<>> layers;  // float32, like x

  int64_t n_obs() const { return obs.rows(); }
  int64_t n_vars() const { return var.rows(); }

  // Checks every shape against n_obs × n_vars, the matrices' structure (core Validate) and the
  // dataframes. Errors name the member ("obsm['X_pca']: 9 rows, expected 10 (n_obs)").
  absl::Status Validate() const;

  bool operator==(const AnnData&) const = default;
};

}  // namespace haystack

#endif  // HAYSTACK_ATLAS_ANNDATA_H_
