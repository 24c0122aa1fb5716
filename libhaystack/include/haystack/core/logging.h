// Structured logging.
//
// On a terminal a line reads "2026-11-24 10:15:00.123 INFO  [run=hay_… phase=inference] text";
// otherwise (a batch engine collecting stderr) each line is one JSON object with Cloud
// Logging's field names: severity, message, time, plus run_id, phase, attempt, iteration and
// any per-message fields, and logging.googleapis.com/operation grouping a run's lines.
// Field values whose keys look secret and credentials inside messages are redacted.
//
// In JSON mode every line is exactly one JSON object with a severity, whatever the text:
// newlines are escaped, bytes that are not UTF-8 (paths, database values) become U+FFFD, and
// the message and each string field are cut to kMaxLogValueBytes, so that one entry stays far
// below Cloud Logging's 256 KB entry limit.
#ifndef HAYSTACK_CORE_LOGGING_H_
#define HAYSTACK_CORE_LOGGING_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace haystack {

// The longest message or string field value a log line carries (longer ones are cut at a code
// point boundary and marked with the number of bytes left out).
inline constexpr size_t kMaxLogValueBytes = 16 * 1024;

enum class LogSeverity { kDebug = 100, kInfo = 200, kNotice = 300, kWarning = 400, kError = 500 };
enum class LogFormat { kAuto, kText, kJson };

struct LogField {
  using Value = std::variant<std::string, int64_t, double, bool>;
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  std::string key;
  Value value;
};

struct LogOptions {
  LogFormat format = LogFormat::kAuto;  // auto: text if stderr is a terminal, else JSON
  LogSeverity min_severity = LogSeverity::kInfo;
  std::ostream* stream = nullptr;  // nullptr: stderr
};

class Logger {
 public:
  // Builds a logger from options; cheap to copy (shares the sink).
  static Logger Create(const LogOptions& options);
  // A logger that drops everything.
  static Logger Null();

  // A logger whose lines all carry `fields` in addition to this logger's context.
  Logger With(std::initializer_list<LogField> fields) const;
  Logger With(const std::vector<LogField>& fields) const;

  void Log(LogSeverity severity, std::string_view message,
           std::initializer_list<LogField> fields = {}) const;
  void Debug(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogSeverity::kDebug, m, f);
  }
  void Info(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogSeverity::kInfo, m, f);
  }
  void Notice(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogSeverity::kNotice, m, f);
  }
  void Warning(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogSeverity::kWarning, m, f);
  }
  void Error(std::string_view m, std::initializer_list<LogField> f = {}) const {
    Log(LogSeverity::kError, m, f);
  }

  bool IsEnabled(LogSeverity severity) const;
  // True when lines are JSON objects (then nothing else may be written to the log's stream).
  bool WritesJson() const;

  struct Sink;  // implementation detail, shared between copies

 private:
  explicit Logger(std::shared_ptr<Sink> sink) : sink_(std::move(sink)) {}
  std::shared_ptr<Sink> sink_;
  std::vector<LogField> context_;
};

// Parses "debug", "info", "notice", "warning", "error" (case-insensitive).
bool ParseLogSeverity(std::string_view text, LogSeverity* out);
// Parses "auto", "text", "json".
bool ParseLogFormat(std::string_view text, LogFormat* out);

}  // namespace haystack

#endif  // HAYSTACK_CORE_LOGGING_H_
