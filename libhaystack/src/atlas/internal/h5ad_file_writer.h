// The parts of writing an .h5ad file that WriteH5ad and CsrH5adWriter share: every AnnData
// element in the dialect anndata 0.8 writes (docs/atlas.md, "On-disk format"), large arrays
// written around HDF5 with pwrite (DurableWrites, CreateAllocatedCsr), and committing the
// written file (fsync, rename, directory fsync).
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_H5AD_FILE_WRITER_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_H5AD_FILE_WRITER_H_

#include <hdf5.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/h5ad.h"

namespace haystack::h5ad_internal {

// Writes the bytes of large contiguous datasets with pwrite, each from its own thread, into
// the file space HDF5 allocated for them (h5::CreateAllocatedDataset), while the calling thread
// goes on with the rest of the file through HDF5 (obs/var names, metadata), and starts the
// writeback of each piece right after copying it (sync_file_range), so that the final fsync
// finds most of the file already on disk. (Without a final fsync this only costs: in the page
// cache one H5Dwrite on the calling thread is faster here than any overlap.) Finish() joins
// and reports the first error; the destructor joins too, so the source buffers must outlive
// this object.
class DurableWrites {
 public:
  explicit DurableWrites(std::string path) : path_(std::move(path)) {}
  ~DurableWrites() { (void)Finish(); }
  DurableWrites(const DurableWrites&) = delete;
  DurableWrites& operator=(const DurableWrites&) = delete;

  absl::Status Start(uint64_t offset, const void* data, size_t bytes);
  // Keeps `source` (the buffer behind a Start) alive until the writes are finished.
  void Retain(std::shared_ptr<const void> source) { retained_.push_back(std::move(source)); }
  absl::Status Finish();

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<const void>> retained_;  // released after the threads joined
  std::mutex mu_;
  absl::Status error_;  // the first failed write (guarded by mu_)
};

// Writes every element of `data` into the open `file`: X when present, obs, var, obsm, varm,
// obsp and varp (empty), layers, uns. `durable` (may be null) takes the large arrays (sync).
absl::Status WriteElements(const AnnData& data, hid_t file, const H5adWriteOptions& options,
                           DurableWrites* durable);

// Where a CSR matrix's data (float32) and indices (int32) start in the file.
struct AllocatedCsr {
  uint64_t data_offset = 0;
  uint64_t indices_offset = 0;
};
// Creates the CSR group `name` in `loc` (cols columns, indptr.size() - 1 rows): encoding and
// shape attributes and indptr are written; data and indices are contiguous datasets of
// indptr.back() elements whose space is allocated and left unwritten, for the caller to
// pwrite at the returned offsets. indptr must start at 0 and never decrease (checked).
absl::StatusOr<AllocatedCsr> CreateAllocatedCsr(hid_t loc, const std::string& name, int64_t cols,
                                                std::span<const int64_t> indptr,
                                                const H5adWriteOptions& options);

// The file a write goes to: "<path>.tmp-<pid>" when options.atomic, else `path`.
std::string WriteTarget(const std::string& path, const H5adWriteOptions& options);
// Completes a successful write of `target` (HDF5 closed, every byte written): fsync (sync), the
// rename to `path` (atomic), the directory's fsync (sync). Removes `target` on failure.
absl::Status CommitFile(const std::string& target, const std::string& path,
                        const H5adWriteOptions& options);

}  // namespace haystack::h5ad_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_H5AD_FILE_WRITER_H_
