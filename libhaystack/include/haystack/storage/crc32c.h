// CRC-32C (Castagnoli), the checksum GCS keeps for every object.
#ifndef HAYSTACK_STORAGE_CRC32C_H_
#define HAYSTACK_STORAGE_CRC32C_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace haystack {

// CRC-32C of `data`, continuing from `crc` (0 to start): Crc32c(b, Crc32c(a)) == Crc32c(a+b).
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);

// GCS's encoding: base64 of the four bytes in big-endian order ("yZRlqg==" for "hello world").
std::string Crc32cToBase64(uint32_t crc);
absl::StatusOr<uint32_t> Crc32cFromBase64(std::string_view text);

}  // namespace haystack

#endif  // HAYSTACK_STORAGE_CRC32C_H_
