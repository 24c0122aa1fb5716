// Many positioned reads from one file, issued as one batch: the I/O behind an atlas gather,
// which reads tens of thousands of rows of a few hundred bytes each at scattered offsets.
//
// Reader threads pread contiguous shares of the requests. When the page cache lacks some of
// them, every missing piece is first requested from the kernel at once (POSIX_FADV_WILLNEED), so
// that a cold batch keeps the disk's queue full instead of one read per thread in flight.
#ifndef HAYSTACK_SRC_ATLAS_INTERNAL_READ_BATCH_H_
#define HAYSTACK_SRC_ATLAS_INTERNAL_READ_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"

namespace haystack::atlas_internal {

struct ReadRequest {
  uint64_t offset = 0;  // in the file, bytes
  size_t length = 0;    // bytes
  void* destination = nullptr;
};

struct ReadBatchOptions {
  // Reading threads; each takes a contiguous share of the requests, so keep them in file order.
  int threads = 1;
};

// Reads every request completely: short reads are continued, EINTR and EAGAIN retried. A read
// past the end of the file (it was truncated) or an I/O error fails with a kStorage error naming
// `path` and the byte range. Every read has finished when this returns, also on error.
absl::Status ReadBatch(int fd, std::span<const ReadRequest> requests,
                       const ReadBatchOptions& options, std::string_view path);

}  // namespace haystack::atlas_internal

#endif  // HAYSTACK_SRC_ATLAS_INTERNAL_READ_BATCH_H_
