// Reads rows of X (CSR or dense) from an open .h5ad file by row index: the gather behind
// H5adAtlas. Unfiltered contiguous datasets are read as one batch of positioned reads straight
// into the result (read_batch.h: pread threads, missing pages requested up front; adjacent rows
// merged into one read); anything else goes through HDF5.
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
#include "internal/read_batch.h"

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
  // `file` stays owned by the caller and must outlive the reader, which opens its own read-only
  // descriptor of `file_path` for the direct reads. `hdf5_mutex` serialises HDF5 calls.
  static absl::StatusOr<std::unique_ptr<RowReader>> Open(hid_t file, const std::string& file_path,
                                                         int64_t rows, int64_t cols,
                                                         const ReadBatchOptions& io,
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
  // A piece of work: `count` elements from element `src_begin` to position `dst_begin`.
  struct Span {
    int64_t src_begin;
    int64_t dst_begin;
    int64_t count;
  };
  // Reads the spans of `src` into `out` (converted to T); `total` is the length of `out`.
  template <class T>
  absl::Status ReadSpans(const ArraySource& src, const std::vector<Span>& spans, int64_t total,
                         T* out) const;
  // One span of a source that is not direct, through HDF5.
  template <class T>
  absl::Status ReadThroughHdf5(const ArraySource& src, const Span& span, T* out) const;

  bool sparse_ = false;
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  h5::UnzeroedVector<int64_t> indptr_;  // a row offset per cell: 8 MB per 1M cells, not zeroed
  ArraySource data_;
  ArraySource indices_;
  std::string file_path_;
  int fd_ = -1;
  ReadBatchOptions io_;
  std::mutex* hdf5_mutex_ = nullptr;
};

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_ROW_READER_H_
