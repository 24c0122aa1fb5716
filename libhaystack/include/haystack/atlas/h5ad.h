// Reading and writing AnnData .h5ad files (HDF5) through the HDF5 C API.
//
// Files written here follow anndata's on-disk format (root encoding-type "anndata" 0.1.0) in
// the dialect anndata 0.8 itself writes, so anndata 0.8 and every later version read them:
// variable-length UTF-8 strings, booleans as the int8 enum h5py uses, categorical codes of the
// smallest signed width. The reader accepts files from anndata 0.8 through 0.13, including the
// newer nullable and string-array encodings. docs/atlas.md lists every encoding.
//
// Errors: a file that cannot be opened or is not HDF5 → kStorage / kNotFound or
// kInvalidArgument; a file whose content violates the format (wrong encoding-type, indptr not
// monotone, index out of range, inconsistent shapes) → kStorage / kInvalidArgument (kDataLoss
// when HDF5 reports a truncated or corrupt file). Messages name the file and the HDF5 path.
#ifndef HAYSTACK_ATLAS_H5AD_H_
#define HAYSTACK_ATLAS_H5AD_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"

namespace haystack {

struct H5adWriteOptions {
  // gzip (deflate, HDF5 filter 1, built into every libhdf5) level 1-9; 0 writes unfiltered
  // data. Compression costs write throughput roughly 5-10×; the default favours speed.
  int gzip_level = 0;
  // Chunking of X, layers and the sparse arrays. 0 = automatic: contiguous when uncompressed
  // (lowest write cost, and row gathers then read exactly the bytes they need); ~1 MiB chunks
  // when compressed (compression requires chunks).
  int64_t chunk_bytes = 0;
  // Write CSR indptr as int64 even when int32 would do. Indptr is int64 automatically when
  // nnz ≥ 2^31.
  bool force_int64_indptr = false;
  // Write to "<path>.tmp-<pid>" and rename over `path` at the end, so that a reader never sees
  // a half-written file and a failed write leaves no file behind.
  bool atomic = true;
  // Make the file durable before returning: its bytes reach the disk (fsync) before the
  // rename, and the directory entry after it. Uncompressed contiguous arrays of 4 MiB or more
  // (dense X and layers, CSR data and indices) are then written by a helper thread in 2 MiB
  // pieces whose writeback to disk starts as each is copied, while HDF5 writes the rest of
  // the file: the disk works during the write instead of only in the final fsync. Same
  // guarantee as write + fsync, sooner (docs/atlas.md, "Writing"). Without `sync` everything
  // goes through H5Dwrite on the calling thread, the fastest way into the page cache.
  bool sync = false;
  // Store a dense X or layer as CSR when that takes fewer bytes (fewer than about half of its
  // values are non-zero); readers then get a CsrMatrix back.
  bool sparse_when_smaller = false;
};

// How a run's .h5ad artifacts are stored (prompts, query cells, predictions, output.h5ad): a
// matrix as CSR when that is smaller, every array gzip-compressed (level 4, ~1 MiB chunks),
// as anndata users write them (`write_h5ad(compression="gzip")`); ReadH5ad, H5adAtlas, the
// inference worker and Python anndata read them. docs/atlas.md ("Run artifacts") has sizes.
H5adWriteOptions CompactH5adWriteOptions();

struct H5adReadOptions {
  bool read_x = true;       // false: x stays empty (metadata only)
  bool read_layers = true;  // false: layers stay empty
  bool read_obsm = true;    // obsm and varm
  bool read_uns = true;
};

// Reads the whole file into memory. Elements HAYSTACK has no type for (obsp/varp, raw,
// awkward arrays, sparse obsm entries) are skipped.
absl::StatusOr<AnnData> ReadH5ad(const std::string& path, const H5adReadOptions& options = {});

// Validates `data` (AnnData::Validate) and writes it. Empty obsm/varm/layers/uns are written
// as empty dict groups, as anndata does. With `sync`, returns only when the file is on disk;
// the file's contents are the same either way.
absl::Status WriteH5ad(const AnnData& data, const std::string& path,
                       const H5adWriteOptions& options = {});

}  // namespace haystack

#endif  // HAYSTACK_ATLAS_H5AD_H_
