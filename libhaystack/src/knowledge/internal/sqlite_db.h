// A thin RAII layer over the SQLite C API for the knowledge base: prepared statements that are
// stepped row by row with typed columns (the run store's SqlConnection materialises every value
// as text, which is too slow for the knowledge base's hot path and its bulk imports).
#ifndef HAYSTACK_KNOWLEDGE_INTERNAL_SQLITE_DB_H_
#define HAYSTACK_KNOWLEDGE_INTERNAL_SQLITE_DB_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace haystack::knowledge_internal {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  // Binding is 1-based like SQLite's. Text is copied.
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  // Steps once: true if a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps until done (for statements that return no rows).
  absl::Status Run();
  // Clears bindings and rewinds, keeping the compiled statement.
  void Reset();

  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  std::string_view TextView(int column) const;  // valid until the next Step/Reset
  bool IsNull(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  enum class Mode { kReadOnly, kReadWriteCreate };
  // Errors: kStorage/NotFound for a missing read-only file, kDatabase otherwise.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path, Mode mode);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  absl::StatusOr<Statement> Prepare(std::string_view sql);
  // Runs a script of statements without parameters.
  absl::Status Exec(std::string_view sql);
  // The single integer a query returns (e.g. COUNT(*)); 0 when it returns no row.
  absl::StatusOr<int64_t> QueryInt(std::string_view sql);
  // The error of the last failed call, prefixed with `what`.
  absl::Status Error(std::string_view what) const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// "a'b" → "'a''b'": a string literal for statements that cannot take parameters (ATTACH).
std::string SqlQuote(std::string_view text);

}  // namespace haystack::knowledge_internal

#endif  // HAYSTACK_KNOWLEDGE_INTERNAL_SQLITE_DB_H_
