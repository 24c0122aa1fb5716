// Non-blocking libpq I/O with deadlines: connecting, sending and reading are done through
// libpq's asynchronous API and poll(), so that a silent network (a stalled proxy, a dropped
// route) or a shutdown ends a wait at a known time instead of the kernel's TCP timeout.
#ifndef HAYSTACK_STORE_INTERNAL_POSTGRES_IO_H_
#define HAYSTACK_STORE_INTERNAL_POSTGRES_IO_H_

#include <libpq-fe.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/logging.h"
#include "haystack/core/stop_token.h"

namespace haystack::store_internal {

// libpq's messages end with a newline (and sometimes a space): without them.
std::string TrimLibpqMessage(std::string message);

// When a wait must end: at `deadline`, or `grace` after `stop` fires, whichever is first.
class IoDeadline {
 public:
  IoDeadline(absl::Time deadline, StopToken stop, absl::Duration grace)
      : deadline_(deadline), stop_(std::move(stop)), grace_(grace) {}
  absl::Time Current();
  bool Expired() { return absl::Now() >= Current(); }
  // True once the stop token has shortened the deadline.
  bool stopped() const { return stop_seen_.has_value(); }

 private:
  absl::Time deadline_;
  StopToken stop_;
  absl::Duration grace_;
  std::optional<absl::Time> stop_seen_;
};

// Waits until the connection's socket is readable (or writable, if `write`); false when the
// deadline passed first.
bool WaitForSocket(PGconn* conn, bool write, IoDeadline& deadline);

// Connects within `deadline`. Never returns a connection that is not CONNECTION_OK. Errors are
// retryable kUnavailable (kind kDatabase) without the password. With `notices`, the server's
// notices go to it from the start (internal/postgres_notices.h), startup ones included;
// `notices` must outlive the connection.
absl::StatusOr<PGconn*> ConnectWithin(const std::string& conninfo, IoDeadline& deadline,
                                      const Logger* notices = nullptr);

// Checks what libpq would refuse without contacting a server: the URI or key=value syntax,
// unknown parameters, and the values of sslmode, gssencmode, channel_binding,
// target_session_attrs, port and the integer options. kConfiguration, password redacted.
absl::Status ValidatePostgresConninfo(const std::string& conninfo);

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_INTERNAL_POSTGRES_IO_H_
