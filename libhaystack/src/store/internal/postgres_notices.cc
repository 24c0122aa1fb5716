#include "internal/postgres_notices.h"

#include <string_view>

#include "haystack/core/redact.h"

namespace haystack::store_internal {
namespace {

void LogNotice(void* arg, const char* message) {
  std::string_view text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  const LogSeverity severity =
      text.starts_with("WARNING") ? LogSeverity::kWarning : LogSeverity::kDebug;
  static_cast<const Logger*>(arg)->Log(severity, RedactSecrets(text),
                                       {{"component", "postgresql"}});
}

}  // namespace

void LogNoticesTo(PGconn* conn, const Logger* logger) {
  PQsetNoticeProcessor(conn, LogNotice, const_cast<Logger*>(logger));
}

}  // namespace haystack::store_internal
