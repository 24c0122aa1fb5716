#include "internal/postgres_io.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <string_view>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/redact.h"
#include "internal/postgres_notices.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {
namespace {

// Waits are cut into slices so that a stop is noticed promptly.
constexpr absl::Duration kSlice = absl::Milliseconds(100);

absl::Status Unavailable(std::string_view message) {
  return MarkRetryable(
      MakeError(ErrorKind::kDatabase, absl::StatusCode::kUnavailable, RedactSecrets(message)));
}

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

bool IsUnsignedInteger(std::string_view value) {
  return !value.empty() && value.size() <= 9 && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// Why libpq would refuse `value` for `keyword` at connection time, or "" if it would not.
std::string ProblemWith(std::string_view keyword, std::string_view value) {
  if (value.empty()) return "";
  if (keyword == "sslmode" &&
      !IsOneOf(value, {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})) {
    return "disable, allow, prefer, require, verify-ca or verify-full";
  }
  if (keyword == "gssencmode" && !IsOneOf(value, {"disable", "prefer", "require"})) {
    return "disable, prefer or require";
  }
  if (keyword == "channel_binding" && !IsOneOf(value, {"disable", "prefer", "require"})) {
    return "disable, prefer or require";
  }
  if (keyword == "target_session_attrs" &&
      !IsOneOf(value, {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"})) {
    return "any, read-write, read-only, primary, standby or prefer-standby";
  }
  if (keyword == "port") {
    size_t start = 0;
    while (start <= value.size()) {
      const size_t comma = std::min(value.find(',', start), value.size());
      const std::string_view port = value.substr(start, comma - start);
      start = comma + 1;
      if (port.empty()) continue;  // the default port for that host
      if (!IsUnsignedInteger(port) || std::stoi(std::string(port)) < 1 ||
          std::stoi(std::string(port)) > 65535) {
        return "port numbers between 1 and 65535";
      }
    }
  }
  if (IsOneOf(keyword, {"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout"}) &&
      !IsUnsignedInteger(value)) {
    return "a non-negative integer";
  }
  return "";
}

}  // namespace

std::string TrimLibpqMessage(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

absl::Time IoDeadline::Current() {
  if (!stop_seen_ && stop_.stop_requested()) stop_seen_ = absl::Now();
  return stop_seen_ ? std::min(deadline_, *stop_seen_ + grace_) : deadline_;
}

bool WaitForSocket(PGconn* conn, bool write, IoDeadline& deadline) {
  while (true) {
    const absl::Duration left = deadline.Current() - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    pollfd fd{
        .fd = PQsocket(conn), .events = static_cast<short>(write ? POLLOUT : POLLIN), .revents = 0};
    if (fd.fd < 0) return true;  // libpq reports the broken connection on the next call
    const int ms =
        static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(std::min(left, kSlice))));
    const int ready = poll(&fd, 1, ms);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return true;  // let libpq report it
  }
}

absl::StatusOr<PGconn*> ConnectWithin(const std::string& conninfo, IoDeadline& deadline,
                                      const Logger* notices) {
  PGconn* conn = PQconnectStart(conninfo.c_str());
  if (conn == nullptr) return Unavailable("cannot connect to PostgreSQL: out of memory");
  std::unique_ptr<PGconn, void (*)(PGconn*)> guard(conn, PQfinish);
  // Before the server says anything: PQconnectdb would print startup notices to stderr.
  if (notices != nullptr) LogNoticesTo(conn, notices);
  // libpq's protocol: start as if the last poll asked for writing.
  PostgresPollingStatusType polled =
      PQstatus(conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
  while (polled != PGRES_POLLING_OK) {
    if (polled == PGRES_POLLING_FAILED) {
      return Unavailable(
          fmt::format("cannot connect to PostgreSQL: {}", TrimLibpqMessage(PQerrorMessage(conn))));
    }
    if (!WaitForSocket(conn, polled == PGRES_POLLING_WRITING, deadline)) {
      return Unavailable(deadline.stopped()
                             ? "connecting to PostgreSQL was abandoned: the job is stopping"
                             : "cannot connect to PostgreSQL: no answer before the deadline");
    }
    polled = PQconnectPoll(conn);
  }
  return guard.release();
}

absl::Status ValidatePostgresConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? TrimLibpqMessage(error) : "out of memory";
    if (error != nullptr) PQfreemem(error);
    return ConfigurationError(
        fmt::format("the PostgreSQL database URL is malformed: {}", RedactSecrets(message)));
  }
  std::unique_ptr<PQconninfoOption, void (*)(PQconninfoOption*)> guard(options, PQconninfoFree);
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string expected = ProblemWith(o->keyword, o->val);
    if (expected.empty()) continue;
    return ConfigurationError(fmt::format("the PostgreSQL database URL sets {}='{}': expected {}",
                                          o->keyword, RedactSecrets(o->val), expected));
  }
  return absl::OkStatus();
}

}  // namespace haystack::store_internal
