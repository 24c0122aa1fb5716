#include "internal/row_reader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>

#include "haystack/core/error.h"
#include "internal/cat.h"
#include "internal/h5ad_elements.h"

namespace haystack::atlas_internal {
namespace {

using h5::Handle;

absl::StatusOr<ArraySource> OpenSource(hid_t loc, const std::string& name, const std::string& path,
                                       int64_t chunk_cache_bytes) {
  ArraySource src;
  src.path = path;
  if (!h5::HasChild(loc, name)) return h5::FormatError(Cat(path, ": missing"));
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS));
  H5Pset_chunk_cache(dapl.get(), 12421, static_cast<size_t>(chunk_cache_bytes), 1.0);
  src.dataset = Handle(H5Dopen2(loc, name.c_str(), dapl.get()));
  if (!src.dataset.valid())
    return h5::Error(absl::StatusCode::kDataLoss, Cat(path, ": cannot open"));
  Handle type(H5Dget_type(src.dataset.get()));
  if (H5Tequal(type.get(), H5T_IEEE_F32LE) > 0) {
    src.type = ArraySource::Type::kFloat32;
  } else if (H5Tequal(type.get(), H5T_STD_I32LE) > 0) {
    src.type = ArraySource::Type::kInt32;
  } else if (H5Tequal(type.get(), H5T_STD_I64LE) > 0) {
    src.type = ArraySource::Type::kInt64;
  }
  Handle dcpl(H5Dget_create_plist(src.dataset.get()));
  const bool contiguous = H5Pget_layout(dcpl.get()) == H5D_CONTIGUOUS;
  const bool unfiltered = H5Pget_nfilters(dcpl.get()) == 0;
  const haddr_t offset = H5Dget_offset(src.dataset.get());
  H5Eclear2(H5E_DEFAULT);  // H5Dget_offset fails (harmlessly) on unallocated data
  src.direct =
      contiguous && unfiltered && offset != HADDR_UNDEF && src.type != ArraySource::Type::kOther;
  src.offset = src.direct ? static_cast<uint64_t>(offset) : 0;
  return src;
}

size_t SizeOf(ArraySource::Type t) { return t == ArraySource::Type::kInt64 ? 8 : 4; }

template <class T>
hid_t MemType() {
  return h5::NativeType<T>();
}

// Converts `total` elements of type S, packed in `scratch` as read from the file, to `out`.
// Column indices stored as int64 that do not fit int32 become -1, which the caller's range
// check rejects.
template <class S, class T>
void ConvertScratch(const std::vector<char>& scratch, int64_t total, T* out) {
  for (int64_t i = 0; i < total; ++i) {
    S v;
    std::memcpy(&v, scratch.data() + static_cast<size_t>(i) * sizeof(S), sizeof(S));
    if constexpr (std::is_same_v<S, int64_t> && std::is_same_v<T, int32_t>) {
      out[i] = v < 0 || v > std::numeric_limits<int32_t>::max() ? -1 : static_cast<T>(v);
    } else {
      out[i] = static_cast<T>(v);
    }
  }
}

// Sizes `v` to `n` zeroed elements. A buffer of 4 MiB or more is first advised to use
// transparent huge pages (as numpy does for its arrays): first-touching fresh 4 KiB pages costs
// ~12 µs each on the VMs measured here, 0.31 s for an 85 MiB gather result, and 0.01-0.2 s
// with huge pages (docs/atlas.md). Only a hint: without THP support nothing changes.
template <class T>
void ResizeLarge(std::vector<T>& v, size_t n) {
  v.reserve(n);
  if (n * sizeof(T) >= (size_t{4} << 20)) {
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const uintptr_t begin = reinterpret_cast<uintptr_t>(v.data());
    const uintptr_t lo = (begin + page - 1) / page * page;
    const uintptr_t hi = (begin + n * sizeof(T)) / page * page;
    if (hi > lo) (void)madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
  }
  v.resize(n);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RowReader>> RowReader::Open(hid_t file, const std::string& file_path,
                                                           int64_t rows, int64_t cols,
                                                           const ReadBatchOptions& io,
                                                           int64_t chunk_cache_bytes,
                                                           std::mutex* hdf5_mutex) {
  std::unique_ptr<RowReader> r(new RowReader());
  r->rows_ = rows;
  r->cols_ = cols;
  r->file_path_ = file_path;
  r->io_ = io;
  r->hdf5_mutex_ = hdf5_mutex;
  if (!h5::HasChild(file, "X")) return h5::FormatError(Cat(file_path, ": the atlas has no X"));
  HAYSTACK_ASSIGN_OR_RETURN(h5::ObjectKind kind, h5::KindOf(file, "X", "/X"));
  if (kind == h5::ObjectKind::kDataset) {
    HAYSTACK_ASSIGN_OR_RETURN(r->data_, OpenSource(file, "X", "/X", chunk_cache_bytes));
    HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo info, h5::Describe(r->data_.dataset.get(), "/X"));
    if (info.dims.size() != 2 || info.dims[0] != rows || info.dims[1] != cols) {
      return h5::FormatError(Cat("/X: shape does not match obs × var (", rows, ", ", cols, ")"));
    }
    if (info.element != h5::ElementClass::kFloat && info.element != h5::ElementClass::kInteger) {
      return h5::FormatError("/X: expected numbers");
    }
  } else {
    r->sparse_ = true;
    HAYSTACK_ASSIGN_OR_RETURN(Handle g, h5::OpenGroup(file, "X", "/X"));
    HAYSTACK_ASSIGN_OR_RETURN(std::string et, h5::EncodingType(g.get(), "/X"));
    if (et == "csc_matrix") {
      return h5::FormatError(
          "/X: is CSC; gathering cells needs CSR (rewrite the atlas with X in CSR format)");
    }
    if (et != "csr_matrix") return h5::FormatError(Cat("/X: encoding-type is '", et, "'"));
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<int64_t> shape,
                              h5::ReadIntArrayAttr(g.get(), "shape", "/X"));
    if (shape.size() != 2 || shape[0] != rows || shape[1] != cols) {
      return h5::FormatError(Cat("/X@shape does not match obs × var (", rows, ", ", cols, ")"));
    }
    HAYSTACK_ASSIGN_OR_RETURN(r->data_, OpenSource(g.get(), "data", "/X/data", chunk_cache_bytes));
    HAYSTACK_ASSIGN_OR_RETURN(r->indices_,
                              OpenSource(g.get(), "indices", "/X/indices", chunk_cache_bytes));
    HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo dinfo,
                              h5::Describe(r->data_.dataset.get(), "/X/data"));
    HAYSTACK_ASSIGN_OR_RETURN(h5::DatasetInfo iinfo,
                              h5::Describe(r->indices_.dataset.get(), "/X/indices"));
    if (dinfo.dims.size() != 1 || iinfo.dims.size() != 1 || dinfo.dims[0] != iinfo.dims[0]) {
      return h5::FormatError("/X: data and indices must be 1-D of the same length");
    }
    if (iinfo.element != h5::ElementClass::kInteger &&
        iinfo.element != h5::ElementClass::kUnsigned) {
      return h5::FormatError("/X/indices: expected integers");
    }
    HAYSTACK_ASSIGN_OR_RETURN(Handle p, h5::OpenDataset(g.get(), "indptr", "/X/indptr"));
    HAYSTACK_RETURN_IF_ERROR(h5::ReadAllUnzeroed(p.get(), "/X/indptr", &r->indptr_));
    HAYSTACK_RETURN_IF_ERROR(
        h5ad_internal::CheckIndptr(r->indptr_, rows, dinfo.dims[0], "/X/indptr"));
  }
  r->fd_ = open(file_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     Cat(file_path, ": cannot open for reading: ", std::strerror(errno)));
  }
  return r;
}

RowReader::~RowReader() {
  if (fd_ >= 0) close(fd_);
}

template <class T>
absl::Status RowReader::ReadThroughHdf5(const ArraySource& src, const Span& span, T* out) const {
  std::lock_guard<std::mutex> lock(*hdf5_mutex_);
  h5::SilenceErrorPrinting();  // per thread: this may not be the thread that opened the file
  if (!sparse_) {
    // Dense X: the span is whole rows; select them as a 2-D hyperslab.
    Handle fspace(H5Dget_space(src.dataset.get()));
    const hsize_t start[2] = {static_cast<hsize_t>(span.src_begin / cols_), 0};
    const hsize_t n[2] = {static_cast<hsize_t>(span.count / cols_), static_cast<hsize_t>(cols_)};
    Handle mspace(H5Screate_simple(2, n, nullptr));
    if (H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, n, nullptr) < 0 ||
        H5Dread(src.dataset.get(), MemType<T>(), mspace.get(), fspace.get(), H5P_DEFAULT, out) <
            0) {
      return h5::Error(absl::StatusCode::kDataLoss, Cat(src.path, ": cannot read rows"));
    }
    return absl::OkStatus();
  }
  return h5::ReadRange1d(src.dataset.get(), MemType<T>(), span.src_begin, span.count, out,
                         src.path);
}

template <class T>
absl::Status RowReader::ReadSpans(const ArraySource& src, const std::vector<Span>& spans,
                                  int64_t total, T* out) const {
  if (!src.direct) {
    for (const Span& sp : spans) {
      HAYSTACK_RETURN_IF_ERROR(ReadThroughHdf5(src, sp, out + sp.dst_begin));
    }
    return absl::OkStatus();
  }
  // The bytes land in `out` when the file holds T, else in a scratch buffer of the file's type,
  // laid out like `out`, converted below.
  const bool same_type = (std::is_same_v<T, float> && src.type == ArraySource::Type::kFloat32) ||
                         (std::is_same_v<T, int32_t> && src.type == ArraySource::Type::kInt32);
  const uint64_t width = SizeOf(src.type);
  std::vector<char> scratch;
  char* landing = reinterpret_cast<char*>(out);
  if (!same_type) {
    scratch.resize(static_cast<size_t>(total) * width);
    landing = scratch.data();
  }
  std::vector<ReadRequest> requests;
  requests.reserve(spans.size());
  for (const Span& sp : spans) {
    requests.push_back({src.offset + static_cast<uint64_t>(sp.src_begin) * width,
                        static_cast<size_t>(sp.count) * width,
                        landing + static_cast<uint64_t>(sp.dst_begin) * width});
  }
  HAYSTACK_RETURN_IF_ERROR(ReadBatch(fd_, requests, io_, Cat(file_path_, " ", src.path)));
  if (same_type) return absl::OkStatus();
  switch (src.type) {
    case ArraySource::Type::kInt64:
      ConvertScratch<int64_t>(scratch, total, out);
      break;
    case ArraySource::Type::kInt32:
      ConvertScratch<int32_t>(scratch, total, out);
      break;
    default:  // kFloat32 (a direct source is never kOther)
      ConvertScratch<float>(scratch, total, out);
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<ExpressionMatrix> RowReader::Gather(std::span<const int64_t> cells) const {
  const size_t n = cells.size();
  // Visit rows in file order (forward reads), writing each to its requested position.
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return cells[a] < cells[b]; });
  auto row_begin = [&](int64_t r) { return sparse_ ? indptr_[static_cast<size_t>(r)] : r * cols_; };
  auto row_len = [&](int64_t r) {
    return sparse_ ? indptr_[static_cast<size_t>(r) + 1] - indptr_[static_cast<size_t>(r)] : cols_;
  };
  std::vector<int64_t> out_ptr(n + 1, 0);
  for (size_t i = 0; i < n; ++i) out_ptr[i + 1] = out_ptr[i] + row_len(cells[i]);
  // Spans: adjacent rows whose destinations are adjacent too become one read.
  std::vector<Span> spans;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    const int64_t src = row_begin(cells[i]);
    const int64_t len = row_len(cells[i]);
    if (len == 0) continue;
    if (!spans.empty() && spans.back().src_begin + spans.back().count == src &&
        spans.back().dst_begin + spans.back().count == out_ptr[i]) {
      spans.back().count += len;
    } else {
      spans.push_back({src, out_ptr[i], len});
    }
  }
  if (!sparse_) {
    DenseMatrix m;
    m.rows = static_cast<int64_t>(n);
    m.cols = cols_;
    ResizeLarge(m.values, n * static_cast<size_t>(cols_));
    HAYSTACK_RETURN_IF_ERROR(
        ReadSpans(data_, spans, static_cast<int64_t>(m.values.size()), m.values.data()));
    return ExpressionMatrix(std::move(m));
  }
  CsrMatrix m;
  m.rows = static_cast<int64_t>(n);
  m.cols = cols_;
  m.indptr = std::move(out_ptr);
  const int64_t nnz = m.indptr.back();
  ResizeLarge(m.data, static_cast<size_t>(nnz));
  ResizeLarge(m.indices, static_cast<size_t>(nnz));
  HAYSTACK_RETURN_IF_ERROR(ReadSpans(data_, spans, nnz, m.data.data()));
  HAYSTACK_RETURN_IF_ERROR(ReadSpans(indices_, spans, nnz, m.indices.data()));
  // The file is untrusted: check the gathered column indices.
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t k = m.indptr[static_cast<size_t>(r)]; k < m.indptr[static_cast<size_t>(r) + 1];
         ++k) {
      const int32_t c = m.indices[static_cast<size_t>(k)];
      const bool increasing =
          k == m.indptr[static_cast<size_t>(r)] || c > m.indices[static_cast<size_t>(k) - 1];
      if (c < 0 || c >= cols_ || !increasing) {
        return h5::FormatError(Cat("/X/indices: row ", cells[static_cast<size_t>(r)],
                                   " has column index ", c,
                                   c < 0 || c >= cols_ ? Cat(" out of range [0, ", cols_, ")")
                                                       : std::string(" out of order")));
      }
    }
  }
  return ExpressionMatrix(std::move(m));
}

}  // namespace haystack::atlas_internal
