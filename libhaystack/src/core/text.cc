#include "haystack/core/text.h"

#include <cstdint>

#include "fmt/format.h"
#include "haystack/core/error.h"

namespace haystack {
namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 if it is malformed.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(text[k]); };
  const uint8_t b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      i += 1;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string_view TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes so that no code point is cut in half.
  while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

std::string QuoteForMessage(std::string_view text, size_t max_chars) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < text.size();) {
    if (chars >= max_chars) {
      out += "…";
      break;
    }
    const size_t len = Utf8SequenceLength(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    if (len == 0 || (len == 1 && IsControl(c))) {
      out += fmt::format("\\x{:02x}", c);
      i += 1;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
    ++chars;
  }
  return out;
}

absl::Status ValidateText(std::string_view what, std::string_view text, const TextLimits& limits) {
  if (limits.max_bytes != 0 && text.size() > limits.max_bytes) {
    return InvalidInputError(limits.kind, fmt::format("{} is {} bytes long; the limit is {} bytes",
                                                      what, text.size(), limits.max_bytes));
  }
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      return InvalidInputError(
          limits.kind, fmt::format("{} is not valid UTF-8 (bad byte 0x{:02x} at offset {})", what,
                                   static_cast<uint8_t>(text[i]), i));
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (len == 1 && IsControl(c)) {
      const bool whitespace = c == '\n' || c == '\r' || c == '\t';
      if (!whitespace || !limits.allow_newlines) {
        return InvalidInputError(limits.kind,
                                 fmt::format("{} contains a control character (0x{:02x}) at "
                                             "offset {}",
                                             what, c, i));
      }
    }
    i += len;
  }
  return absl::OkStatus();
}

std::string StripControlCharacters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!IsControl(static_cast<unsigned char>(c))) out.push_back(c);
  }
  return out;
}

}  // namespace haystack
