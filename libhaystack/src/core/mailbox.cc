#include "haystack/core/mailbox.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

constexpr size_t kMaxMailboxBytes = 254;
constexpr size_t kMaxLocalPartBytes = 64;
constexpr size_t kMaxDomainBytes = 253;
constexpr size_t kMaxLabelBytes = 63;

absl::Status Invalid(std::string_view address, std::string_view why) {
  return InvalidInputError(ErrorKind::kConfiguration,
                           absl::StrCat("'", QuoteForMessage(address, 80),
                                        "' is not one email address: ", std::string(why)));
}

// RFC 5322 atext.
bool IsAtext(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsLetDig(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)); }

absl::Status ValidateLocalPart(std::string_view address, std::string_view local) {
  if (local.empty()) return Invalid(address, "nothing before the @");
  if (local.size() > kMaxLocalPartBytes) {
    return Invalid(address, absl::StrCat("the part before the @ is longer than ",
                                         kMaxLocalPartBytes, " bytes"));
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return Invalid(address, "the part before the @ has a leading, trailing or double dot");
  }
  for (char c : local) {
    if (c != '.' && !IsAtext(c)) {
      return Invalid(address, absl::StrCat("the part before the @ contains '",
                                           QuoteForMessage(std::string_view(&c, 1)), "'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDomain(std::string_view address, std::string_view domain) {
  if (domain.empty()) return Invalid(address, "no domain after the @");
  if (domain.size() > kMaxDomainBytes) {
    return Invalid(address, absl::StrCat("the domain is longer than ", kMaxDomainBytes, " bytes"));
  }
  if (domain.front() == '[') return Invalid(address, "address literals are not accepted");
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return Invalid(address, "the domain has an empty label");
    if (label.size() > kMaxLabelBytes) {
      return Invalid(address,
                     absl::StrCat("a domain label is longer than ", kMaxLabelBytes, " bytes"));
    }
    if (!IsLetDig(label.front()) || !IsLetDig(label.back())) {
      return Invalid(address,
                     "a domain label starts or ends with something other than a "
                     "letter or digit");
    }
    for (char c : label) {
      if (!IsLetDig(c) && c != '-') {
        return Invalid(address, absl::StrCat("the domain contains '",
                                             QuoteForMessage(std::string_view(&c, 1)), "'"));
      }
    }
    if (dot == std::string_view::npos) return absl::OkStatus();
    start = dot + 1;
  }
}

}  // namespace

absl::Status ValidateMailbox(std::string_view address) {
  if (address.empty()) return Invalid(address, "it is empty");
  if (address.size() > kMaxMailboxBytes) {
    return Invalid(address, absl::StrCat("it is ", address.size(), " bytes long; the limit is ",
                                         kMaxMailboxBytes));
  }
  for (char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return Invalid(address, "it contains a control character");
    if (byte >= 0x80) return Invalid(address, "it contains non-ASCII characters");
  }
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return Invalid(address, "there is no @");
  const std::string_view local = address.substr(0, at);
  if (local.find('@') != std::string_view::npos) {
    return Invalid(address, "there is more than one @");
  }
  if (!local.empty() && local.front() == '"') {
    return Invalid(address, "quoted local parts are not accepted");
  }
  HAYSTACK_RETURN_IF_ERROR(ValidateLocalPart(address, local));
  return ValidateDomain(address, address.substr(at + 1));
}

RecipientChoice ChooseRecipient(const std::optional<std::string>& override_address,
                                std::string_view record_address) {
  RecipientChoice choice;
  if (override_address && !override_address->empty()) {
    absl::Status valid = ValidateMailbox(*override_address);
    if (valid.ok()) {
      choice.address = *override_address;
      return choice;
    }
    choice.warnings.push_back(absl::StrCat("USER_EMAIL is ignored: ", valid.message()));
  }
  if (record_address.empty()) {
    choice.warnings.push_back("the run record has no user_email");
  } else if (absl::Status valid = ValidateMailbox(record_address); valid.ok()) {
    choice.address = std::string(record_address);
    if (!choice.warnings.empty()) {
      choice.warnings.back() += "; the run record's user_email is used instead";
    }
    return choice;
  } else {
    choice.warnings.push_back(
        absl::StrCat("the run record's user_email is ignored: ", valid.message()));
  }
  choice.warnings.push_back(
      "no valid email address for this run: the run is executed and recorded, and no email is "
      "sent");
  return choice;
}

}  // namespace haystack
