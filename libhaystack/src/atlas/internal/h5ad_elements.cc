#include "internal/h5ad_elements.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>

#include "haystack/core/error.h"
#include "internal/cat.h"

namespace haystack::h5ad_internal {

using atlas_internal::Cat;
namespace {

using h5::Handle;

absl::Status ReadIntegers(hid_t d, const std::string& path, const h5::DatasetInfo& info,
                          ColumnValues* out) {
  if (info.element == h5::ElementClass::kInteger && info.element_size <= 4) {
    std::vector<int32_t> v;
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
    // Narrower types are widened to int64 like pandas would on arithmetic; int32 stays.
    if (info.element_size == 4) {
      *out = std::move(v);
    } else {
      *out = std::vector<int64_t>(v.begin(), v.end());
    }
    return absl::OkStatus();
  }
  if (info.element == h5::ElementClass::kUnsigned && info.element_size == 8) {
    std::vector<uint64_t> v;
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
    std::vector<int64_t> w(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return h5::FormatError(Cat(path, "[", i, "]: ", v[i], " does not fit int64"));
      }
      w[i] = static_cast<int64_t>(v[i]);
    }
    *out = std::move(w);
    return absl::OkStatus();
  }
  std::vector<int64_t> v;
  HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
  *out = std::move(v);
  return absl::OkStatus();
}

// A 1-D dataset as column values (numbers, booleans or strings).
absl::Status ReadColumnDataset(hid_t d, const std::string& path, ColumnValues* out) {
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d, path));
  if (info.dims.size() != 1) {
    return h5::FormatError(
        Cat(path, ": a column must be 1-D, has ", info.dims.size(), " dimensions"));
  }
  switch (info.element) {
    case h5::ElementClass::kString: {
      std::vector<std::string> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadStrings(d, path, &v));
      *out = std::move(v);
      return absl::OkStatus();
    }
    case h5::ElementClass::kBool: {
      std::vector<bool> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadBools(d, path, &v));
      *out = std::move(v);
      return absl::OkStatus();
    }
    case h5::ElementClass::kFloat: {
      if (info.element_size == 4) {
        std::vector<float> v;
        HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
        *out = std::move(v);
      } else {
        std::vector<double> v;
        HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
        *out = std::move(v);
      }
      return absl::OkStatus();
    }
    case h5::ElementClass::kInteger:
    case h5::ElementClass::kUnsigned:
      return ReadIntegers(d, path, info, out);
    default:
      return h5::FormatError(Cat(path, ": unsupported column type"));
  }
}

std::vector<std::string> ToStrings(const ColumnValues& values) {
  return std::visit(
      [](const auto& v) -> std::vector<std::string> {
        using V = std::decay_t<decltype(v)>;
        std::vector<std::string> out;
        if constexpr (std::is_same_v<V, std::vector<std::string>>) {
          out = v;
        } else if constexpr (std::is_same_v<V, std::vector<bool>>) {
          for (bool b : v) out.push_back(b ? "True" : "False");
        } else if constexpr (std::is_same_v<V, Categorical>) {
          for (size_t i = 0; i < v.codes.size(); ++i) out.emplace_back(v.ValueAt(i).value_or(""));
        } else {
          for (const auto& x : v) out.push_back(Cat(x));
        }
        return out;
      },
      values);
}

// The categories (as text) and `ordered` of a categorical group.
absl::Status ReadCategoriesOf(hid_t g, const std::string& path, std::vector<std::string>* out,
                              bool* ordered) {
  if (h5::HasAttr(g, "ordered")) {
    HAYSTACK_ASSIGN_OR_RETURN(*ordered, h5::ReadBoolAttr(g, "ordered", path));
  }
  const std::string cpath = path + "/categories";
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g, "categories", cpath));
  ColumnValues categories;
  HAYSTACK_RETURN_IF_ERROR(ReadColumnDataset(d.get(), cpath, &categories));
  // Non-string categories (numbers) become their decimal text.
  *out = ToStrings(categories);
  return absl::OkStatus();
}

// Every code is -1 (missing) or a category's position.
template <class Codes>
absl::Status CheckCodes(const Codes& codes, size_t categories, const std::string& kpath) {
  const auto n_cat = static_cast<int64_t>(categories);
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] < -1 || codes[i] >= n_cat) {
      return h5::FormatError(Cat(kpath, "[", i, "] = ", static_cast<int64_t>(codes[i]),
                                 " is out of range for ", n_cat, " categories"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<h5::DatasetInfo> DescribeCodes(hid_t d, const std::string& kpath) {
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d, kpath));
  if (info.dims.size() != 1 ||
      (info.element != h5::ElementClass::kInteger && info.element != h5::ElementClass::kUnsigned)) {
    return h5::FormatError(Cat(kpath, ": expected 1-D integer codes"));
  }
  return info;
}

// The codes dataset `d` (described by `info`) as int32, whatever its stored width.
absl::StatusOr<std::vector<int32_t>> ReadWideCodes(hid_t d, const h5::DatasetInfo& info,
                                                   size_t categories, const std::string& kpath) {
  std::vector<int32_t> codes;
  const bool fits_int32 = info.element_size < 4 ||
                          (info.element_size == 4 && info.element == h5::ElementClass::kInteger);
  if (fits_int32) {
    // Read straight into the result: no wider copy of a column that has a value per cell.
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, kpath, &codes));
    HAYSTACK_RETURN_IF_ERROR(CheckCodes(codes, categories, kpath));
    return codes;
  }
  // Wider codes: HDF5 would clip out-of-range values; read them whole to report them as stored.
  std::vector<int64_t> wide;
  HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, kpath, &wide));
  HAYSTACK_RETURN_IF_ERROR(CheckCodes(wide, categories, kpath));
  codes.assign(wide.begin(), wide.end());
  return codes;
}

absl::StatusOr<Categorical> ReadCategorical(hid_t g, const std::string& path) {
  Categorical cat;
  HAYSTACK_RETURN_IF_ERROR(ReadCategoriesOf(g, path, &cat.categories, &cat.ordered));
  const std::string kpath = path + "/codes";
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g, "codes", kpath));
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, DescribeCodes(d.get(), kpath));
  HAYSTACK_ASSIGN_OR_RETURN(cat.codes, ReadWideCodes(d.get(), info, cat.categories.size(), kpath));
  return cat;
}

absl::StatusOr<std::vector<bool>> ReadMask(hid_t g, const std::string& path, size_t n) {
  const std::string mpath = path + "/mask";
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g, "mask", mpath));
  std::vector<bool> mask;
  HAYSTACK_RETURN_IF_ERROR(h5::ReadBools(d.get(), mpath, &mask));
  if (mask.size() != n) {
    return h5::FormatError(Cat(mpath, ": ", mask.size(), " values, expected ", n));
  }
  return mask;
}

// Reads indices stored as any integer type into int32 and checks them against `minor`.
absl::Status ReadIndices(hid_t g, const std::string& path, int64_t nnz, int64_t minor,
                         std::vector<int32_t>* out) {
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g, "indices", path));
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), path));
  if (info.dims.size() != 1 ||
      (info.element != h5::ElementClass::kInteger && info.element != h5::ElementClass::kUnsigned)) {
    return h5::FormatError(Cat(path, ": expected 1-D integers"));
  }
  if (info.dims[0] != nnz) {
    return h5::FormatError(Cat(path, ": ", info.dims[0], " entries but data has ", nnz));
  }
  if (info.element_size <= 4 && info.element == h5::ElementClass::kInteger) {
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), path, out));
    for (size_t i = 0; i < out->size(); ++i) {
      if ((*out)[i] < 0 || (*out)[i] >= minor) {
        return h5::FormatError(
            Cat(path, "[", i, "] = ", (*out)[i], " is out of range [0, ", minor, ")"));
      }
    }
    return absl::OkStatus();
  }
  std::vector<int64_t> wide;
  HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), path, &wide));
  out->resize(wide.size());
  for (size_t i = 0; i < wide.size(); ++i) {
    if (wide[i] < 0 || wide[i] >= minor) {
      return h5::FormatError(
          Cat(path, "[", i, "] = ", wide[i], " is out of range [0, ", minor, ")"));
    }
    (*out)[i] = static_cast<int32_t>(wide[i]);
  }
  return absl::OkStatus();
}

// Sorts the column indices within each row (scipy allows unsorted ones) and rejects
// duplicates.
absl::Status SortRows(CsrMatrix* m, const std::string& path) {
  std::vector<std::pair<int32_t, float>> buf;
  for (int64_t r = 0; r < m->rows; ++r) {
    const size_t b = static_cast<size_t>(m->indptr[static_cast<size_t>(r)]);
    const size_t e = static_cast<size_t>(m->indptr[static_cast<size_t>(r) + 1]);
    bool sorted = true;
    for (size_t i = b + 1; i < e; ++i) {
      if (m->indices[i] <= m->indices[i - 1]) {
        sorted = false;
        break;
      }
    }
    if (sorted) continue;
    buf.clear();
    for (size_t i = b; i < e; ++i) buf.emplace_back(m->indices[i], m->data[i]);
    std::sort(buf.begin(), buf.end());
    for (size_t i = b; i < e; ++i) {
      if (i > b && buf[i - b].first == buf[i - b - 1].first) {
        return h5::FormatError(Cat(path, ": row ", r, " has column ", buf[i - b].first, " twice"));
      }
      m->indices[i] = buf[i - b].first;
      m->data[i] = buf[i - b].second;
    }
  }
  return absl::OkStatus();
}

CsrMatrix Transpose(const CsrMatrix& csc_as_csr) {
  // `csc_as_csr` holds a CSC matrix read as if it were CSR of the transposed shape.
  CsrMatrix out;
  out.rows = csc_as_csr.cols;
  out.cols = csc_as_csr.rows;
  out.indptr.assign(static_cast<size_t>(out.rows) + 1, 0);
  for (int32_t c : csc_as_csr.indices) ++out.indptr[static_cast<size_t>(c) + 1];
  for (size_t i = 1; i < out.indptr.size(); ++i) out.indptr[i] += out.indptr[i - 1];
  out.indices.resize(csc_as_csr.indices.size());
  out.data.resize(csc_as_csr.data.size());
  std::vector<int64_t> next(out.indptr.begin(), out.indptr.end() - 1);
  for (int64_t r = 0; r < csc_as_csr.rows; ++r) {
    for (int64_t k = csc_as_csr.indptr[static_cast<size_t>(r)];
         k < csc_as_csr.indptr[static_cast<size_t>(r) + 1]; ++k) {
      const size_t row = static_cast<size_t>(csc_as_csr.indices[static_cast<size_t>(k)]);
      const size_t pos = static_cast<size_t>(next[row]++);
      out.indices[pos] = static_cast<int32_t>(r);
      out.data[pos] = csc_as_csr.data[static_cast<size_t>(k)];
    }
  }
  return out;
}

absl::StatusOr<std::string> IndexName(hid_t g, const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> index,
                            h5::ReadStringAttr(g, "_index", path));
  if (!index || index->empty()) {
    return h5::FormatError(Cat(path, ": dataframe has no '_index' attribute"));
  }
  return *index;
}

}  // namespace

absl::StatusOr<h5::Handle> OpenH5ad(const std::string& path) {
  h5::SilenceErrorPrinting();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kNotFound, Cat(path, ": no such file"));
  }
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kInvalidArgument,
                     Cat(path, ": not an HDF5 file (no HDF5 signature)"));
  }
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!file.valid()) {
    return h5::Error(absl::StatusCode::kDataLoss,
                     Cat(path, ": HDF5 cannot open the file (truncated or corrupt?)"));
  }
  return file;
}

absl::Status CheckRootEncoding(hid_t file) {
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(file, "/"));
  if (!et.empty() && et != "anndata") {
    return h5::FormatError(Cat("/: encoding-type is '", et, "', expected 'anndata'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> DataFrameRows(hid_t g, const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(std::string index_name, IndexName(g, path));
  const std::string ipath = Cat(path, "/", index_name);
  if (!h5::HasChild(g, index_name)) {
    return h5::FormatError(Cat(ipath, ": the index named by '_index' is missing"));
  }
  HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(g, index_name, ipath));
  Handle d;
  if (kind == h5::ObjectKind::kGroup) {  // nullable-string-array (anndata 0.11+)
    HAYSTACK_ASSIGN_OR_RETURN(Handle ig, h5::OpenGroup(g, index_name, ipath));
    HAYSTACK_ASSIGN_OR_RETURN(d, h5::OpenDataset(ig.get(), "values", ipath + "/values"));
  } else {
    HAYSTACK_ASSIGN_OR_RETURN(d, h5::OpenDataset(g, index_name, ipath));
  }
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), ipath));
  if (info.dims.size() != 1) return h5::FormatError(Cat(ipath, ": index must be 1-D"));
  return info.dims[0];
}

absl::StatusOr<DataFrameColumn> ReadColumn(hid_t g, const std::string& name,
                                           const std::string& path) {
  DataFrameColumn column;
  column.name = name;
  HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(g, name, path));
  if (kind == h5::ObjectKind::kDataset) {
    HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g, name, path));
    HAYSTACK_RETURN_IF_ERROR(ReadColumnDataset(d.get(), path, &column.values));
    return column;
  }
  if (kind != h5::ObjectKind::kGroup) return h5::FormatError(Cat(path, ": unsupported object"));
  HAYSTACK_ASSIGN_OR_RETURN(Handle cg, h5::OpenGroup(g, name, path));
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(cg.get(), path));
  if (et == "categorical") {
    HAYSTACK_ASSIGN_OR_RETURN(Categorical cat, ReadCategorical(cg.get(), path));
    column.values = std::move(cat);
    return column;
  }
  if (et == "nullable-integer" || et == "nullable-boolean" || et == "nullable-string-array") {
    const std::string vpath = path + "/values";
    HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(cg.get(), "values", vpath));
    HAYSTACK_RETURN_IF_ERROR(ReadColumnDataset(d.get(), vpath, &column.values));
    HAYSTACK_ASSIGN_OR_RETURN(column.mask, ReadMask(cg.get(), path, column.size()));
    return column;
  }
  return h5::FormatError(Cat(path, ": unsupported column encoding '", et, "'"));
}

absl::StatusOr<atlas_internal::CompactCategorical> ReadCompactCategorical(hid_t g,
                                                                          const std::string& path) {
  atlas_internal::CompactCategorical cat;
  HAYSTACK_RETURN_IF_ERROR(ReadCategoriesOf(g, path, &cat.categories, &cat.ordered));
  const std::string kpath = path + "/codes";
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g, "codes", kpath));
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, DescribeCodes(d.get(), kpath));
  // Signed int8 and int16 (what anndata writes) are read as stored: no conversion, no widening.
  auto read_as_stored = [&](auto narrow) -> absl::Status {
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAllUnzeroed(d.get(), kpath, &narrow));
    HAYSTACK_RETURN_IF_ERROR(CheckCodes(narrow, cat.categories.size(), kpath));
    cat.codes = std::move(narrow);
    return absl::OkStatus();
  };
  if (info.element == h5::ElementClass::kInteger && info.element_size == 1) {
    HAYSTACK_RETURN_IF_ERROR(read_as_stored(h5::UnzeroedVector<int8_t>()));
    return cat;
  }
  if (info.element == h5::ElementClass::kInteger && info.element_size == 2) {
    HAYSTACK_RETURN_IF_ERROR(read_as_stored(h5::UnzeroedVector<int16_t>()));
    return cat;
  }
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<int32_t> wide,
                            ReadWideCodes(d.get(), info, cat.categories.size(), kpath));
  cat.codes = std::move(wide);
  return cat;
}

absl::StatusOr<DataFrameGroup> OpenDataFrame(hid_t loc, const std::string& name,
                                             const std::string& path,
                                             const std::vector<std::string>& only_columns) {
  DataFrameGroup df;
  df.path = path;
  HAYSTACK_ASSIGN_OR_RETURN(df.group, h5::OpenGroup(loc, name, path));
  const hid_t g = df.group.get();
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(g, path));
  if (et != "dataframe") {
    return h5::FormatError(Cat(path, ": encoding-type is '", et, "', expected 'dataframe'"));
  }
  HAYSTACK_ASSIGN_OR_RETURN(df.index_name, IndexName(g, path));
  HAYSTACK_ASSIGN_OR_RETURN(df.rows, DataFrameRows(g, path));
  if (!only_columns.empty()) {
    df.columns = only_columns;
  } else if (h5::HasAttr(g, "column-order")) {
    HAYSTACK_ASSIGN_OR_RETURN(df.columns, h5::ReadStringArrayAttr(g, "column-order", path));
  }
  return df;
}

absl::Status ForEachColumn(
    const DataFrameGroup& df,
    const std::function<absl::StatusOr<size_t>(const std::string& name, const std::string& path)>&
        read) {
  for (const std::string& column : df.columns) {
    const std::string cpath = Cat(df.path, "/", column);
    if (!h5::HasChild(df.group.get(), column)) {
      return h5::FormatError(Cat(cpath, ": column is missing"));
    }
    HAYSTACK_ASSIGN_OR_RETURN(const size_t size, read(column, cpath));
    if (static_cast<int64_t>(size) != df.rows) {
      return h5::FormatError(Cat(cpath, ": ", size, " values but the index has ", df.rows));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DataFrame> ReadDataFrame(hid_t loc, const std::string& name, const std::string& path,
                                        const DataFrameReadOptions& options, int64_t* row_count) {
  HAYSTACK_ASSIGN_OR_RETURN(const DataFrameGroup group,
                            OpenDataFrame(loc, name, path, options.only_columns));
  const hid_t g = group.group.get();
  DataFrame df;
  df.index_name = group.index_name;
  if (row_count != nullptr) *row_count = group.rows;
  if (options.read_index) {
    const std::string ipath = Cat(path, "/", df.index_name);
    HAYSTACK_ASSIGN_OR_RETURN(DataFrameColumn index, ReadColumn(g, df.index_name, ipath));
    df.index = ToStrings(index.values);
  }
  HAYSTACK_RETURN_IF_ERROR(ForEachColumn(
      group, [&](const std::string& column, const std::string& cpath) -> absl::StatusOr<size_t> {
        HAYSTACK_ASSIGN_OR_RETURN(DataFrameColumn c, ReadColumn(g, column, cpath));
        df.columns.push_back(std::move(c));
        return df.columns.back().size();
      }));
  return df;
}

absl::Status CheckIndptr(std::span<const int64_t> indptr, int64_t major, int64_t nnz,
                         std::string_view path) {
  if (static_cast<int64_t>(indptr.size()) != major + 1) {
    return h5::FormatError(
        Cat(path, ": ", indptr.size(), " entries, expected ", major + 1, " (from the shape)"));
  }
  if (indptr[0] != 0) return h5::FormatError(Cat(path, "[0] = ", indptr[0], ", expected 0"));
  for (size_t i = 1; i < indptr.size(); ++i) {
    if (indptr[i] < indptr[i - 1]) {
      return h5::FormatError(Cat(path, " is not monotone: [", i - 1, "] = ", indptr[i - 1], " > [",
                                 i, "] = ", indptr[i]));
    }
  }
  if (indptr.back() != nnz) {
    return h5::FormatError(Cat(path, "[", indptr.size() - 1, "] = ", indptr.back(),
                               " but there are ", nnz, " stored values"));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExpressionMatrix> ReadMatrix(hid_t loc, const std::string& name,
                                            const std::string& path,
                                            std::array<int64_t, 2> expected) {
  HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(loc, name, path));
  auto check_shape = [&](int64_t rows, int64_t cols) -> absl::Status {
    if (rows != expected[0] || cols != expected[1]) {
      return h5::FormatError(Cat(path, ": shape (", rows, ", ", cols,
                                 ") does not match obs × var (", expected[0], ", ", expected[1],
                                 ")"));
    }
    return absl::OkStatus();
  };
  if (kind == h5::ObjectKind::kDataset) {
    HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(loc, name, path));
    HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), path));
    if (info.dims.size() != 2) {
      return h5::FormatError(
          Cat(path, ": expected a 2-D array, has ", info.dims.size(), " dimensions"));
    }
    HAYSTACK_RETURN_IF_ERROR(check_shape(info.dims[0], info.dims[1]));
    DenseMatrix m;
    m.rows = info.dims[0];
    m.cols = info.dims[1];
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), path, &m.values));
    return ExpressionMatrix(std::move(m));
  }
  if (kind != h5::ObjectKind::kGroup) return h5::FormatError(Cat(path, ": unsupported object"));
  HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::OpenGroup(loc, name, path));
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(g.get(), path));
  if (et.empty()) {  // anndata < 0.8 marked sparse groups with h5sparse_format
    HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> legacy,
                              h5::ReadStringAttr(g.get(), "h5sparse_format", path));
    if (legacy) et = *legacy + "_matrix";
  }
  if (et != "csr_matrix" && et != "csc_matrix") {
    return h5::FormatError(Cat(path, ": encoding-type is '", et,
                               "', expected an array, 'csr_matrix' or 'csc_matrix'"));
  }
  const bool csc = et == "csc_matrix";
  const char* shape_attr = h5::HasAttr(g.get(), "shape") ? "shape" : "h5sparse_shape";
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> shape,
                            h5::ReadIntArrayAttr(g.get(), shape_attr, path));
  if (shape.size() != 2 || shape[0] < 0 || shape[1] < 0 ||
      shape[1] > std::numeric_limits<int32_t>::max() ||
      shape[0] > std::numeric_limits<int32_t>::max()) {
    return h5::FormatError(Cat(path, "@shape: expected two non-negative sizes"));
  }
  HAYSTACK_RETURN_IF_ERROR(check_shape(shape[0], shape[1]));
  CsrMatrix m;  // for CSC: the transpose, fixed below
  m.rows = csc ? shape[1] : shape[0];
  m.cols = csc ? shape[0] : shape[1];
  {
    const std::string dpath = path + "/data";
    HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g.get(), "data", dpath));
    HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), dpath));
    if (info.dims.size() != 1) return h5::FormatError(Cat(dpath, ": expected 1-D"));
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), dpath, &m.data));
  }
  {
    const std::string ppath = path + "/indptr";
    HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g.get(), "indptr", ppath));
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), ppath, &m.indptr));
    HAYSTACK_RETURN_IF_ERROR(CheckIndptr(m.indptr, m.rows, m.nnz(), ppath));
  }
  HAYSTACK_RETURN_IF_ERROR(ReadIndices(g.get(), path + "/indices", m.nnz(), m.cols, &m.indices));
  if (csc) m = Transpose(m);
  HAYSTACK_RETURN_IF_ERROR(SortRows(&m, path));
  return ExpressionMatrix(std::move(m));
}

absl::StatusOr<std::vector<std::string>> ReadIndexRows(hid_t g, const std::string& path,
                                                       const std::vector<int64_t>& rows) {
  HAYSTACK_ASSIGN_OR_RETURN(std::string index_name, IndexName(g, path));
  const std::string ipath = Cat(path, "/", index_name);
  HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(g, index_name, ipath));
  Handle holder;
  hid_t parent = g;
  std::string dname = index_name;
  if (kind == h5::ObjectKind::kGroup) {
    HAYSTACK_ASSIGN_OR_RETURN(holder, h5::OpenGroup(g, index_name, ipath));
    parent = holder.get();
    dname = "values";
  }
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(parent, dname, ipath));
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), ipath));
  if (info.dims.size() != 1) return h5::FormatError(Cat(ipath, ": index must be 1-D"));
  std::vector<std::string> out;
  if (rows.empty()) return out;
  if (info.element != h5::ElementClass::kString) {
    // Integer index (dataframes written from a RangeIndex): read it whole, it is small.
    HAYSTACK_ASSIGN_OR_RETURN(DataFrameColumn c, ReadColumn(parent, dname, ipath));
    std::vector<std::string> all = ToStrings(c.values);
    for (int64_t r : rows) out.push_back(all.at(static_cast<size_t>(r)));
    return out;
  }
  // A point selection reads only the requested strings.
  std::vector<hsize_t> coords(rows.begin(), rows.end());
  Handle fspace(H5Dget_space(d.get()));
  const hsize_t n = rows.size();
  Handle mspace(H5Screate_simple(1, &n, nullptr));
  Handle ftype(H5Dget_type(d.get()));
  if (H5Sselect_elements(fspace.get(), H5S_SELECT_SET, rows.size(), coords.data()) < 0) {
    return h5::Error(absl::StatusCode::kInvalidArgument, Cat(ipath, ": bad selection"));
  }
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Handle mem = h5::VlenUtf8Type();
    std::vector<char*> ptrs(rows.size(), nullptr);
    if (H5Dread(d.get(), mem.get(), mspace.get(), fspace.get(), H5P_DEFAULT, ptrs.data()) < 0) {
      return h5::Error(absl::StatusCode::kDataLoss, Cat(ipath, ": cannot read"));
    }
    out.reserve(rows.size());
    for (char* p : ptrs) out.emplace_back(p == nullptr ? "" : p);
    H5Dvlen_reclaim(mem.get(), mspace.get(), H5P_DEFAULT, ptrs.data());
  } else {
    const size_t width = H5Tget_size(ftype.get());
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), width);
    std::vector<char> buf(width * rows.size());
    if (H5Dread(d.get(), mem.get(), mspace.get(), fspace.get(), H5P_DEFAULT, buf.data()) < 0) {
      return h5::Error(absl::StatusCode::kDataLoss, Cat(ipath, ": cannot read"));
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      const char* s = buf.data() + i * width;
      out.emplace_back(s, strnlen(s, width));
    }
  }
  return out;
}

}  // namespace haystack::h5ad_internal
