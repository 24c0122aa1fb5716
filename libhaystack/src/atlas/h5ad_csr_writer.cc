#include "haystack/atlas/h5ad_csr_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "haystack/core/error.h"
#include "internal/cat.h"
#include "internal/h5ad_file_writer.h"
#include "internal/hdf5.h"

namespace haystack {
namespace {

using atlas_internal::Cat;
using h5::Handle;

absl::Status WriteFully(int fd, const void* data, size_t bytes, uint64_t offset,
                        const std::string& path) {
  const char* p = static_cast<const char*>(data);
  for (size_t done = 0; done < bytes;) {
    const ssize_t n = pwrite(fd, p + done, bytes - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemCallError(ErrorKind::kStorage, errno, Cat("writing ", path));
    if (n == 0) {
      return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                       Cat("writing ", path, ": short write"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

CsrH5adWriter::CsrH5adWriter(std::string path, std::string target, std::vector<int64_t> indptr,
                             int64_t cols, H5adWriteOptions options)
    : path_(std::move(path)),
      target_(std::move(target)),
      indptr_(std::move(indptr)),
      cols_(cols),
      options_(options) {}

absl::StatusOr<std::unique_ptr<CsrH5adWriter>> CsrH5adWriter::Create(
    const std::string& path, const AnnData& metadata, std::vector<int64_t> indptr,
    const H5adWriteOptions& options) {
  if (metadata.x) {
    return InvalidInputError(ErrorKind::kStorage,
                             Cat("writing ", path, ": the metadata must not hold X"));
  }
  if (options.gzip_level != 0 || options.chunk_bytes != 0) {
    return ConfigurationError(Cat("writing ", path,
                                  ": a streamed X is contiguous and unfiltered (gzip_level and "
                                  "chunk_bytes must be 0)"));
  }
  if (std::endian::native != std::endian::little) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnimplemented,
                     "streamed .h5ad writes need a little-endian machine");
  }
  if (static_cast<int64_t>(indptr.size()) != metadata.obs.rows() + 1) {
    return InvalidInputError(ErrorKind::kStorage,
                             Cat("writing ", path, ": indptr has ", indptr.size(), " entries for ",
                                 metadata.obs.rows(), " obs rows"));
  }
  HAYSTACK_RETURN_IF_ERROR(Annotate(metadata.Validate(), Cat("writing ", path)));
  h5::SilenceErrorPrinting();
  const std::string target = h5ad_internal::WriteTarget(path, options);
  std::unique_ptr<CsrH5adWriter> writer(
      new CsrH5adWriter(path, target, std::move(indptr), metadata.var.rows(), options));
  absl::Status status;
  {
    Handle file(H5Fcreate(target.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!file.valid()) {
      return h5::Error(absl::StatusCode::kFailedPrecondition, Cat("cannot create ", target));
    }
    auto allocated =
        h5ad_internal::CreateAllocatedCsr(file.get(), "X", writer->cols_, writer->indptr_, options);
    status = allocated.status();
    if (allocated.ok()) {
      writer->data_offset_ = allocated->data_offset;
      writer->indices_offset_ = allocated->indices_offset;
      status = h5ad_internal::WriteElements(metadata, file.get(), options, nullptr);
    }
    // As in WriteH5ad: a failed write (a full disk) must not keep the close from succeeding.
    if (!status.ok()) (void)::truncate(target.c_str(), 0);
    // HDF5 is done with the file: the rows go straight to their allocated space.
    if (H5Fclose(file.Release()) < 0 && status.ok()) {
      status = h5::Error(absl::StatusCode::kUnavailable, Cat("closing ", target));
    }
  }
  if (status.ok()) {
    writer->fd_ = open(target.c_str(), O_WRONLY | O_CLOEXEC);
    if (writer->fd_ < 0) {
      status = SystemCallError(ErrorKind::kStorage, errno, Cat("opening ", target));
    }
  }
  if (!status.ok()) return Annotate(status, Cat("writing ", path));  // the destructor cleans up
  return writer;
}

CsrH5adWriter::~CsrH5adWriter() {
  if (fd_ >= 0) close(fd_);
  if (!finished_) {
    std::error_code ignored;
    std::filesystem::remove(target_, ignored);
  }
}

int64_t CsrH5adWriter::NonZeros(int64_t first_row, int64_t end_row) const {
  return indptr_[static_cast<size_t>(end_row)] - indptr_[static_cast<size_t>(first_row)];
}

absl::Status CsrH5adWriter::WriteRows(int64_t first_row, int64_t row_count,
                                      std::span<const float> data,
                                      std::span<const int32_t> indices) {
  if (finished_ || fd_ < 0) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kFailedPrecondition,
                     Cat("writing ", path_, ": the writer is finished"));
  }
  if (first_row < 0 || row_count < 0 || first_row + row_count > rows()) {
    return InvalidInputError(ErrorKind::kStorage,
                             Cat("writing ", path_, ": rows [", first_row, ", ",
                                 first_row + row_count, ") are outside [0, ", rows(), ")"));
  }
  const int64_t nnz = NonZeros(first_row, first_row + row_count);
  if (static_cast<int64_t>(data.size()) != nnz || static_cast<int64_t>(indices.size()) != nnz) {
    return InvalidInputError(
        ErrorKind::kStorage,
        Cat("writing ", path_, ": rows [", first_row, ", ", first_row + row_count, ") hold ", nnz,
            " non-zeros, given ", data.size(), " values and ", indices.size(), " indices"));
  }
  const int64_t base = indptr_[static_cast<size_t>(first_row)];
  for (int64_t r = first_row; r < first_row + row_count; ++r) {
    int32_t previous = -1;
    for (int64_t k = indptr_[static_cast<size_t>(r)]; k < indptr_[static_cast<size_t>(r) + 1];
         ++k) {
      const int32_t column = indices[static_cast<size_t>(k - base)];
      if (column <= previous || column >= cols_) {
        return InvalidInputError(
            ErrorKind::kStorage,
            Cat("writing ", path_, ": row ", r, " has column index ", column, " after ", previous,
                " (indices must increase within a row and be below ", cols_, ")"));
      }
      previous = column;
    }
  }
  const uint64_t skip = static_cast<uint64_t>(base) * 4;
  HAYSTACK_RETURN_IF_ERROR(
      WriteFully(fd_, data.data(), data.size_bytes(), data_offset_ + skip, target_));
  HAYSTACK_RETURN_IF_ERROR(
      WriteFully(fd_, indices.data(), indices.size_bytes(), indices_offset_ + skip, target_));
  rows_written_ += row_count;
  return absl::OkStatus();
}

absl::Status CsrH5adWriter::Finish() {
  if (finished_) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kFailedPrecondition,
                     Cat("writing ", path_, ": already finished"));
  }
  if (rows_written_.load() != rows()) {
    return MakeError(
        ErrorKind::kStorage, absl::StatusCode::kFailedPrecondition,
        Cat("writing ", path_, ": ", rows_written_.load(), " of ", rows(), " rows were written"));
  }
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) < 0) {
    return SystemCallError(ErrorKind::kStorage, errno, Cat("writing ", target_));
  }
  finished_ = true;  // CommitFile removes the file itself when it fails
  return h5ad_internal::CommitFile(target_, path_, options_);
}

}  // namespace haystack
