#include "haystack/core/enums.h"

#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack {

bool IsPerturbational(TaskType type) {
  return type == TaskType::kPerturbationNovelCellTypes ||
         type == TaskType::kPerturbationNovelSamples;
}

bool IsTerminal(RunStatus status) {
  return status == RunStatus::kCompleted || status == RunStatus::kFailed ||
         status == RunStatus::kCancelled;
}

absl::Status UnknownEnumValueError(std::string_view type_name, std::string_view text,
                                   std::string_view accepted) {
  std::string message = "unknown ";
  message += type_name;
  message += " '";
  message += QuoteForMessage(text, 64);
  message += "'; expected one of: ";
  message += accepted;
  return InvalidInputError(ErrorKind::kConfiguration, message);
}

}  // namespace haystack
