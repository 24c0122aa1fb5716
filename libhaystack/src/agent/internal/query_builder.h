// Helpers both query analyzers share: quoting untrusted text and the query's own limits.
#ifndef HAYSTACK_SRC_AGENT_INTERNAL_QUERY_BUILDER_H_
#define HAYSTACK_SRC_AGENT_INTERNAL_QUERY_BUILDER_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "haystack/core/query.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack::agent_internal {

// Untrusted text for a message: in double quotes, control bytes escaped, cut to ~80 chars.
std::string Quoted(std::string_view text);

// The query limits both analyzers enforce before looking at the text.
absl::Status ValidateQueryText(std::string_view raw_query, size_t max_bytes);

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_SRC_AGENT_INTERNAL_QUERY_BUILDER_H_
