#include "haystack/storage/crc32c.h"

#include <array>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

// Reflected Castagnoli polynomial (RFC 3720 §B.4).
constexpr uint32_t kPolynomial = 0x82F63B78u;

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolynomial : 0u);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kTable = MakeTable();

}  // namespace

uint32_t Crc32c(std::string_view data, uint32_t crc) {
  crc = ~crc;
  for (unsigned char byte : data) crc = kTable[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

std::string Crc32cToBase64(uint32_t crc) {
  const char bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                         static_cast<char>(crc >> 8), static_cast<char>(crc)};
  return absl::Base64Escape(absl::string_view(bytes, 4));
}

absl::StatusOr<uint32_t> Crc32cFromBase64(std::string_view text) {
  std::string bytes;
  if (!absl::Base64Unescape(absl::string_view(text.data(), text.size()), &bytes) ||
      bytes.size() != 4) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kDataLoss,
                     absl::StrCat("not a base64 CRC-32C: ", QuoteForMessage(text)));
  }
  uint32_t crc = 0;
  for (unsigned char c : bytes) crc = (crc << 8) | c;
  return crc;
}

}  // namespace haystack
