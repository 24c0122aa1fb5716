#include "internal/h5ad_file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>

#include "haystack/core/error.h"
#include "internal/cat.h"
#include "internal/hdf5.h"

namespace haystack::h5ad_internal {

using atlas_internal::Cat;
using h5::Handle;

namespace {

// With H5adWriteOptions::sync, contiguous unfiltered datasets of this size or more are written
// by DurableWrites; everything else, and everything without sync, goes through H5Dwrite.
constexpr size_t kDurableWriteMinBytes = size_t{4} << 20;
// Small pieces: a buffered pwrite holds the file's inode lock for its whole length, so HDF5's
// own small writes on the calling thread wait for at most one piece, and the disk receives a
// steady stream of writeback. Measured on the 50k × 5k write (docs/atlas.md): 2 MiB beat
// 1, 4, 8 and 16 MiB.
constexpr size_t kDurableWritePieceBytes = size_t{2} << 20;

// Whether CSR (4-byte values and indices, int64 indptr) takes fewer bytes than `m`'s values.
bool SparseIsSmaller(const DenseMatrix& m) {
  const auto non_zeros = static_cast<int64_t>(
      std::count_if(m.values.begin(), m.values.end(), [](float v) { return v != 0.f; }));
  return non_zeros * 8 + (m.rows + 1) * 8 < m.rows * m.cols * 4;
}

}  // namespace

absl::Status DurableWrites::Start(uint64_t offset, const void* data, size_t bytes) {
  if (fd_ < 0) {
    fd_ = open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) {
      return SystemCallError(ErrorKind::kStorage, errno, Cat("opening ", path_));
    }
  }
  threads_.emplace_back([this, offset, data, bytes] {
    const char* p = static_cast<const char*>(data);
    for (size_t done = 0; done < bytes;) {
      const size_t piece = std::min(bytes - done, kDurableWritePieceBytes);
      const ssize_t n = pwrite(fd_, p + done, piece, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::lock_guard<std::mutex> lock(mu_);
        if (error_.ok()) {
          error_ = n < 0 ? SystemCallError(ErrorKind::kStorage, errno, Cat("writing ", path_))
                         : MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                                     Cat("writing ", path_, ": short write"));
        }
        return;
      }
      // Asynchronous; a failed writeback is not lost: the final fsync reports it.
      (void)sync_file_range(fd_, static_cast<off_t>(offset + done), n, SYNC_FILE_RANGE_WRITE);
      done += static_cast<size_t>(n);
    }
  });
  return absl::OkStatus();
}

absl::Status DurableWrites::Finish() {
  for (auto& t : threads_) t.join();
  threads_.clear();
  retained_.clear();
  if (fd_ >= 0 && close(fd_) < 0 && error_.ok()) {
    error_ = SystemCallError(ErrorKind::kStorage, errno, Cat("writing ", path_));
  }
  fd_ = -1;
  return error_;
}

namespace {

// The csr_matrix group of a rows × cols matrix, its children still to write.
absl::StatusOr<Handle> CreateCsrGroup(hid_t loc, const std::string& name, const std::string& path,
                                      int64_t rows, int64_t cols) {
  HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(loc, name, path));
  HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "csr_matrix", "0.1.0"));
  HAYSTACK_RETURN_IF_ERROR(h5::WriteInt64ArrayAttr(g.get(), "shape", {rows, cols}));
  return g;
}

// indptr as int32 like scipy when it fits (smaller, and what anndata 0.8 writes), else int64.
absl::Status WriteIndptr(hid_t group, const std::string& path, std::span<const int64_t> indptr,
                         const H5adWriteOptions& options, const h5::Layout& layout) {
  const int64_t nnz = indptr.empty() ? 0 : indptr.back();
  const bool wide = options.force_int64_indptr || nnz > std::numeric_limits<int32_t>::max();
  return h5::WriteDataset(group, "indptr", H5T_NATIVE_INT64, wide ? H5T_STD_I64LE : H5T_STD_I32LE,
                          {static_cast<int64_t>(indptr.size())}, indptr.data(), layout,
                          Cat(path, "/indptr"));
}

class Writer {
 public:
  Writer(const H5adWriteOptions& options, DurableWrites* durable)
      : options_(options), layout_{options.gzip_level, options.chunk_bytes}, durable_(durable) {}

  absl::Status Write(const AnnData& data, hid_t file) {
    HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(file, "anndata", "0.1.0"));
    if (data.x) HAYSTACK_RETURN_IF_ERROR(WriteMatrix(file, "X", "/X", *data.x));
    HAYSTACK_RETURN_IF_ERROR(WriteDataFrame(file, "obs", "/obs", data.obs));
    HAYSTACK_RETURN_IF_ERROR(WriteDataFrame(file, "var", "/var", data.var));
    HAYSTACK_RETURN_IF_ERROR(WriteArrays(file, "obsm", data.obsm));
    HAYSTACK_RETURN_IF_ERROR(WriteArrays(file, "varm", data.varm));
    for (const char* empty : {"obsp", "varp"}) {
      HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(file, empty, Cat("/", empty)));
      HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "dict", "0.1.0"));
    }
    {
      HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(file, "layers", "/layers"));
      HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "dict", "0.1.0"));
      for (const auto& [name, m] : data.layers) {
        HAYSTACK_RETURN_IF_ERROR(WriteMatrix(g.get(), name, Cat("/layers/", name), m));
      }
    }
    HAYSTACK_ASSIGN_OR_RETURN(Handle uns, h5::CreateGroup(file, "uns", "/uns"));
    return WriteDict(uns.get(), "/uns", data.uns);
  }

 private:
  // Writes a dataset whose memory and file types are the same little-endian 4-byte type:
  // large, contiguous and unfiltered ones through DurableWrites when there is one (sync), the
  // rest through H5Dwrite.
  absl::Status WriteLarge(hid_t loc, const std::string& name, hid_t mem_type, hid_t file_type,
                          const std::vector<int64_t>& dims, const void* data,
                          const std::string& path) {
    int64_t total = 1;
    for (int64_t d : dims) total *= d;
    const size_t bytes = static_cast<size_t>(total) * 4;
    const bool durable = durable_ != nullptr && std::endian::native == std::endian::little &&
                         options_.gzip_level == 0 && options_.chunk_bytes == 0 &&
                         bytes >= kDurableWriteMinBytes;
    if (!durable) {
      return h5::WriteDataset(loc, name, mem_type, file_type, dims, data, layout_, path);
    }
    HAYSTACK_ASSIGN_OR_RETURN(uint64_t offset,
                              h5::CreateAllocatedDataset(loc, name, file_type, dims, path));
    return durable_->Start(offset, data, bytes);
  }

  absl::Status WriteMatrix(hid_t loc, const std::string& name, const std::string& path,
                           const ExpressionMatrix& m) {
    if (const auto* dense = std::get_if<DenseMatrix>(&m)) {
      if (options_.sparse_when_smaller && SparseIsSmaller(*dense)) {
        auto csr = std::make_shared<const ExpressionMatrix>(ToCsr(*dense));
        if (durable_ != nullptr) durable_->Retain(csr);  // its threads may still read it
        return WriteMatrix(loc, name, path, *csr);
      }
      HAYSTACK_RETURN_IF_ERROR(WriteLarge(loc, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE,
                                          {dense->rows, dense->cols}, dense->values.data(), path));
      Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
      return h5::SetEncoding(d.get(), "array", "0.2.0");
    }
    const auto& csr = std::get<CsrMatrix>(m);
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, CreateCsrGroup(loc, name, path, csr.rows, csr.cols));
    const int64_t nnz = csr.nnz();
    // Sparse children carry no encoding attributes, as in anndata.
    HAYSTACK_RETURN_IF_ERROR(WriteLarge(g.get(), "data", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, {nnz},
                                        csr.data.data(), Cat(path, "/data")));
    HAYSTACK_RETURN_IF_ERROR(WriteLarge(g.get(), "indices", H5T_NATIVE_INT32, H5T_STD_I32LE, {nnz},
                                        csr.indices.data(), Cat(path, "/indices")));
    return WriteIndptr(g.get(), path, csr.indptr, options_, layout_);
  }

  absl::Status WriteNumericArray(hid_t loc, const std::string& name, const std::string& path,
                                 const NumericArray& a) {
    absl::Status st = std::visit(
        [&](const auto& v) -> absl::Status {
          using T = typename std::decay_t<decltype(v)>::value_type;
          hid_t file_type = H5T_IEEE_F64LE;
          if constexpr (std::is_same_v<T, float>) file_type = H5T_IEEE_F32LE;
          if constexpr (std::is_same_v<T, int32_t>) file_type = H5T_STD_I32LE;
          if constexpr (std::is_same_v<T, int64_t>) file_type = H5T_STD_I64LE;
          return h5::WriteDataset(loc, name, h5::NativeType<T>(), file_type, a.shape, v.data(),
                                  layout_, path);
        },
        a.data);
    HAYSTACK_RETURN_IF_ERROR(st);
    Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
    return h5::SetEncoding(d.get(), "array", "0.2.0");
  }

  absl::Status WriteArrays(hid_t file, const char* group,
                           const std::map<std::string, NumericArray, std::less<>>& arrays) {
    const std::string gpath = Cat("/", group);
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(file, group, gpath));
    HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "dict", "0.1.0"));
    for (const auto& [name, a] : arrays) {
      HAYSTACK_RETURN_IF_ERROR(WriteNumericArray(g.get(), name, Cat(gpath, "/", name), a));
    }
    return absl::OkStatus();
  }

  template <class T>
  absl::Status WriteNumeric1d(hid_t loc, const std::string& name, const std::string& path,
                              const std::vector<T>& v, hid_t file_type) {
    HAYSTACK_RETURN_IF_ERROR(h5::WriteDataset(loc, name, h5::NativeType<T>(), file_type,
                                              {static_cast<int64_t>(v.size())}, v.data(), layout_,
                                              path));
    Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
    return h5::SetEncoding(d.get(), "array", "0.2.0");
  }

  absl::Status WriteMask(hid_t g, const std::string& path, const std::vector<bool>& mask) {
    return h5::WriteBools(g, "mask", mask, layout_, Cat(path, "/mask"));
  }

  absl::Status WriteColumn(hid_t loc, const std::string& path, const DataFrameColumn& c) {
    const std::string& name = c.name;
    if (c.mask) {
      // Nullable: values and mask in a group.
      HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(loc, name, path));
      const std::string vpath = Cat(path, "/values");
      if (const auto* s = std::get_if<std::vector<std::string>>(&c.values)) {
        HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "nullable-string-array", "0.1.0"));
        HAYSTACK_RETURN_IF_ERROR(h5::WriteStringAttr(g.get(), "na-value", "NA"));
        HAYSTACK_RETURN_IF_ERROR(h5::WriteStrings(g.get(), "values", *s, layout_, vpath));
      } else if (const auto* b = std::get_if<std::vector<bool>>(&c.values)) {
        HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "nullable-boolean", "0.1.0"));
        HAYSTACK_RETURN_IF_ERROR(h5::WriteBools(g.get(), "values", *b, layout_, vpath));
      } else if (const auto* i64 = std::get_if<std::vector<int64_t>>(&c.values)) {
        HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "nullable-integer", "0.1.0"));
        HAYSTACK_RETURN_IF_ERROR(WriteNumeric1d(g.get(), "values", vpath, *i64, H5T_STD_I64LE));
      } else if (const auto* i32 = std::get_if<std::vector<int32_t>>(&c.values)) {
        HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "nullable-integer", "0.1.0"));
        HAYSTACK_RETURN_IF_ERROR(WriteNumeric1d(g.get(), "values", vpath, *i32, H5T_STD_I32LE));
      } else {
        return h5::FormatError(Cat(path, ": this column type cannot be nullable"));
      }
      return WriteMask(g.get(), path, *c.mask);
    }
    return std::visit(
        [&](const auto& v) -> absl::Status {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::vector<double>>) {
            return WriteNumeric1d(loc, name, path, v, H5T_IEEE_F64LE);
          } else if constexpr (std::is_same_v<V, std::vector<float>>) {
            return WriteNumeric1d(loc, name, path, v, H5T_IEEE_F32LE);
          } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
            return WriteNumeric1d(loc, name, path, v, H5T_STD_I64LE);
          } else if constexpr (std::is_same_v<V, std::vector<int32_t>>) {
            return WriteNumeric1d(loc, name, path, v, H5T_STD_I32LE);
          } else if constexpr (std::is_same_v<V, std::vector<bool>>) {
            return h5::WriteBools(loc, name, v, layout_, path);
          } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            return h5::WriteStrings(loc, name, v, layout_, path);
          } else {
            return WriteCategorical(loc, name, path, v);
          }
        },
        c.values);
  }

  absl::Status WriteCategorical(hid_t loc, const std::string& name, const std::string& path,
                                const Categorical& cat) {
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(loc, name, path));
    HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "categorical", "0.2.0"));
    HAYSTACK_RETURN_IF_ERROR(h5::WriteBoolAttr(g.get(), "ordered", cat.ordered));
    HAYSTACK_RETURN_IF_ERROR(
        h5::WriteStrings(g.get(), "categories", cat.categories, layout_, path + "/categories"));
    // Codes in the smallest signed width, as pandas does (int8 below 128 categories).
    const size_t n = cat.categories.size();
    const hid_t file_type = n < 128 ? H5T_STD_I8LE : n < 32768 ? H5T_STD_I16LE : H5T_STD_I32LE;
    HAYSTACK_RETURN_IF_ERROR(h5::WriteDataset(g.get(), "codes", H5T_NATIVE_INT32, file_type,
                                              {static_cast<int64_t>(cat.codes.size())},
                                              cat.codes.data(), layout_, path + "/codes"));
    Handle d(H5Dopen2(g.get(), "codes", H5P_DEFAULT));
    return h5::SetEncoding(d.get(), "array", "0.2.0");
  }

  absl::Status WriteDataFrame(hid_t loc, const std::string& name, const std::string& path,
                              const DataFrame& df) {
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(loc, name, path));
    HAYSTACK_RETURN_IF_ERROR(h5::WriteStringAttr(g.get(), "_index", df.index_name));
    std::vector<std::string> order;
    order.reserve(df.columns.size());
    for (const auto& c : df.columns) order.push_back(c.name);
    HAYSTACK_RETURN_IF_ERROR(h5::WriteStringArrayAttr(g.get(), "column-order", order));
    HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "dataframe", "0.2.0"));
    HAYSTACK_RETURN_IF_ERROR(
        h5::WriteStrings(g.get(), df.index_name, df.index, layout_, Cat(path, "/", df.index_name)));
    for (const auto& c : df.columns) {
      HAYSTACK_RETURN_IF_ERROR(WriteColumn(g.get(), Cat(path, "/", c.name), c));
    }
    return absl::OkStatus();
  }

  absl::Status WriteDict(hid_t g, const std::string& path, const UnsValue::Dict& dict) {
    HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g, "dict", "0.1.0"));
    for (const auto& [key, value] : dict) {
      HAYSTACK_RETURN_IF_ERROR(WriteUns(g, key, Cat(path, "/", key), value));
    }
    return absl::OkStatus();
  }

  absl::Status WriteUns(hid_t loc, const std::string& name, const std::string& path,
                        const UnsValue& value) {
    return std::visit(
        [&](const auto& v) -> absl::Status {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::monostate>) {
            return absl::OkStatus();  // like anndata 0.8, None is not written
          } else if constexpr (std::is_same_v<V, bool>) {
            const int8_t b = v ? 1 : 0;
            Handle t = h5::BoolEnumType();
            return h5::WriteScalar(loc, name, t.get(), t.get(), &b, path);
          } else if constexpr (std::is_same_v<V, int64_t>) {
            return h5::WriteScalar(loc, name, H5T_NATIVE_INT64, H5T_STD_I64LE, &v, path);
          } else if constexpr (std::is_same_v<V, double>) {
            return h5::WriteScalar(loc, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, &v, path);
          } else if constexpr (std::is_same_v<V, std::string>) {
            return h5::WriteStringScalar(loc, name, v, path);
          } else if constexpr (std::is_same_v<V, std::vector<bool>>) {
            return h5::WriteBools(loc, name, v, layout_, path);
          } else if constexpr (std::is_same_v<V, std::vector<int64_t>>) {
            return WriteNumeric1d(loc, name, path, v, H5T_STD_I64LE);
          } else if constexpr (std::is_same_v<V, std::vector<double>>) {
            return WriteNumeric1d(loc, name, path, v, H5T_IEEE_F64LE);
          } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            return h5::WriteStrings(loc, name, v, layout_, path);
          } else if constexpr (std::is_same_v<V, NumericArray>) {
            return WriteNumericArray(loc, name, path, v);
          } else if constexpr (std::is_same_v<V, UnsValue::Dict>) {
            HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(loc, name, path));
            return WriteDict(g.get(), path, v);
          } else if constexpr (std::is_same_v<V, UnsValue::List>) {
            // A list (e.g. of records) has no anndata encoding: a dict keyed "0", "1", ...
            // marked so that ReadH5ad restores the list (docs/atlas.md).
            HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::CreateGroup(loc, name, path));
            HAYSTACK_RETURN_IF_ERROR(h5::SetEncoding(g.get(), "dict", "0.1.0"));
            HAYSTACK_RETURN_IF_ERROR(h5::WriteStringAttr(g.get(), "haystack-type", "list"));
            for (size_t i = 0; i < v.size(); ++i) {
              const std::string key = std::to_string(i);
              HAYSTACK_RETURN_IF_ERROR(WriteUns(g.get(), key, Cat(path, "/", key), v[i]));
            }
            return absl::OkStatus();
          } else {
            return WriteDataFrame(loc, name, path, v);
          }
        },
        value.value);
  }

  H5adWriteOptions options_;
  h5::Layout layout_;
  DurableWrites* durable_;
};

// fsync of a file or directory; `what` names it in the error.

absl::Status SyncPath(const std::string& path, int flags, std::string_view what) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) {
    return SystemCallError(ErrorKind::kStorage, errno,
                           Cat("opening ", what, " ", path, " to sync it"));
  }
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc == 0) return absl::OkStatus();
  return SystemCallError(ErrorKind::kStorage, err, Cat("syncing ", what, " ", path));
}

}  // namespace

absl::Status WriteElements(const AnnData& data, hid_t file, const H5adWriteOptions& options,
                           DurableWrites* durable) {
  return Writer(options, durable).Write(data, file);
}

absl::StatusOr<AllocatedCsr> CreateAllocatedCsr(hid_t loc, const std::string& name, int64_t cols,
                                                std::span<const int64_t> indptr,
                                                const H5adWriteOptions& options) {
  const std::string path = Cat("/", name);
  if (indptr.empty() || indptr.front() != 0) {
    return h5::FormatError(Cat(path, ": indptr must start with 0"));
  }
  for (size_t i = 1; i < indptr.size(); ++i) {
    if (indptr[i] < indptr[i - 1]) {
      return h5::FormatError(Cat(path, ": indptr is not monotone: [", i - 1, "] = ", indptr[i - 1],
                                 " > [", i, "] = ", indptr[i]));
    }
  }
  const int64_t rows = static_cast<int64_t>(indptr.size()) - 1;
  const int64_t nnz = indptr.back();
  HAYSTACK_ASSIGN_OR_RETURN(Handle g, CreateCsrGroup(loc, name, path, rows, cols));
  AllocatedCsr out;
  HAYSTACK_ASSIGN_OR_RETURN(
      out.data_offset,
      h5::CreateAllocatedDataset(g.get(), "data", H5T_IEEE_F32LE, {nnz}, Cat(path, "/data")));
  HAYSTACK_ASSIGN_OR_RETURN(
      out.indices_offset,
      h5::CreateAllocatedDataset(g.get(), "indices", H5T_STD_I32LE, {nnz}, Cat(path, "/indices")));
  HAYSTACK_RETURN_IF_ERROR(
      WriteIndptr(g.get(), path, indptr, options, {options.gzip_level, options.chunk_bytes}));
  return out;
}

std::string WriteTarget(const std::string& path, const H5adWriteOptions& options) {
  return options.atomic ? Cat(path, ".tmp-", static_cast<int64_t>(getpid())) : path;
}

absl::Status CommitFile(const std::string& target, const std::string& path,
                        const H5adWriteOptions& options) {
  absl::Status status;
  if (options.sync) status = SyncPath(target, 0, "file");
  if (status.ok() && options.atomic) {
    std::error_code ec;
    std::filesystem::rename(target, path, ec);
    if (ec) {
      status = MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                         Cat("renaming ", target, " to ", path, ": ", ec.message()));
    }
  }
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(target, ignored);
    return Annotate(status, Cat("writing ", path));
  }
  if (options.sync) {
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    return Annotate(SyncPath(dir.empty() ? "." : dir.string(), O_DIRECTORY, "directory"),
                    Cat("writing ", path));
  }
  return absl::OkStatus();
}

}  // namespace haystack::h5ad_internal
