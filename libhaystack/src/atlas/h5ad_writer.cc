// WriteH5ad: AnnData → .h5ad in the dialect anndata 0.8 writes (see docs/atlas.md).
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "internal/cat.h"
#include "internal/h5ad_file_writer.h"
#include "internal/hdf5.h"

namespace haystack {

using atlas_internal::Cat;
using h5::Handle;
using h5ad_internal::DurableWrites;

H5adWriteOptions CompactH5adWriteOptions() {
  // Level 4 is what h5py (and so anndata) uses for compression="gzip".
  return {.gzip_level = 4, .sparse_when_smaller = true};
}

absl::Status WriteH5ad(const AnnData& data, const std::string& path,
                       const H5adWriteOptions& options) {
  HAYSTACK_RETURN_IF_ERROR(Annotate(data.Validate(), Cat("writing ", path)));
  if (options.gzip_level < 0 || options.gzip_level > 9) {
    return ConfigurationError(Cat("gzip level ", options.gzip_level, " is not in 0-9"));
  }
  h5::SilenceErrorPrinting();
  const std::string target = h5ad_internal::WriteTarget(path, options);
  absl::Status status;
  {
    Handle file(H5Fcreate(target.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.valid()) {
      return h5::Error(absl::StatusCode::kFailedPrecondition, Cat("cannot create ", target));
    }
    std::optional<DurableWrites> durable;
    if (options.sync) durable.emplace(target);
    status = h5ad_internal::WriteElements(data, file.get(), options, durable ? &*durable : nullptr);
    if (!status.ok()) {
      // A write that failed (a full disk) leaves HDF5 data it cannot flush: free the garbage
      // file's space first, so that the close can succeed (see internal/hdf5.cc on closes that
      // fail).
      (void)::truncate(target.c_str(), 0);
    }
    // Closing flushes everything (no separate H5Fflush: that would write the metadata twice)
    // while the durable writes may still run; every object handle is closed by now.
    if (H5Fclose(file.Release()) < 0 && status.ok()) {
      status = h5::Error(absl::StatusCode::kUnavailable, Cat("closing ", target));
    }
    if (durable) {
      if (absl::Status st = durable->Finish(); status.ok()) status = st;
    }
  }
  if (!status.ok()) {
    std::error_code ignored;
    std::filesystem::remove(target, ignored);
    return Annotate(status, Cat("writing ", path));
  }
  return h5ad_internal::CommitFile(target, path, options);
}

}  // namespace haystack
