// JSON parsing, primitive values, timestamps and the object reader.
#include <cmath>
#include <limits>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"
#include "rapidjson/error/en.h"

namespace haystack {

absl::StatusOr<rapidjson::Document> ParseJsonDocument(std::string_view text, std::string_view what,
                                                      ErrorKind kind) {
  rapidjson::Document doc;
  // kParseValidateEncodingFlag rejects invalid UTF-8; kParseStopWhenDoneFlag is not set, so
  // trailing garbage after the document is an error too.
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNanAndInfFlag |
            rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  if (doc.HasParseError()) {
    return InvalidInputError(
        kind, fmt::format("{}: malformed JSON at byte {}: {}", what, doc.GetErrorOffset(),
                          rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

std::string_view JsonTypeName(const JsonValue& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "an unknown value";
}

absl::Status JsonTypeError(std::string_view path, std::string_view expected, const JsonValue& got) {
  return InvalidInputError(ErrorKind::kConfiguration, fmt::format("{}: expected {}, got {}", path,
                                                                  expected, JsonTypeName(got)));
}

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &time, &error)) {
    return InvalidInputError(
        ErrorKind::kConfiguration,
        fmt::format("invalid RFC 3339 timestamp '{}': {}", QuoteForMessage(text, 40), error));
  }
  return time;
}

// ---- Writing ------------------------------------------------------------------------------

void WriteJson(JsonWriter& w, const std::string& value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void WriteJson(JsonWriter& w, std::string_view value) {
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}
void WriteJson(JsonWriter& w, bool value) { w.Bool(value); }
void WriteJson(JsonWriter& w, int value) { w.Int(value); }
void WriteJson(JsonWriter& w, int64_t value) { w.Int64(value); }
void WriteJson(JsonWriter& w, double value) {
  if (std::isfinite(value)) {
    w.Double(value);
  } else {
    w.Null();
  }
}
void WriteJson(JsonWriter& w, absl::Time value) { WriteJson(w, FormatTimestamp(value)); }

// ---- Reading ------------------------------------------------------------------------------

absl::Status ReadJson(const JsonValue& v, std::string_view path, std::string* out) {
  if (!v.IsString()) return JsonTypeError(path, "a string", v);
  out->assign(v.GetString(), v.GetStringLength());
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, bool* out) {
  if (!v.IsBool()) return JsonTypeError(path, "a boolean", v);
  *out = v.GetBool();
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, int64_t* out) {
  if (v.IsInt64()) {
    *out = v.GetInt64();
    return absl::OkStatus();
  }
  // Accept integral doubles ("7.0"), as JSON has one number type.
  if (v.IsDouble()) {
    const double d = v.GetDouble();
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.0e15) {
      *out = static_cast<int64_t>(d);
      return absl::OkStatus();
    }
    return InvalidInputError(ErrorKind::kConfiguration,
                             fmt::format("{}: expected an integer, got {}", path, d));
  }
  return JsonTypeError(path, "an integer", v);
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, int* out) {
  int64_t wide = 0;
  HAYSTACK_RETURN_IF_ERROR(ReadJson(v, path, &wide));
  if (wide < std::numeric_limits<int>::min() || wide > std::numeric_limits<int>::max()) {
    return InvalidInputError(
        ErrorKind::kConfiguration,
        fmt::format("{}: {} is out of range for a 32-bit integer", path, wide));
  }
  *out = static_cast<int>(wide);
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, double* out) {
  if (!v.IsNumber()) return JsonTypeError(path, "a number", v);
  const double d = v.GetDouble();
  if (!std::isfinite(d)) {
    return InvalidInputError(ErrorKind::kConfiguration,
                             fmt::format("{}: expected a finite number", path));
  }
  *out = d;
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, absl::Time* out) {
  std::string text;
  HAYSTACK_RETURN_IF_ERROR(ReadJson(v, path, &text));
  auto time = ParseTimestamp(text);
  if (!time.ok()) return Annotate(time.status(), path);
  *out = *time;
  return absl::OkStatus();
}

// ---- JsonObjectReader ---------------------------------------------------------------------

absl::StatusOr<JsonObjectReader> JsonObjectReader::Create(const JsonValue& value,
                                                          std::string_view path) {
  if (!value.IsObject()) return JsonTypeError(path, "an object", value);
  return JsonObjectReader(value, std::string(path));
}

std::string JsonObjectReader::MemberPath(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

const JsonValue* JsonObjectReader::Find(std::string_view key) {
  seen_.emplace_back(key);
  auto it = value_->FindMember(
      rapidjson::StringRef(key.data(), static_cast<rapidjson::SizeType>(key.size())));
  return it == value_->MemberEnd() ? nullptr : &it->value;
}

absl::Status JsonObjectReader::MissingError(std::string_view key) const {
  return InvalidInputError(ErrorKind::kConfiguration,
                           fmt::format("{}: required field is missing", MemberPath(key)));
}

std::vector<std::string> JsonObjectReader::UnknownKeys() const {
  std::vector<std::string> unknown;
  for (auto it = value_->MemberBegin(); it != value_->MemberEnd(); ++it) {
    std::string_view name(it->name.GetString(), it->name.GetStringLength());
    bool known = false;
    for (const auto& s : seen_) known = known || s == name;
    if (!known) unknown.emplace_back(name);
  }
  return unknown;
}

}  // namespace haystack
