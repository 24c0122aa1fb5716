#include "haystack/notify/notifier.h"

#include "haystack/core/error.h"
#include "haystack/core/mailbox.h"

namespace haystack {

absl::Status ValidateRecipient(std::string_view address) {
  absl::Status valid = ValidateMailbox(address);
  if (valid.ok()) return valid;
  return MakeError(ErrorKind::kNotification, absl::StatusCode::kInvalidArgument,
                   std::string(valid.message()));
}

}  // namespace haystack
