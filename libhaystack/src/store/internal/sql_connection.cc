#include "internal/sql_connection.h"

#include "absl/strings/cord.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"

namespace haystack::store_internal {

const std::optional<std::string>& SqlResult::Get(size_t row, std::string_view name) const {
  for (size_t c = 0; c < columns_.size(); ++c) {
    if (columns_[c] == name) return rows_.at(row).at(c);
  }
  static const std::optional<std::string> kMissing;
  return kMissing;
}

bool SqlResult::HasColumn(std::string_view name) const {
  for (const auto& c : columns_) {
    if (c == name) return true;
  }
  return false;
}

namespace {
constexpr char kRetryablePayload[] = "haystack.dev/sql-retryable";
}  // namespace

absl::Status MarkRetryable(absl::Status status) {
  status.SetPayload(kRetryablePayload, absl::Cord("1"));
  return status;
}

bool IsRetryableSqlError(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kRetryablePayload).has_value();
}

bool ParseSqlBool(const std::optional<std::string>& value) {
  return value && (*value == "t" || *value == "true" || *value == "1");
}

absl::StatusOr<absl::Time> ParseSqlTimestamp(std::string_view text) {
  std::string normalized(text);
  if (normalized.size() > 10 && normalized[10] == ' ') normalized[10] = 'T';
  // "+00" → "+00:00"
  const size_t sign = normalized.find_last_of("+-");
  if (sign != std::string::npos && sign > 10 && normalized.size() - sign == 3) {
    normalized += ":00";
  }
  auto time = ParseTimestamp(normalized);
  if (!time.ok()) {
    return MakeError(ErrorKind::kDatabase, absl::StatusCode::kDataLoss,
                     fmt::format("unreadable timestamp in the run database: {}",
                                 std::string(time.status().message())));
  }
  return *time;
}

}  // namespace haystack::store_internal
