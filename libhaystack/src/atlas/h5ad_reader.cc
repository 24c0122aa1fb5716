// ReadH5ad: .h5ad → AnnData, for files written by anndata 0.8 through 0.13 and by WriteH5ad.
#include <algorithm>
#include <filesystem>
#include <limits>
#include <numeric>
#include <set>

#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "internal/cat.h"
#include "internal/h5ad_elements.h"
#include "internal/hdf5.h"

namespace haystack {

using atlas_internal::Cat;
namespace {

using h5::Handle;

absl::StatusOr<NumericArray> ReadNumericArray(hid_t d, const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d, path));
  NumericArray a;
  a.shape = info.dims;
  if (info.element == h5::ElementClass::kFloat) {
    if (info.element_size <= 4) {
      std::vector<float> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
      a.data = std::move(v);
    } else {
      std::vector<double> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
      a.data = std::move(v);
    }
  } else if (info.element == h5::ElementClass::kInteger ||
             info.element == h5::ElementClass::kUnsigned ||
             info.element == h5::ElementClass::kBool) {
    if (info.element == h5::ElementClass::kInteger && info.element_size == 4) {
      std::vector<int32_t> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
      a.data = std::move(v);
    } else {
      std::vector<int64_t> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d, path, &v));
      a.data = std::move(v);
    }
  } else {
    return h5::FormatError(Cat(path, ": expected a numeric array"));
  }
  return a;
}

absl::StatusOr<UnsValue> ReadUnsDataset(hid_t loc, const std::string& name,
                                        const std::string& path) {
  HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(loc, name, path));
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(d.get(), path));
  HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), path));
  if (et == "null" || info.null_space) return UnsValue();
  if (info.element == h5::ElementClass::kString) {
    std::vector<std::string> v;
    HAYSTACK_RETURN_IF_ERROR(h5::ReadStrings(d.get(), path, &v));
    if (info.scalar) return UnsValue(std::move(v.at(0)));
    if (info.dims.size() != 1)
      return h5::FormatError(Cat(path, ": N-d string arrays are not supported"));
    return UnsValue(std::move(v));
  }
  if (info.element == h5::ElementClass::kBool) {
    std::vector<bool> v;
    HAYSTACK_RETURN_IF_ERROR(h5::ReadBools(d.get(), path, &v));
    if (info.scalar) return UnsValue(static_cast<bool>(v.at(0)));
    if (info.dims.size() == 1) return UnsValue(std::move(v));
  }
  if (info.element == h5::ElementClass::kInteger || info.element == h5::ElementClass::kUnsigned) {
    if (info.scalar || info.dims.size() == 1) {
      std::vector<int64_t> v;
      HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), path, &v));
      if (info.scalar) return UnsValue(v.at(0));
      return UnsValue(std::move(v));
    }
  }
  if (info.element == h5::ElementClass::kFloat && (info.scalar || info.dims.size() == 1)) {
    std::vector<double> v;
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAll(d.get(), path, &v));
    if (info.scalar) return UnsValue(v.at(0));
    return UnsValue(std::move(v));
  }
  if (info.element == h5::ElementClass::kOther) {
    return h5::FormatError(Cat(path, ": unsupported element type"));
  }
  HAYSTACK_ASSIGN_OR_RETURN(NumericArray a, ReadNumericArray(d.get(), path));
  return UnsValue(std::move(a));
}

// uns nests dicts in groups; a hostile file can nest them without end, make a group a member
// of itself with a hard link (a cycle), or link one group under two names at every level (2^n
// paths through n groups). Reading is recursive, so the nesting is bounded like every JSON
// document's (core/json.h), and every group is read once: a group met again is refused.
constexpr int kMaxUnsDepth = kMaxJsonDepth;

struct UnsWalk {
  int depth = 1;
  std::set<haddr_t>* seen;  // object addresses of the dict groups read so far
};

absl::StatusOr<std::optional<UnsValue>> ReadUns(hid_t loc, const std::string& name,
                                                const std::string& path, UnsWalk walk);

absl::StatusOr<UnsValue::Dict> ReadDictGroup(hid_t g, const std::string& path, UnsWalk walk) {
  if (walk.depth > kMaxUnsDepth) {
    return h5::FormatError(
        Cat(path, ": uns is nested deeper than ", std::to_string(kMaxUnsDepth), " levels"));
  }
  H5O_info_t info;
  if (H5Oget_info(g, &info) < 0) {
    return h5::FormatError(Cat(path, ": cannot read the group's object header"));
  }
  if (!walk.seen->insert(info.addr).second) {
    return h5::FormatError(Cat(path,
                               ": this uns group is linked more than once (a group that "
                               "contains itself, or one group under two names)"));
  }
  UnsValue::Dict dict;
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> children, h5::ListChildren(g, path));
  for (const auto& child : children) {
    HAYSTACK_ASSIGN_OR_RETURN(
        std::optional<UnsValue> v,
        ReadUns(g, child, Cat(path, "/", child), UnsWalk{walk.depth + 1, walk.seen}));
    if (v) dict.emplace(child, std::move(*v));
  }
  return dict;
}

// One uns element; nullopt for encodings HAYSTACK does not model (sparse matrices, awkward
// arrays, categoricals outside a dataframe), which are skipped.
absl::StatusOr<std::optional<UnsValue>> ReadUns(hid_t loc, const std::string& name,
                                                const std::string& path, UnsWalk walk) {
  HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(loc, name, path));
  if (kind == h5::ObjectKind::kDataset) {
    HAYSTACK_ASSIGN_OR_RETURN(UnsValue v, ReadUnsDataset(loc, name, path));
    return std::optional<UnsValue>(std::move(v));
  }
  if (kind != h5::ObjectKind::kGroup) return std::optional<UnsValue>();
  HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::OpenGroup(loc, name, path));
  HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(g.get(), path));
  if (et == "dataframe") {
    HAYSTACK_ASSIGN_OR_RETURN(DataFrame df, h5ad_internal::ReadDataFrame(loc, name, path));
    return std::optional<UnsValue>(UnsValue(std::move(df)));
  }
  if (et != "dict" && !et.empty()) return std::optional<UnsValue>();
  HAYSTACK_ASSIGN_OR_RETURN(UnsValue::Dict dict, ReadDictGroup(g.get(), path, walk));
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> marker,
                            h5::ReadStringAttr(g.get(), "haystack-type", path));
  if (marker && *marker == "list") {
    UnsValue::List list(dict.size());
    for (auto& [key, value] : dict) {
      size_t pos = 0;
      const bool numeric =
          !key.empty() && std::all_of(key.begin(), key.end(), ::isdigit) && key.size() < 10;
      if (numeric) pos = std::stoul(key);
      if (!numeric || pos >= list.size()) {
        return h5::FormatError(
            Cat(path, ": list member '", key, "' is not a position 0..", list.size() - 1));
      }
      list[pos] = std::move(value);
    }
    return std::optional<UnsValue>(UnsValue(std::move(list)));
  }
  return std::optional<UnsValue>(UnsValue(std::move(dict)));
}

absl::Status ReadArrays(hid_t file, const char* group, int64_t rows, std::string_view of,
                        std::map<std::string, NumericArray, std::less<>>* out) {
  if (!h5::HasChild(file, group)) return absl::OkStatus();
  const std::string gpath = Cat("/", group);
  HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::OpenGroup(file, group, gpath));
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> children, h5::ListChildren(g.get(), gpath));
  for (const auto& child : children) {
    const std::string path = Cat(gpath, "/", child);
    HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(g.get(), child, path));
    if (kind != h5::ObjectKind::kDataset) continue;  // sparse or dataframe entries: skipped
    HAYSTACK_ASSIGN_OR_RETURN(Handle d, h5::OpenDataset(g.get(), child, path));
    HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(d.get(), path));
    if (info.element == h5::ElementClass::kString || info.dims.empty()) continue;
    HAYSTACK_ASSIGN_OR_RETURN(NumericArray a, ReadNumericArray(d.get(), path));
    if (a.shape[0] != rows) {
      return h5::FormatError(Cat(path, ": ", a.shape[0], " rows, expected ", rows, " (", of, ")"));
    }
    out->emplace(child, std::move(a));
  }
  return absl::OkStatus();
}

absl::StatusOr<AnnData> ReadFile(hid_t file, const H5adReadOptions& options) {
  HAYSTACK_RETURN_IF_ERROR(h5ad_internal::CheckRootEncoding(file));
  AnnData data;
  HAYSTACK_ASSIGN_OR_RETURN(data.obs, h5ad_internal::ReadDataFrame(file, "obs", "/obs"));
  HAYSTACK_ASSIGN_OR_RETURN(data.var, h5ad_internal::ReadDataFrame(file, "var", "/var"));
  const std::array<int64_t, 2> shape = {data.n_obs(), data.n_vars()};
  if (options.read_x && h5::HasChild(file, "X")) {
    HAYSTACK_ASSIGN_OR_RETURN(ExpressionMatrix x,
                              h5ad_internal::ReadMatrix(file, "X", "/X", shape));
    data.x = std::move(x);
  }
  if (options.read_layers && h5::HasChild(file, "layers")) {
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::OpenGroup(file, "layers", "/layers"));
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> children,
                              h5::ListChildren(g.get(), "/layers"));
    for (const auto& child : children) {
      HAYSTACK_ASSIGN_OR_RETURN(
          ExpressionMatrix m,
          h5ad_internal::ReadMatrix(g.get(), child, Cat("/layers/", child), shape));
      data.layers.emplace(child, std::move(m));
    }
  }
  if (options.read_obsm) {
    HAYSTACK_RETURN_IF_ERROR(ReadArrays(file, "obsm", data.n_obs(), "n_obs", &data.obsm));
    HAYSTACK_RETURN_IF_ERROR(ReadArrays(file, "varm", data.n_vars(), "n_vars", &data.varm));
  }
  if (options.read_uns && h5::HasChild(file, "uns")) {
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::OpenGroup(file, "uns", "/uns"));
    std::set<haddr_t> seen;
    HAYSTACK_ASSIGN_OR_RETURN(data.uns, ReadDictGroup(g.get(), "/uns", UnsWalk{1, &seen}));
  }
  // Whatever the file held, what is returned is a valid AnnData (the writer's own rules), so
  // that no caller meets duplicate categories or inconsistent shapes (found by tests/fuzz).
  HAYSTACK_RETURN_IF_ERROR(data.Validate());
  return data;
}

}  // namespace

absl::StatusOr<AnnData> ReadH5ad(const std::string& path, const H5adReadOptions& options) {
  HAYSTACK_ASSIGN_OR_RETURN(h5::Handle file, h5ad_internal::OpenH5ad(path));
  absl::StatusOr<AnnData> result = ReadFile(file.get(), options);
  if (!result.ok()) return Annotate(result.status(), path);
  return result;
}

}  // namespace haystack
