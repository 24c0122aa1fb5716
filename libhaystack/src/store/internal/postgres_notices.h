// PostgreSQL's notices and warnings ("there is no transaction in progress", a collation
// version mismatch at connection time, RAISE NOTICE) go to the job's logger, never raw to
// stderr, so that JSON logs stay JSON.
#ifndef HAYSTACK_STORE_INTERNAL_POSTGRES_NOTICES_H_
#define HAYSTACK_STORE_INTERNAL_POSTGRES_NOTICES_H_

#include <libpq-fe.h>

#include <string>

#include "haystack/core/logging.h"

namespace haystack::store_internal {

// Sends the connection's notices to `logger`, which must outlive the connection: WARNING is
// logged as a warning; NOTICE, INFO, LOG and DEBUG at debug level; credentials redacted.
// Install it right after PQconnectStart, before the server says anything.
void LogNoticesTo(PGconn* conn, const Logger* logger);

// Like PQconnectdb, but with LogNoticesTo installed before the server says anything, so that
// notices sent while the session starts are logged too (PQconnectdb would print them).
// connect_timeout (from the conninfo or PGCONNECT_TIMEOUT) bounds the whole connection, not
// each host. Returns the connection in whatever state it ended (check PQstatus), or nullptr
// when connect_timeout expired first.
PGconn* ConnectLoggingNotices(const std::string& conninfo, const Logger* logger);

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_INTERNAL_POSTGRES_NOTICES_H_
