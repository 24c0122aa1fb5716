#include "haystack/notify/mime_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

constexpr char kCrlf[] = "\r\n";

bool IsPlainHeaderText(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  // "=?" would be read as the start of an encoded word.
  // Longer text is encoded too, so that every header line stays within 78 characters.
  return text.find("=?") == std::string_view::npos && text.size() <= 60;
}

// Base64 body lines of 76 characters (RFC 2045 §6.8).
std::string Base64Lines(std::string_view data) {
  const std::string encoded = absl::Base64Escape(absl::string_view(data.data(), data.size()));
  std::string out;
  out.reserve(encoded.size() + encoded.size() / 76 * 2 + 2);
  for (size_t i = 0; i < encoded.size(); i += 76) {
    out.append(encoded, i, 76).append(kCrlf);
  }
  return out;
}

std::string Mailbox(const EmailAddress& address) {
  const std::string email = StripControlCharacters(address.email);
  const std::string name = StripControlCharacters(address.name);
  if (name.empty()) return absl::StrCat("<", email, ">");
  bool needs_encoding = !IsPlainHeaderText(name);
  if (!needs_encoding) {
    // A quoted-string display name: escape backslash and quote.
    std::string quoted;
    for (char c : name) {
      if (c == '\\' || c == '"') quoted.push_back('\\');
      quoted.push_back(c);
    }
    return absl::StrCat("\"", quoted, "\" <", email, ">");
  }
  return absl::StrCat(EncodeHeaderText(name), " <", email, ">");
}

// The boundary cannot occur in base64 bodies: "=_" never appears in base64 text.
std::string Boundary(std::string_view message_id) {
  std::string safe;
  for (char c : message_id) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) safe.push_back(c);
  }
  return absl::StrCat("=_haystack_", safe.substr(0, 40));
}

}  // namespace

std::string EncodeHeaderText(std::string_view text) {
  if (IsPlainHeaderText(text)) return std::string(text);
  // 36 bytes → 48 base64 characters → 60-character words: with a header name in front
  // ("Subject: ") a line stays under 78 characters (RFC 5322 §2.1.1, RFC 2047 §2).
  constexpr size_t kBytesPerWord = 36;
  std::string out;
  while (!text.empty()) {
    std::string_view piece = TruncateUtf8(text, kBytesPerWord);
    if (piece.empty()) piece = text.substr(0, 1);  // invalid UTF-8: never loop forever
    if (!out.empty()) absl::StrAppend(&out, kCrlf, " ");
    absl::StrAppend(&out, "=?UTF-8?B?",
                    absl::Base64Escape(absl::string_view(piece.data(), piece.size())), "?=");
    text.remove_prefix(piece.size());
  }
  return out;
}

std::string BuildMimeMessage(const MimeMessage& message) {
  const std::string boundary = Boundary(message.message_id);
  std::string out;
  auto header = [&out](std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append(kCrlf);
  };
  header("From", Mailbox(message.from));
  header("To", Mailbox(message.to));
  if (message.reply_to) header("Reply-To", Mailbox(*message.reply_to));
  header("Subject", EncodeHeaderText(StripControlCharacters(message.subject)));
  header("Date",
         absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", message.date, absl::UTCTimeZone()));
  header("Message-ID", absl::StrCat("<", StripControlCharacters(message.message_id), ">"));
  for (const auto& [name, value] : message.extra_headers) {
    header(StripControlCharacters(name), EncodeHeaderText(StripControlCharacters(value)));
  }
  header("MIME-Version", "1.0");
  header("Content-Type",
         absl::StrCat("multipart/alternative;", kCrlf, " boundary=\"", boundary, "\""));
  absl::StrAppend(&out, kCrlf, "This is a multipart message in MIME format.", kCrlf);
  auto part = [&](std::string_view type, std::string_view body) {
    out.append(kCrlf).append("--").append(boundary).append(kCrlf);
    out.append("Content-Type: ").append(type).append("; charset=UTF-8").append(kCrlf);
    out.append("Content-Transfer-Encoding: base64").append(kCrlf).append(kCrlf);
    out.append(Base64Lines(body));
  };
  part("text/plain", message.text);
  part("text/html", message.html);
  absl::StrAppend(&out, kCrlf, "--", boundary, "--", kCrlf);
  return out;
}

}  // namespace haystack
