// Thin RAII and typed helpers over the HDF5 C API, shared by the .h5ad reader, writer and the
// atlas. Every helper returns absl::Status with kind kStorage and names the HDF5 path.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_HDF5_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_HDF5_H_

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace haystack::h5 {

// Owns one HDF5 identifier of any kind (file, group, dataset, dataspace, datatype, attribute,
// property list) and closes it with the matching H5?close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { Reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_) { other.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = other.id_;
      other.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void Reset();
  // Gives up ownership (e.g. to close a file with a checked H5Fclose).
  hid_t Release() {
    const hid_t id = id_;
    id_ = H5I_INVALID_HID;
    return id;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

// Turns off HDF5's printing of error stacks to stderr for this thread; errors are reported
// through absl::Status instead.
void SilenceErrorPrinting();

// A kStorage error "<context> (HDF5: <what failed>[: <the system's message>])", code `code` —
// except that a full disk or quota (ENOSPC, EDQUOT under HDF5) is always kResourceExhausted.
absl::Status Error(absl::StatusCode code, std::string_view context);
// A kStorage / kInvalidArgument error about the content of a file.
absl::Status FormatError(std::string_view message);

// ---- Navigation -----------------------------------------------------------------------

bool HasChild(hid_t loc, const std::string& name);
enum class ObjectKind { kGroup, kDataset, kOther };
absl::StatusOr<ObjectKind> KindOf(hid_t loc, const std::string& name, std::string_view path);
absl::StatusOr<Handle> OpenGroup(hid_t loc, const std::string& name, std::string_view path);
absl::StatusOr<Handle> OpenDataset(hid_t loc, const std::string& name, std::string_view path);
// Names of the children of a group, in name order.
absl::StatusOr<std::vector<std::string>> ListChildren(hid_t group, std::string_view path);

// ---- Attributes -------------------------------------------------------------------------

bool HasAttr(hid_t obj, const char* name);
// A string attribute (vlen or fixed length, scalar or one element); nullopt when absent.
absl::StatusOr<std::optional<std::string>> ReadStringAttr(hid_t obj, const char* name,
                                                          std::string_view path);
// An array of strings; an empty numeric array (what anndata writes for no columns) is empty.
absl::StatusOr<std::vector<std::string>> ReadStringArrayAttr(hid_t obj, const char* name,
                                                             std::string_view path);
absl::StatusOr<bool> ReadBoolAttr(hid_t obj, const char* name, std::string_view path);
absl::StatusOr<std::vector<int64_t>> ReadIntArrayAttr(hid_t obj, const char* name,
                                                      std::string_view path);

absl::Status WriteStringAttr(hid_t obj, const char* name, std::string_view value);
absl::Status WriteStringArrayAttr(hid_t obj, const char* name,
                                  const std::vector<std::string>& values);
absl::Status WriteBoolAttr(hid_t obj, const char* name, bool value);
absl::Status WriteInt64ArrayAttr(hid_t obj, const char* name, const std::vector<int64_t>& values);
// encoding-type and encoding-version.
absl::Status SetEncoding(hid_t obj, std::string_view type, std::string_view version);
// The encoding-type attribute, "" when absent.
absl::StatusOr<std::string> EncodingType(hid_t obj, std::string_view path);

// ---- Types ------------------------------------------------------------------------------

Handle VlenUtf8Type();
Handle BoolEnumType();  // h5py's bool: enum of int8 {FALSE = 0, TRUE = 1}

enum class ElementClass { kInteger, kUnsigned, kFloat, kBool, kString, kOther };
struct DatasetInfo {
  ElementClass element = ElementClass::kOther;
  size_t element_size = 0;
  std::vector<int64_t> dims;  // empty for a scalar
  bool scalar = false;
  bool null_space = false;  // H5S_NULL (h5py.Empty)
  int64_t elements() const;
};
absl::StatusOr<DatasetInfo> Describe(hid_t dataset, std::string_view path);

// ---- Dataset I/O ------------------------------------------------------------------------

// Native memory types for the element types we read and write.
template <class T>
hid_t NativeType();

// Reads a whole dataset converting to T (numeric) with HDF5's conversion.
template <class T>
absl::Status ReadAll(hid_t dataset, std::string_view path, std::vector<T>* out);

// An allocator that leaves elements default-initialised (for numbers: not zeroed). A vector that
// a read fills at once need not be zeroed first: on a fresh process zeroing is a pass over memory
// that only the page faults needed.
template <class T>
struct NoZeroAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = NoZeroAllocator<U>;
  };
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
      ::new (static_cast<void*>(p)) U;
    } else {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  }
};
template <class T>
using UnzeroedVector = std::vector<T, NoZeroAllocator<T>>;

// Reads a whole integer dataset as T (int8_t, int16_t or int64_t; converted by HDF5 when stored
// otherwise), without zeroing `out` first.
template <class T>
absl::Status ReadAllUnzeroed(hid_t dataset, std::string_view path, UnzeroedVector<T>* out);
// Reads elements [begin, begin + count) of a 1-D dataset into `out` (which has room).
absl::Status ReadRange1d(hid_t dataset, hid_t mem_type, int64_t begin, int64_t count, void* out,
                         std::string_view path);
absl::Status ReadBools(hid_t dataset, std::string_view path, std::vector<bool>* out);
absl::Status ReadStrings(hid_t dataset, std::string_view path, std::vector<std::string>* out);

struct Layout {
  int gzip_level = 0;
  int64_t chunk_bytes = 0;  // 0 = contiguous when not compressed, else ~1 MiB
};

// Creates and writes a dataset of `dims` from `data` (mem_type elements stored as file_type).
absl::Status WriteDataset(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                          const std::vector<int64_t>& dims, const void* data, const Layout& layout,
                          std::string_view path);
// Creates a contiguous dataset of `dims` whose file space is allocated now (and never
// filled), and returns its byte offset in the file, for the caller to write its bytes itself
// (pwrite) as HDF5 would: the file is then indistinguishable from an H5Dwrite one.
absl::StatusOr<uint64_t> CreateAllocatedDataset(hid_t loc, const std::string& name, hid_t file_type,
                                                const std::vector<int64_t>& dims,
                                                std::string_view path);
absl::Status WriteStrings(hid_t loc, const std::string& name,
                          const std::vector<std::string>& values, const Layout& layout,
                          std::string_view path);
absl::Status WriteBools(hid_t loc, const std::string& name, const std::vector<bool>& values,
                        const Layout& layout, std::string_view path);
absl::Status WriteScalar(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                         const void* value, std::string_view path);
absl::Status WriteStringScalar(hid_t loc, const std::string& name, std::string_view value,
                               std::string_view path);
absl::StatusOr<Handle> CreateGroup(hid_t loc, const std::string& name, std::string_view path);

}  // namespace haystack::h5

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_HDF5_H_
