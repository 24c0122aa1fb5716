// Versioned schema migrations, applied at connect (docs/operations.md, "The database").
#ifndef HAYSTACK_STORE_INTERNAL_MIGRATIONS_H_
#define HAYSTACK_STORE_INTERNAL_MIGRATIONS_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "internal/sql_connection.h"

namespace haystack::store_internal {

// The version the code expects; ApplyMigrations brings a database up to it.
inline constexpr int kSchemaVersion = 2;

// Applies every migration newer than the database's version in one transaction under a lock
// (PostgreSQL advisory lock; SQLite BEGIN IMMEDIATE), so that concurrent jobs starting
// together apply each migration exactly once; re-applying is a no-op. A database newer than
// the code is refused. Returns the resulting version.
absl::StatusOr<int> ApplyMigrations(SqlConnection& db, absl::Time now);

absl::StatusOr<int> CurrentSchemaVersion(SqlConnection& db);

}  // namespace haystack::store_internal

#endif  // HAYSTACK_STORE_INTERNAL_MIGRATIONS_H_
