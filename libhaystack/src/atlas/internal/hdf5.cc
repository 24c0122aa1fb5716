#include "internal/hdf5.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "haystack/core/error.h"
#include "haystack/core/text.h"
#include "internal/cat.h"

namespace haystack::h5 {

using atlas_internal::Cat;
namespace {

// What the current HDF5 error stack says. HDF5 walks it from the API call (the summary,
// "unable to create file") down to the function that failed; when that was a system call, the
// file driver's message carries its errno ("..., errno = 28, error message = 'No space left on
// device', ...").
struct Hdf5Failure {
  std::string summary;
  int system_errno = 0;
  std::string system_message;
};

herr_t CollectFailure(unsigned n, const H5E_error2_t* err, void* client_data) {
  auto* out = static_cast<Hdf5Failure*>(client_data);
  if (err->desc == nullptr) return 0;
  const std::string_view desc = err->desc;
  if (n == 0) out->summary = std::string(desc);
  if (out->system_errno != 0) return 0;
  if (const size_t at = desc.find("errno = "); at != std::string_view::npos) {
    out->system_errno = std::atoi(desc.data() + at + 8);
    constexpr std::string_view kMessage = "error message = '";
    if (const size_t m = desc.find(kMessage, at); m != std::string_view::npos) {
      const size_t begin = m + kMessage.size();
      out->system_message = std::string(desc.substr(begin, desc.find('\'', begin) - begin));
    }
  }
  return 0;
}

// HDF5's exit handler flushes and closes whatever files are still open. Every file here is
// closed explicitly; but one whose close failed (its flush hit a full disk) stays half-closed
// inside the library, and the handler crashes on it: the process would die with SIGSEGV instead
// of exiting with its code (75 for a full disk). So the handler is not installed. This must run
// before any other HDF5 call, hence a static initializer.
[[maybe_unused]] const bool kNoExitHandler = [] { return H5dont_atexit() >= 0; }();

Hdf5Failure CurrentFailure() {
  Hdf5Failure failure;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectFailure, &failure);
  H5Eclear2(H5E_DEFAULT);
  return failure;
}

ElementClass ClassOf(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return H5Tget_sign(type) == H5T_SGN_NONE ? ElementClass::kUnsigned : ElementClass::kInteger;
    case H5T_FLOAT:
      return ElementClass::kFloat;
    case H5T_ENUM:
      return ElementClass::kBool;  // h5py's only enum is bool; others are read as integers
    case H5T_STRING:
      return ElementClass::kString;
    default:
      return ElementClass::kOther;
  }
}

// Reads the values of an attribute or a dataset holding strings (vlen or fixed length).
absl::Status ReadStringValues(hid_t obj, bool is_attr, hid_t file_type, int64_t n,
                              std::string_view path, std::vector<std::string>* out) {
  out->clear();
  if (n == 0) return absl::OkStatus();
  const bool utf8 = H5Tget_cset(file_type) == H5T_CSET_UTF8;
  if (H5Tis_variable_str(file_type) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
    const herr_t rc = is_attr ? H5Aread(obj, mem.get(), ptrs.data())
                              : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data());
    if (rc < 0) return Error(absl::StatusCode::kDataLoss, Cat(path, ": reading strings"));
    out->reserve(ptrs.size());
    for (char* p : ptrs) out->emplace_back(p == nullptr ? "" : p);
    Handle space(
        H5Screate_simple(1, std::array<hsize_t, 1>{static_cast<hsize_t>(n)}.data(), nullptr));
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  } else {
    const size_t width = H5Tget_size(file_type);
    Handle mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem.get(), width);
    H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
    H5Tset_cset(mem.get(), utf8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    std::vector<char> buf(width * static_cast<size_t>(n));
    const herr_t rc = is_attr ? H5Aread(obj, mem.get(), buf.data())
                              : H5Dread(obj, mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
    if (rc < 0) return Error(absl::StatusCode::kDataLoss, Cat(path, ": reading strings"));
    out->reserve(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const char* s = buf.data() + static_cast<size_t>(i) * width;
      out->emplace_back(s, strnlen(s, width));
    }
  }
  for (size_t i = 0; i < out->size(); ++i) {
    if (!IsValidUtf8((*out)[i])) {
      return FormatError(
          Cat(path, "[", i, "]: string is not valid UTF-8: ", QuoteForMessage((*out)[i])));
    }
  }
  return absl::OkStatus();
}

int64_t SpaceElements(hid_t space, std::vector<int64_t>* dims_out, bool* scalar, bool* null) {
  const H5S_class_t cls = H5Sget_simple_extent_type(space);
  *scalar = cls == H5S_SCALAR;
  *null = cls == H5S_NULL;
  dims_out->clear();
  if (cls != H5S_SIMPLE) return *scalar ? 1 : 0;
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) return -1;
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  int64_t n = 1;
  for (hsize_t d : dims) {
    dims_out->push_back(static_cast<int64_t>(d));
    n *= static_cast<int64_t>(d);
  }
  return n;
}

Handle MakeCreationList(const std::vector<int64_t>& dims, size_t element_size, const Layout& layout,
                        bool allow_filters) {
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  const bool compress = allow_filters && layout.gzip_level > 0 && total > 0;
  const bool chunk = compress || (allow_filters && layout.chunk_bytes > 0 && total > 0);
  if (!chunk || dims.empty()) return dcpl;
  // Chunks hold whole rows (for 2-D) and about chunk_bytes, 1 MiB by default.
  const int64_t target = layout.chunk_bytes > 0 ? layout.chunk_bytes : int64_t{1} << 20;
  std::vector<hsize_t> chunk_dims(dims.size());
  int64_t row_elements = 1;
  for (size_t i = 1; i < dims.size(); ++i) {
    chunk_dims[i] = static_cast<hsize_t>(dims[i]);
    row_elements *= dims[i];
  }
  const int64_t row_bytes = std::max<int64_t>(1, row_elements * static_cast<int64_t>(element_size));
  chunk_dims[0] = static_cast<hsize_t>(std::clamp<int64_t>(target / row_bytes, 1, dims[0]));
  H5Pset_chunk(dcpl.get(), static_cast<int>(chunk_dims.size()), chunk_dims.data());
  if (compress) H5Pset_deflate(dcpl.get(), static_cast<unsigned>(layout.gzip_level));
  return dcpl;
}

}  // namespace

void Handle::Reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE:
      H5Fclose(id_);
      break;
    case H5I_GROUP:
      H5Gclose(id_);
      break;
    case H5I_DATASET:
      H5Dclose(id_);
      break;
    case H5I_DATASPACE:
      H5Sclose(id_);
      break;
    case H5I_DATATYPE:
      H5Tclose(id_);
      break;
    case H5I_ATTR:
      H5Aclose(id_);
      break;
    case H5I_GENPROP_LST:
      H5Pclose(id_);
      break;
    default:
      break;
  }
  id_ = H5I_INVALID_HID;
}

void SilenceErrorPrinting() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

absl::Status Error(absl::StatusCode code, std::string_view context) {
  const Hdf5Failure failure = CurrentFailure();
  // A full disk or quota is the machine's condition, not the caller's: whatever the caller
  // expected, it is retryable (exit 75), wherever in a write HDF5 met it — even at H5Fcreate,
  // which writes the superblock.
  if (failure.system_errno != 0 &&
      StatusCodeForErrno(failure.system_errno) == absl::StatusCode::kResourceExhausted) {
    code = absl::StatusCode::kResourceExhausted;
  }
  std::string detail = failure.summary;
  if (!failure.system_message.empty()) {
    detail = detail.empty() ? failure.system_message : Cat(detail, ": ", failure.system_message);
  }
  return MakeError(ErrorKind::kStorage, code,
                   detail.empty() ? std::string(context) : Cat(context, " (HDF5: ", detail, ")"));
}

absl::Status FormatError(std::string_view message) {
  return MakeError(ErrorKind::kStorage, absl::StatusCode::kInvalidArgument, message);
}

bool HasChild(hid_t loc, const std::string& name) {
  const htri_t exists = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

absl::StatusOr<ObjectKind> KindOf(hid_t loc, const std::string& name, std::string_view path) {
  H5O_info_t info;
  if (H5Oget_info_by_name(loc, name.c_str(), &info, H5P_DEFAULT) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot read object header"));
  }
  switch (info.type) {
    case H5O_TYPE_GROUP:
      return ObjectKind::kGroup;
    case H5O_TYPE_DATASET:
      return ObjectKind::kDataset;
    default:
      return ObjectKind::kOther;
  }
}

absl::StatusOr<Handle> OpenGroup(hid_t loc, const std::string& name, std::string_view path) {
  if (!HasChild(loc, name)) return FormatError(Cat(path, ": missing"));
  HAYSTACK_ASSIGN_OR_RETURN(ObjectKind kind, KindOf(loc, name, path));
  if (kind != ObjectKind::kGroup) return FormatError(Cat(path, ": expected a group"));
  Handle g(H5Gopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!g.valid()) return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot open group"));
  return g;
}

absl::StatusOr<Handle> OpenDataset(hid_t loc, const std::string& name, std::string_view path) {
  if (!HasChild(loc, name)) return FormatError(Cat(path, ": missing"));
  HAYSTACK_ASSIGN_OR_RETURN(ObjectKind kind, KindOf(loc, name, path));
  if (kind != ObjectKind::kDataset) return FormatError(Cat(path, ": expected a dataset"));
  Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot open dataset"));
  }
  return d;
}

absl::StatusOr<std::vector<std::string>> ListChildren(hid_t group, std::string_view path) {
  std::vector<std::string> names;
  auto collect = [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t idx = 0;
  if (H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, &names) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot list members"));
  }
  return names;
}

bool HasAttr(hid_t obj, const char* name) {
  const htri_t exists = H5Aexists(obj, name);
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

absl::StatusOr<std::optional<std::string>> ReadStringAttr(hid_t obj, const char* name,
                                                          std::string_view path) {
  if (!HasAttr(obj, name)) return std::optional<std::string>();
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> values, ReadStringArrayAttr(obj, name, path));
  if (values.size() != 1) {
    return FormatError(
        Cat(path, ": attribute '", name, "' should be one string, has ", values.size()));
  }
  return std::optional<std::string>(std::move(values[0]));
}

absl::StatusOr<std::vector<std::string>> ReadStringArrayAttr(hid_t obj, const char* name,
                                                             std::string_view path) {
  const std::string where = Cat(path, "@", name);
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT));
  if (!attr.valid()) return Error(absl::StatusCode::kDataLoss, Cat(where, ": cannot open"));
  Handle type(H5Aget_type(attr.get()));
  Handle space(H5Aget_space(attr.get()));
  std::vector<int64_t> dims;
  bool scalar = false, null = false;
  const int64_t n = SpaceElements(space.get(), &dims, &scalar, &null);
  if (n < 0 || dims.size() > 1)
    return FormatError(Cat(where, ": expected a string or a 1-D array"));
  std::vector<std::string> out;
  if (H5Tget_class(type.get()) != H5T_STRING) {
    if (n == 0) return out;  // anndata writes an empty float64 array for "no columns"
    return FormatError(Cat(where, ": expected strings"));
  }
  HAYSTACK_RETURN_IF_ERROR(ReadStringValues(attr.get(), true, type.get(), n, where, &out));
  return out;
}

absl::StatusOr<bool> ReadBoolAttr(hid_t obj, const char* name, std::string_view path) {
  const std::string where = Cat(path, "@", name);
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT));
  if (!attr.valid()) return Error(absl::StatusCode::kDataLoss, Cat(where, ": cannot open"));
  Handle type(H5Aget_type(attr.get()));
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_ENUM && cls != H5T_INTEGER) return FormatError(Cat(where, ": expected a boolean"));
  Handle space(H5Aget_space(attr.get()));
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    return FormatError(Cat(where, ": expected one boolean"));
  }
  Handle mem(H5Tget_native_type(type.get(), H5T_DIR_ASCEND));
  std::array<unsigned char, 16> buf{};
  if (H5Tget_size(mem.get()) > buf.size() || H5Aread(attr.get(), mem.get(), buf.data()) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(where, ": cannot read"));
  }
  return std::any_of(buf.begin(), buf.begin() + static_cast<long>(H5Tget_size(mem.get())),
                     [](unsigned char c) { return c != 0; });
}

absl::StatusOr<std::vector<int64_t>> ReadIntArrayAttr(hid_t obj, const char* name,
                                                      std::string_view path) {
  const std::string where = Cat(path, "@", name);
  if (!HasAttr(obj, name)) return FormatError(Cat(where, ": missing"));
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT));
  if (!attr.valid()) return Error(absl::StatusCode::kDataLoss, Cat(where, ": cannot open"));
  Handle type(H5Aget_type(attr.get()));
  if (H5Tget_class(type.get()) != H5T_INTEGER) {
    return FormatError(Cat(where, ": expected integers"));
  }
  Handle space(H5Aget_space(attr.get()));
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0 || n > 64) return FormatError(Cat(where, ": unexpected size"));
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (n > 0 && H5Aread(attr.get(), H5T_NATIVE_INT64, out.data()) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(where, ": cannot read"));
  }
  return out;
}

namespace {
absl::Status WriteAttr(hid_t obj, const char* name, hid_t type, hid_t space, const void* data) {
  if (HasAttr(obj, name)) H5Adelete(obj, name);
  Handle attr(H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid() || H5Awrite(attr.get(), type, data) < 0) {
    return Error(absl::StatusCode::kInternal, Cat("writing attribute '", name, "'"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::Status WriteStringAttr(hid_t obj, const char* name, std::string_view value) {
  Handle type = VlenUtf8Type();
  Handle space(H5Screate(H5S_SCALAR));
  const std::string copy(value);
  const char* ptr = copy.c_str();
  return WriteAttr(obj, name, type.get(), space.get(), &ptr);
}

absl::Status WriteStringArrayAttr(hid_t obj, const char* name,
                                  const std::vector<std::string>& values) {
  Handle type = VlenUtf8Type();
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr));
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  // HDF5 rejects a null buffer even for zero elements (no columns → empty column-order).
  const char* none = nullptr;
  return WriteAttr(obj, name, type.get(), space.get(), ptrs.empty() ? &none : ptrs.data());
}

absl::Status WriteBoolAttr(hid_t obj, const char* name, bool value) {
  Handle type = BoolEnumType();
  Handle space(H5Screate(H5S_SCALAR));
  const int8_t v = value ? 1 : 0;
  return WriteAttr(obj, name, type.get(), space.get(), &v);
}

absl::Status WriteInt64ArrayAttr(hid_t obj, const char* name, const std::vector<int64_t>& values) {
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr));
  Handle type(H5Tcopy(H5T_STD_I64LE));
  return WriteAttr(obj, name, type.get(), space.get(), values.data());
}

absl::Status SetEncoding(hid_t obj, std::string_view type, std::string_view version) {
  HAYSTACK_RETURN_IF_ERROR(WriteStringAttr(obj, "encoding-type", type));
  return WriteStringAttr(obj, "encoding-version", version);
}

absl::StatusOr<std::string> EncodingType(hid_t obj, std::string_view path) {
  HAYSTACK_ASSIGN_OR_RETURN(std::optional<std::string> value,
                            ReadStringAttr(obj, "encoding-type", path));
  return value.value_or("");
}

Handle VlenUtf8Type() {
  Handle type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  return type;
}

Handle BoolEnumType() {
  Handle type(H5Tenum_create(H5T_STD_I8LE));
  int8_t v = 0;
  H5Tenum_insert(type.get(), "FALSE", &v);
  v = 1;
  H5Tenum_insert(type.get(), "TRUE", &v);
  return type;
}

int64_t DatasetInfo::elements() const {
  if (scalar) return 1;
  if (null_space) return 0;
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

absl::StatusOr<DatasetInfo> Describe(hid_t dataset, std::string_view path) {
  Handle type(H5Dget_type(dataset));
  Handle space(H5Dget_space(dataset));
  if (!type.valid() || !space.valid()) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot read type or shape"));
  }
  DatasetInfo info;
  info.element = ClassOf(type.get());
  info.element_size = H5Tget_size(type.get());
  if (SpaceElements(space.get(), &info.dims, &info.scalar, &info.null_space) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot read shape"));
  }
  return info;
}

template <>
hid_t NativeType<float>() {
  return H5T_NATIVE_FLOAT;
}
template <>
hid_t NativeType<double>() {
  return H5T_NATIVE_DOUBLE;
}
template <>
hid_t NativeType<int8_t>() {
  return H5T_NATIVE_INT8;
}
template <>
hid_t NativeType<int16_t>() {
  return H5T_NATIVE_INT16;
}
template <>
hid_t NativeType<int32_t>() {
  return H5T_NATIVE_INT32;
}
template <>
hid_t NativeType<int64_t>() {
  return H5T_NATIVE_INT64;
}
template <>
hid_t NativeType<uint64_t>() {
  return H5T_NATIVE_UINT64;
}

template <class T>
absl::Status ReadAll(hid_t dataset, std::string_view path, std::vector<T>* out) {
  HAYSTACK_ASSIGN_OR_RETURN(DatasetInfo info, Describe(dataset, path));
  if (info.element != ElementClass::kInteger && info.element != ElementClass::kUnsigned &&
      info.element != ElementClass::kFloat && info.element != ElementClass::kBool) {
    return FormatError(Cat(path, ": expected numbers"));
  }
  out->assign(static_cast<size_t>(info.elements()), T{});
  if (out->empty()) return absl::OkStatus();
  hid_t mem = NativeType<T>();
  Handle enum_mem;
  if (info.element == ElementClass::kBool) {
    // Enum → integer conversion is not defined in HDF5; read the enum's integer values.
    Handle ftype(H5Dget_type(dataset));
    enum_mem = Handle(H5Tget_native_type(ftype.get(), H5T_DIR_ASCEND));
    if (H5Tget_size(enum_mem.get()) != 1) return FormatError(Cat(path, ": unsupported enum"));
    std::vector<int8_t> raw(out->size());
    if (H5Dread(dataset, enum_mem.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0) {
      return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot read"));
    }
    for (size_t i = 0; i < raw.size(); ++i) (*out)[i] = static_cast<T>(raw[i]);
    return absl::OkStatus();
  }
  if (H5Dread(dataset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, out->data()) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot read"));
  }
  return absl::OkStatus();
}
template absl::Status ReadAll<float>(hid_t, std::string_view, std::vector<float>*);
template absl::Status ReadAll<double>(hid_t, std::string_view, std::vector<double>*);
template absl::Status ReadAll<int8_t>(hid_t, std::string_view, std::vector<int8_t>*);
template absl::Status ReadAll<int32_t>(hid_t, std::string_view, std::vector<int32_t>*);
template absl::Status ReadAll<int64_t>(hid_t, std::string_view, std::vector<int64_t>*);
template absl::Status ReadAll<uint64_t>(hid_t, std::string_view, std::vector<uint64_t>*);

template <class T>
absl::Status ReadAllUnzeroed(hid_t dataset, std::string_view path, UnzeroedVector<T>* out) {
  HAYSTACK_ASSIGN_OR_RETURN(DatasetInfo info, Describe(dataset, path));
  if (info.element != ElementClass::kInteger && info.element != ElementClass::kUnsigned) {
    return FormatError(Cat(path, ": expected integers"));
  }
  out->resize(static_cast<size_t>(info.elements()));
  if (out->empty()) return absl::OkStatus();
  if (H5Dread(dataset, NativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out->data()) < 0) {
    return Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot read"));
  }
  return absl::OkStatus();
}
template absl::Status ReadAllUnzeroed<int8_t>(hid_t, std::string_view, UnzeroedVector<int8_t>*);
template absl::Status ReadAllUnzeroed<int16_t>(hid_t, std::string_view, UnzeroedVector<int16_t>*);
template absl::Status ReadAllUnzeroed<int64_t>(hid_t, std::string_view, UnzeroedVector<int64_t>*);

absl::Status ReadRange1d(hid_t dataset, hid_t mem_type, int64_t begin, int64_t count, void* out,
                         std::string_view path) {
  if (count == 0) return absl::OkStatus();
  Handle fspace(H5Dget_space(dataset));
  const hsize_t start = static_cast<hsize_t>(begin), n = static_cast<hsize_t>(count);
  Handle mspace(H5Screate_simple(1, &n, nullptr));
  if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &n, nullptr) < 0 ||
      H5Dread(dataset, mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, out) < 0) {
    return Error(absl::StatusCode::kDataLoss,
                 Cat(path, ": cannot read elements [", begin, ", ", begin + count, ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadBools(hid_t dataset, std::string_view path, std::vector<bool>* out) {
  std::vector<int8_t> raw;
  HAYSTACK_RETURN_IF_ERROR(ReadAll(dataset, path, &raw));
  out->assign(raw.size(), false);
  for (size_t i = 0; i < raw.size(); ++i) (*out)[i] = raw[i] != 0;
  return absl::OkStatus();
}

absl::Status ReadStrings(hid_t dataset, std::string_view path, std::vector<std::string>* out) {
  HAYSTACK_ASSIGN_OR_RETURN(DatasetInfo info, Describe(dataset, path));
  if (info.element != ElementClass::kString) return FormatError(Cat(path, ": expected strings"));
  Handle type(H5Dget_type(dataset));
  return ReadStringValues(dataset, false, type.get(), info.elements(), path, out);
}

absl::Status WriteDataset(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                          const std::vector<int64_t>& dims, const void* data, const Layout& layout,
                          std::string_view path) {
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Handle space(dims.empty()
                   ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr));
  Handle dcpl = MakeCreationList(dims, H5Tget_size(file_type), layout, !dims.empty());
  Handle dset(
      H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!dset.valid()) return Error(absl::StatusCode::kInternal, Cat(path, ": cannot create"));
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  if (total > 0 && H5Dwrite(dset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0) {
    return Error(absl::StatusCode::kUnavailable, Cat(path, ": cannot write"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> CreateAllocatedDataset(hid_t loc, const std::string& name, hid_t file_type,
                                                const std::vector<int64_t>& dims,
                                                std::string_view path) {
  std::vector<hsize_t> hdims(dims.begin(), dims.end());
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), nullptr));
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE));
  if (H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS) < 0 ||
      H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY) < 0 ||
      H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER) < 0) {
    return Error(absl::StatusCode::kInternal, Cat(path, ": cannot set the layout"));
  }
  Handle dset(
      H5Dcreate2(loc, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT));
  if (!dset.valid()) return Error(absl::StatusCode::kInternal, Cat(path, ": cannot create"));
  const haddr_t offset = H5Dget_offset(dset.get());
  if (offset == HADDR_UNDEF) {
    return Error(absl::StatusCode::kInternal, Cat(path, ": no file offset"));
  }
  return static_cast<uint64_t>(offset);
}

absl::Status WriteStrings(hid_t loc, const std::string& name,
                          const std::vector<std::string>& values, const Layout& layout,
                          std::string_view path) {
  Handle type = VlenUtf8Type();
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  HAYSTACK_RETURN_IF_ERROR(WriteDataset(loc, name, type.get(), type.get(),
                                        {static_cast<int64_t>(values.size())}, ptrs.data(), layout,
                                        path));
  Handle dset(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  return SetEncoding(dset.get(), "string-array", "0.2.0");
}

absl::Status WriteBools(hid_t loc, const std::string& name, const std::vector<bool>& values,
                        const Layout& layout, std::string_view path) {
  std::vector<int8_t> raw(values.size());
  for (size_t i = 0; i < values.size(); ++i) raw[i] = values[i] ? 1 : 0;
  Handle type = BoolEnumType();
  HAYSTACK_RETURN_IF_ERROR(WriteDataset(loc, name, type.get(), type.get(),
                                        {static_cast<int64_t>(raw.size())}, raw.data(), layout,
                                        path));
  Handle dset(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  return SetEncoding(dset.get(), "array", "0.2.0");
}

absl::Status WriteScalar(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                         const void* value, std::string_view path) {
  HAYSTACK_RETURN_IF_ERROR(WriteDataset(loc, name, mem_type, file_type, {}, value, {}, path));
  Handle dset(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  return SetEncoding(dset.get(), "numeric-scalar", "0.2.0");
}

absl::Status WriteStringScalar(hid_t loc, const std::string& name, std::string_view value,
                               std::string_view path) {
  Handle type = VlenUtf8Type();
  const std::string copy(value);
  const char* ptr = copy.c_str();
  HAYSTACK_RETURN_IF_ERROR(WriteDataset(loc, name, type.get(), type.get(), {}, &ptr, {}, path));
  Handle dset(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  return SetEncoding(dset.get(), "string", "0.2.0");
}

absl::StatusOr<Handle> CreateGroup(hid_t loc, const std::string& name, std::string_view path) {
  Handle g(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!g.valid()) return Error(absl::StatusCode::kInternal, Cat(path, ": cannot create group"));
  return g;
}

}  // namespace haystack::h5
