// Reads rows of X (CSR or dense) from an open .h5ad file by row index: the gather behind
// H5adAtlas. Unfiltered contiguous datasets are read with pread() straight into the result
// (several threads, adjacent rows merged into one read, rows not in the page cache requested
// from the kernel up front); anything else goes through HDF5.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_ROW_READER_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_ROW_READER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "haystack/core/matrix.h"
#include "internal/hdf5.h"

namespace haystack::atlas_internal {

// One 1-D (or, for dense X, 2-D) dataset and how to read a range of its elements.
struct ArraySource {
  enum class Type { kFloat32, kInt32, kInt64, kOther };
  h5::Handle dataset;
  std::string path;
  Type type = Type::kOther;  // on-disk type when it is little-endian and directly readable
  bool direct = false;       // contiguous, unfiltered, allocated: pread at `offset`
  uint64_t offset = 0;
};

class RowReader {
 public:
  // `file` stays owned by the caller and must outlive the reader; `fd` is a read-only
  // descriptor of the same file, owned by the reader. `hdf5_mutex` serialises HDF5 calls.
  static absl::StatusOr<std::unique_ptr<RowReader>> Open(hid_t file, const std::string& file_path,
                                                         int64_t rows, int64_t cols, int io_threads,
                                                         int64_t chunk_cache_bytes,
                                                         std::mutex* hdf5_mutex);
  ~RowReader();

  bool sparse() const { return sparse_; }
  int64_t nnz() const { return sparse_ ? indptr_.back() : rows_ * cols_; }
  // Whether gathers bypass HDF5 (for the docs and benchmarks).
  bool direct() const { return data_.direct && (!sparse_ || indices_.direct); }

  // Rows `cells` (validated by the caller to be in range) in the given order.
  absl::StatusOr<ExpressionMatrix> Gather(std::span<const int64_t> cells) const;

 private:
  RowReader() = default;
  // Copies elements [begin, begin + count) of `src` into `out` (converted to T).
  template <class T>
  absl::Status ReadElements(const ArraySource& src, int64_t begin, int64_t count, T* out) const;
  // A piece of work: `count` elements from element `src_begin` to position `dst_begin`.
  struct Span {
    int64_t src_begin;
    int64_t dst_begin;
    int64_t count;
  };
  template <class T>
  absl::Status ReadSpans(const ArraySource& src, const std::vector<Span>& spans, T* out) const;
  // For a direct source: starts the asynchronous read (POSIX_FADV_WILLNEED) of every span with
  // a page not in the page cache (mincore), so that a cold gather keeps the disk's queue full.
  // A warm one costs one mincore. Best effort: failures only skip the hint.
  void Prefetch(const ArraySource& src, const std::vector<Span>& spans) const;

  bool sparse_ = false;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<int64_t> indptr_;
  ArraySource data_;
  ArraySource indices_;
  int fd_ = -1;
  int io_threads_ = 1;
  std::mutex* hdf5_mutex_ = nullptr;
};

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_ROW_READER_H_
