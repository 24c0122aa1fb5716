#include "internal/postgres_notices.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
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

// The effective connect_timeout in milliseconds (libpq treats 1 as 2 s), or -1 for none.
int ConnectTimeoutMs(PGconn* conn) {
  int seconds = 0;
  PQconninfoOption* options = PQconninfo(conn);
  for (PQconninfoOption* o = options; o != nullptr && o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "connect_timeout" && o->val != nullptr) {
      seconds = std::atoi(o->val);
    }
  }
  PQconninfoFree(options);
  if (seconds <= 0) return -1;
  return std::max(seconds, 2) * 1000;
}

}  // namespace

void LogNoticesTo(PGconn* conn, const Logger* logger) {
  PQsetNoticeProcessor(conn, LogNotice, const_cast<Logger*>(logger));
}

PGconn* ConnectLoggingNotices(const std::string& conninfo, const Logger* logger) {
  PGconn* conn = PQconnectStart(conninfo.c_str());
  if (conn == nullptr) return nullptr;
  LogNoticesTo(conn, logger);
  if (PQstatus(conn) == CONNECTION_BAD) return conn;
  const int timeout_ms = ConnectTimeoutMs(conn);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     deadline - std::chrono::steady_clock::now())
                                     .count());
      if (wait_ms <= 0) {
        PQfinish(conn);
        return nullptr;
      }
    }
    pollfd fd{.fd = PQsocket(conn),
              .events = static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT),
              .revents = 0};
    const int ready = poll(&fd, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline is checked above
    state = PQconnectPoll(conn);
  }
  return conn;
}

}  // namespace haystack::store_internal
