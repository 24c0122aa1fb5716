#include "internal/read_batch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "haystack/core/error.h"
#include "haystack/core/parallel.h"
#include "internal/cat.h"

namespace haystack::atlas_internal {
namespace {

// Requests per extra thread: fewer are not worth starting a thread.
constexpr size_t kRequestsPerThread = 256;
// Requests whose residency decides whether a batch is warm.
constexpr size_t kResidencySample = 64;

absl::Status ReadFailed(std::string_view path, const ReadRequest& r, int error) {
  const std::string what =
      error == 0 ? std::string("end of file (truncated?)") : std::string(std::strerror(error));
  return MakeError(
      ErrorKind::kStorage, absl::StatusCode::kDataLoss,
      Cat(path, ": cannot read bytes [", r.offset, ", ", r.offset + r.length, "): ", what));
}

// Whether every page of `r` is in the page cache, read from `map`, a mapping of the file from
// byte `map_offset` (page aligned) that covers `r`.
bool Resident(const char* map, uint64_t map_offset, uint64_t page, const ReadRequest& r) {
  if (r.length == 0) return true;
  const uint64_t first = (r.offset - map_offset) / page;
  const uint64_t last = (r.offset + r.length - 1 - map_offset) / page;
  unsigned char resident[64];
  for (uint64_t p = first; p <= last; p += std::size(resident)) {
    const uint64_t pages = std::min<uint64_t>(std::size(resident), last + 1 - p);
    if (mincore(const_cast<char*>(map) + p * page, pages * page, resident) != 0) return false;
    for (uint64_t i = 0; i < pages; ++i) {
      if ((resident[i] & 1) == 0) return false;
    }
  }
  return true;
}

// Whether an evenly spaced sample of the requests is entirely in the page cache (mincore on a
// mapping of the requests' extent: address space only, nothing is read). A sample, because
// checking every page of a gather's extent costs ~35 ms per GiB, which made a warm 50k-row gather
// of the 2M-cell atlas 1.7x slower (docs/atlas.md). Unknown counts as not resident.
bool SampleResident(int fd, std::span<const ReadRequest> requests) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const ReadRequest& r : requests) {
    lo = std::min(lo, r.offset);
    hi = std::max(hi, r.offset + r.length);
  }
  lo = lo / page * page;
  const size_t length = static_cast<size_t>(hi - lo);
  void* map = mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(lo));
  if (map == MAP_FAILED) return false;
  bool resident = true;
  const size_t sample = std::min(kResidencySample, requests.size());
  for (size_t k = 0; k < sample && resident; ++k) {
    const ReadRequest& r = requests[k * requests.size() / sample];
    resident = Resident(static_cast<const char*>(map), lo, page, r);
  }
  munmap(map, length);
  return resident;
}

// Asks the kernel to start reading every request now. On pages already cached the hint only
// looks them up; on missing ones it queues the reads, all at once, in file order.
void RequestAll(int fd, std::span<const ReadRequest> requests) {
  for (const ReadRequest& r : requests) {
    if (r.length == 0) continue;
    (void)posix_fadvise(fd, static_cast<off_t>(r.offset), static_cast<off_t>(r.length),
                        POSIX_FADV_WILLNEED);
  }
}

absl::Status PreadAll(int fd, std::span<const ReadRequest> requests, std::string_view path) {
  for (const ReadRequest& r : requests) {
    char* dst = static_cast<char*>(r.destination);
    size_t done = 0;
    while (done < r.length) {
      const ssize_t n = pread(fd, dst + done, r.length - done, static_cast<off_t>(r.offset + done));
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return ReadFailed(path, r, n < 0 ? errno : 0);
      done += static_cast<size_t>(n);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadBatch(int fd, std::span<const ReadRequest> requests,
                       const ReadBatchOptions& options, std::string_view path) {
  if (requests.empty()) return absl::OkStatus();
  if (!SampleResident(fd, requests)) RequestAll(fd, requests);
  const size_t threads = std::clamp<size_t>(requests.size() / kRequestsPerThread, 1,
                                            static_cast<size_t>(std::max(1, options.threads)));
  if (threads == 1) return PreadAll(fd, requests, path);
  // Contiguous shares: requests in file order stay in file order within each thread.
  std::vector<absl::Status> status(threads);
  const size_t per = (requests.size() + threads - 1) / threads;
  ParallelFor(static_cast<int64_t>(threads), static_cast<int>(threads), [&](int64_t share, int) {
    const auto t = static_cast<size_t>(share);
    const size_t b = std::min(requests.size(), t * per);
    const size_t e = std::min(requests.size(), b + per);
    status[t] = PreadAll(fd, requests.subspan(b, e - b), path);
  });
  for (const absl::Status& s : status) HAYSTACK_RETURN_IF_ERROR(s);
  return absl::OkStatus();
}

}  // namespace haystack::atlas_internal
