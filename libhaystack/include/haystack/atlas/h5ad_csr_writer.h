// CsrH5adWriter: an .h5ad file whose CSR X is written in row blocks, for atlases whose matrix
// does not fit in memory (a 1M-cell × 30k-gene atlas with 1,500 non-zeros per cell holds 12 GB
// of data and indices).
//
// The row lengths are given up front (indptr), so X/data and X/indices are created contiguous
// and unfiltered with their file space allocated — the layout WriteH5ad writes by default and
// the one H5adAtlas gathers from with positional reads — and every block of rows is written at
// its place with pwrite, from any thread, in any order. Everything else (obs, var, uns, ...) is
// written through HDF5 when the writer is created. The file is anndata's format, identical to
// WriteH5ad of the same AnnData.
#ifndef HAYSTACK_ATLAS_H5AD_CSR_WRITER_H_
#define HAYSTACK_ATLAS_H5AD_CSR_WRITER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/h5ad.h"

namespace haystack {

class CsrH5adWriter {
 public:
  // `metadata` holds everything but X (its x must be empty; obs has indptr.size() - 1 rows and
  // var the matrix's columns); `indptr` holds each row's first non-zero, as in CSR. Options:
  // atomic and sync as for WriteH5ad; compression and chunking do not apply (X is contiguous,
  // and gzip_level or chunk_bytes other than 0 are a configuration error).
  static absl::StatusOr<std::unique_ptr<CsrH5adWriter>> Create(
      const std::string& path, const AnnData& metadata, std::vector<int64_t> indptr,
      const H5adWriteOptions& options = {});
  ~CsrH5adWriter();  // an unfinished file is removed
  CsrH5adWriter(const CsrH5adWriter&) = delete;
  CsrH5adWriter& operator=(const CsrH5adWriter&) = delete;

  int64_t rows() const { return static_cast<int64_t>(indptr_.size()) - 1; }
  // Non-zeros of rows [first_row, end_row): indptr[end_row] - indptr[first_row].
  int64_t NonZeros(int64_t first_row, int64_t end_row) const;

  // Writes rows [first_row, first_row + row_count), whose values and column indices are
  // `data` and `indices` (the rows' non-zeros in order: NonZeros of the rows each). Column
  // indices must be in [0, columns) and increasing within a row. Each row is written once;
  // calls for disjoint rows may run on several threads at once.
  absl::Status WriteRows(int64_t first_row, int64_t row_count, std::span<const float> data,
                         std::span<const int32_t> indices);

  // Checks that every row was written, then completes the file (fsync and rename as the
  // options say). The writer cannot be used afterwards.
  absl::Status Finish();

 private:
  CsrH5adWriter(std::string path, std::string target, std::vector<int64_t> indptr, int64_t cols,
                H5adWriteOptions options);

  std::string path_;
  std::string target_;
  std::vector<int64_t> indptr_;
  int64_t cols_;
  H5adWriteOptions options_;
  int fd_ = -1;
  uint64_t data_offset_ = 0;
  uint64_t indices_offset_ = 0;
  std::atomic<int64_t> rows_written_{0};
  bool finished_ = false;
};

}  // namespace haystack

#endif  // HAYSTACK_ATLAS_H5AD_CSR_WRITER_H_
