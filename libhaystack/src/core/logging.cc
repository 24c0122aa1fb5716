#include "haystack/core/logging.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/json.h"
#include "haystack/core/redact.h"
#include "haystack/core/settings.h"
#include "haystack/core/text.h"
#include "spdlog/logger.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace haystack {

struct Logger::Sink {
  std::shared_ptr<spdlog::logger> logger;  // null: discard
  bool json = false;
  LogSeverity min_severity = LogSeverity::kInfo;
};

namespace {

std::string_view SeverityName(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return "DEBUG";
    case LogSeverity::kInfo:
      return "INFO";
    case LogSeverity::kNotice:
      return "NOTICE";
    case LogSeverity::kWarning:
      return "WARNING";
    case LogSeverity::kError:
      return "ERROR";
  }
  return "DEFAULT";
}

spdlog::level::level_enum SpdlogLevel(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return spdlog::level::debug;
    case LogSeverity::kInfo:
    case LogSeverity::kNotice:
      return spdlog::level::info;
    case LogSeverity::kWarning:
      return spdlog::level::warn;
    case LogSeverity::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

bool IsSecretField(std::string_view key) {
  std::string lower(key);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return Settings::IsSecretKey(lower) || lower == "authorization" || lower == "password" ||
         lower == "api_key" || lower == "token";
}

// Cuts `text` to kMaxLogValueBytes, saying how much was left out, and redacts credentials.
std::string LogText(std::string_view text) {
  if (text.size() <= kMaxLogValueBytes) return RedactSecrets(text);
  const std::string_view kept = TruncateUtf8(text, kMaxLogValueBytes);
  return RedactSecrets(
      fmt::format("{}… [{} more bytes not logged]", kept, text.size() - kept.size()));
}

void WriteValue(JsonWriter& w, const LogField& field) {
  if (IsSecretField(field.key)) {
    WriteJson(w, kRedacted);
    return;
  }
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          WriteJson(w, LogText(v));
        } else {
          WriteJson(w, v);
        }
      },
      field.value);
}

std::string TextValue(const LogField& field) {
  if (IsSecretField(field.key)) return std::string(kRedacted);
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return LogText(v);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else {
          return fmt::format("{}", v);
        }
      },
      field.value);
}

std::string FormatJsonLine(LogSeverity severity, std::string_view message,
                           const std::vector<LogField>& context,
                           std::initializer_list<LogField> fields) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  WriteMember(w, "severity", SeverityName(severity));
  WriteMember(w, "message", LogText(message));
  WriteMember(w, "time", FormatTimestamp(absl::Now()));
  const std::string* run_id = nullptr;
  for (const auto& field : context) {
    w.Key(field.key.c_str());
    WriteValue(w, field);
    if (field.key == "run_id") run_id = std::get_if<std::string>(&field.value);
  }
  for (const auto& field : fields) {
    w.Key(field.key.c_str());
    WriteValue(w, field);
  }
  if (run_id != nullptr) {
    // Groups every line of one run in Cloud Logging.
    w.Key("logging.googleapis.com/operation");
    w.StartObject();
    WriteMember(w, "id", *run_id);
    WriteMember(w, "producer", std::string_view("haystack-orchestrator"));
    w.EndObject();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string FormatTextLine(LogSeverity severity, std::string_view message,
                           const std::vector<LogField>& context,
                           std::initializer_list<LogField> fields) {
  std::string line = fmt::format("{:<7} ", SeverityName(severity));
  if (!context.empty()) {
    line += "[";
    for (size_t i = 0; i < context.size(); ++i) {
      if (i > 0) line += " ";
      line += context[i].key + "=" + TextValue(context[i]);
    }
    line += "] ";
  }
  line += LogText(message);
  for (const auto& field : fields) line += " " + field.key + "=" + TextValue(field);
  return line;
}

}  // namespace

Logger Logger::Create(const LogOptions& options) {
  auto sink = std::make_shared<Sink>();
  sink->min_severity = options.min_severity;
  bool json = options.format == LogFormat::kJson;
  if (options.format == LogFormat::kAuto)
    json = options.stream != nullptr || !isatty(STDERR_FILENO);
  sink->json = json;
  std::shared_ptr<spdlog::sinks::sink> backend;
  if (options.stream != nullptr) {
    backend = std::make_shared<spdlog::sinks::ostream_sink_mt>(*options.stream, /*flush=*/true);
  } else {
    backend = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  // JSON lines carry their own time and severity; text lines get spdlog's timestamp.
  backend->set_pattern(json ? "%v" : "%Y-%m-%d %H:%M:%S.%e %v");
  sink->logger = std::make_shared<spdlog::logger>("haystack", backend);
  sink->logger->set_level(spdlog::level::trace);
  sink->logger->flush_on(spdlog::level::trace);  // one line per event, flushed: batch engines
  return Logger(std::move(sink));
}

Logger Logger::Null() { return Logger(std::make_shared<Sink>()); }

Logger Logger::With(std::initializer_list<LogField> fields) const {
  return With(std::vector<LogField>(fields));
}

Logger Logger::With(const std::vector<LogField>& fields) const {
  Logger child = *this;
  for (const auto& field : fields) {
    auto it = std::find_if(child.context_.begin(), child.context_.end(),
                           [&](const LogField& f) { return f.key == field.key; });
    if (it != child.context_.end()) {
      *it = field;
    } else {
      child.context_.push_back(field);
    }
  }
  return child;
}

bool Logger::WritesJson() const { return sink_->logger != nullptr && sink_->json; }

bool Logger::IsEnabled(LogSeverity severity) const {
  return sink_->logger != nullptr && severity >= sink_->min_severity;
}

void Logger::Log(LogSeverity severity, std::string_view message,
                 std::initializer_list<LogField> fields) const {
  if (!IsEnabled(severity)) return;
  const std::string line = sink_->json ? FormatJsonLine(severity, message, context_, fields)
                                       : FormatTextLine(severity, message, context_, fields);
  sink_->logger->log(SpdlogLevel(severity), "{}", line);
}

bool ParseLogSeverity(std::string_view text, LogSeverity* out) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto s : {LogSeverity::kDebug, LogSeverity::kInfo, LogSeverity::kNotice,
                 LogSeverity::kWarning, LogSeverity::kError}) {
    std::string name(SeverityName(s));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name == lower) {
      *out = s;
      return true;
    }
  }
  return false;
}

bool ParseLogFormat(std::string_view text, LogFormat* out) {
  if (text == "auto")
    *out = LogFormat::kAuto;
  else if (text == "text")
    *out = LogFormat::kText;
  else if (text == "json")
    *out = LogFormat::kJson;
  else
    return false;
  return true;
}

}  // namespace haystack
