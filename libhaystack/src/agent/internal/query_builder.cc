#include "internal/query_builder.h"

#include <optional>
#include <string>

#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::agent_internal {

std::string Quoted(std::string_view text) { return "\"" + QuoteForMessage(text) + "\""; }

absl::Status ValidateQueryText(std::string_view raw_query, size_t max_bytes) {
  return ValidateText(
      "query", raw_query,
      {.max_bytes = max_bytes, .allow_newlines = true, .kind = ErrorKind::kQueryParsing});
}

}  // namespace haystack::agent_internal
