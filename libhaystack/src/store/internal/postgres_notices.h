// PostgreSQL's notices and warnings ("there is no transaction in progress", a collation
// version mismatch at connection time, RAISE NOTICE) go to the job's logger, never raw to
// stderr, so that JSON logs stay JSON.
#ifndef HAYSTACK_STORE_INTERNAL_POSTGRES_NOTICES_H_
#define HAYSTACK_STORE_INTERNAL_POSTGRES_NOTICES_H_

#include <libpq-fe.h>

#include "haystack/core/logging.h"

namespace haystack::store_internal {

// Sends the connection's notices to `logger`, which must outlive the connection: WARNING is
// logged as a warning; NOTICE, INFO, LOG and DEBUG at debug level; credentials redacted.
// Install it right after PQconnectStart, before the server says anything (ConnectWithin does).
void LogNoticesTo(PGconn* conn, const Logger* logger);

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_INTERNAL_POSTGRES_NOTICES_H_
