// Email addresses that reach exactly one person: the recipient of a run's email comes from
// USER_EMAIL or the run record, both outside our control, and a value such as
// "ada@example.org>,<evil@attacker.example" must never become two recipients.
#ifndef HAYSTACK_CORE_MAILBOX_H_
#define HAYSTACK_CORE_MAILBOX_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace haystack {

// Accepts exactly one RFC 5321 mailbox, Local-part "@" Domain, in its plain ASCII form:
//   - the local part is a Dot-string (atext: letters, digits and !#$%&'*+-/=?^_`{|}~, dots
//     between atoms), at most 64 bytes; quoted local parts are refused (they would admit
//     spaces, commas and angle brackets);
//   - the domain is one or more dot-separated labels of letters, digits and inner hyphens,
//     each at most 63 bytes, 253 in all; address literals ("[192.0.2.1]") are refused;
//   - at most 254 bytes in all (RFC 5321's 256-byte path minus the angle brackets).
// Display names, lists, comments, whitespace, control characters and non-ASCII (RFC 6531
// internationalised addresses) are refused. The error (kConfiguration, kInvalidArgument)
// says what is wrong, quoting the address safely.
absl::Status ValidateMailbox(std::string_view address);

struct RecipientChoice {
  std::string address;                // empty: no valid address, nobody is emailed
  std::vector<std::string> warnings;  // why an address was passed over, for the log
};

// The run's email goes to `override_address` (USER_EMAIL) when it is a valid mailbox, else to
// `record_address` (the run record's user_email) when that is, else to nobody. Every address
// passed over, and the "nobody" outcome, is explained in `warnings`: there is never a silent
// no-email.
RecipientChoice ChooseRecipient(const std::optional<std::string>& override_address,
                                std::string_view record_address);

}  // namespace haystack

#endif  // HAYSTACK_CORE_MAILBOX_H_
