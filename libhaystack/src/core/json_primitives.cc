// JSON parsing, primitive values, timestamps and the object reader.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

#include "absl/time/clock.h"
#include "fmt/format.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "rapidjson/reader.h"

namespace haystack {

namespace {

// Forwards parse events to the document being built and refuses to open a container past the
// depth limit, which stops the parser there (kParseErrorTermination).
class DepthLimitedHandler {
 public:
  using Ch = char;
  DepthLimitedHandler(rapidjson::Document& doc, int max_depth) : doc_(doc), max_depth_(max_depth) {}

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned i) { return doc_.Uint(i); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t i) { return doc_.Uint64(i); }
  bool Double(double d) { return doc_.Double(d); }
  // Every number arrives here as text (kParseNumbersAsStringsFlag). RapidJSON 1.1.0's own
  // full-precision conversion returns garbage for numbers below the smallest double ("0.000…1"
  // with 323 zeros gives NaN) and reads outside its table of powers of ten further down (found
  // by tests/fuzz); std::from_chars is correctly rounded for every input.
  bool RawNumber(const Ch* s, rapidjson::SizeType n, bool /*copy*/) {
    const char* end = s + n;
    if (std::none_of(s, end, [](char c) { return c == '.' || c == 'e' || c == 'E' || c > '9'; })) {
      if (*s == '-') {
        int64_t i = 0;
        if (std::from_chars(s, end, i).ec == std::errc()) return doc_.Int64(i);
      } else {
        uint64_t u = 0;
        if (std::from_chars(s, end, u).ec == std::errc()) return doc_.Uint64(u);
      }
      // Integers beyond 64 bits are read as doubles, as RapidJSON does.
    }
    double d = 0;
    if (std::from_chars(s, end, d).ec != std::errc()) {
      out_of_range_ = true;  // beyond 1.8e308, or a non-zero number below 2.5e-324
      return false;
    }
    return doc_.Double(d);
  }
  bool String(const Ch* s, rapidjson::SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const Ch* s, rapidjson::SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return Open() && doc_.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndObject(n);
  }
  bool StartArray() { return Open() && doc_.StartArray(); }
  bool EndArray(rapidjson::SizeType n) {
    --depth_;
    return doc_.EndArray(n);
  }

  bool too_deep() const { return too_deep_; }
  bool out_of_range() const { return out_of_range_; }

 private:
  bool Open() {
    if (depth_ >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    ++depth_;
    return true;
  }

  rapidjson::Document& doc_;
  int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool out_of_range_ = false;
};

}  // namespace

absl::StatusOr<rapidjson::Document> ParseJsonDocument(std::string_view text, std::string_view what,
                                                      ErrorKind kind, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return InvalidInputError(kind, fmt::format("{}: the JSON document is {} bytes; the limit is {}",
                                               what, text.size(), limits.max_bytes));
  }
  // kParseIterativeFlag: the parser keeps its state on the heap, never on the call stack.
  // kParseValidateEncodingFlag rejects invalid UTF-8; kParseStopWhenDoneFlag is not set, so
  // trailing garbage after the document is an error too.
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
      rapidjson::kParseNanAndInfFlag | rapidjson::kParseNumbersAsStringsFlag;
  rapidjson::Document doc;
  rapidjson::ParseResult result;
  bool too_deep = false, out_of_range = false;
  auto generate = [&](rapidjson::Document& target) {
    rapidjson::MemoryStream memory(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(memory);
    DepthLimitedHandler handler(target, limits.max_depth);
    rapidjson::Reader reader;
    result = reader.Parse<kFlags>(input, handler);
    too_deep = handler.too_deep();
    out_of_range = handler.out_of_range();
    return !result.IsError();
  };
  doc.Populate(generate);
  if (too_deep) {
    return InvalidInputError(kind, fmt::format("{}: JSON nested deeper than {} levels (at byte {})",
                                               what, limits.max_depth, result.Offset()));
  }
  if (out_of_range) {
    return InvalidInputError(
        kind, fmt::format("{}: a number outside the range of a double at byte {}", what,
                          result.Offset()));
  }
  if (result.IsError()) {
    return InvalidInputError(kind,
                             fmt::format("{}: malformed JSON at byte {}: {}", what, result.Offset(),
                                         rapidjson::GetParseError_En(result.Code())));
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

void WriteJson(JsonWriter& w, const JsonValue& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      w.Null();
      return;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      w.Bool(value.GetBool());
      return;
    case rapidjson::kStringType:
      w.String(value.GetString(), value.GetStringLength());
      return;
    case rapidjson::kNumberType:
      if (value.IsInt64()) {
        w.Int64(value.GetInt64());
      } else if (value.IsUint64()) {
        w.Uint64(value.GetUint64());
      } else {
        w.Double(value.GetDouble());
      }
      return;
    case rapidjson::kObjectType: {
      const int depth = w.depth();
      w.StartObject();
      // A dropped container (too deep) is not descended into: the recursion stops here.
      if (w.depth() > depth) {
        for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
          w.Key(it->name.GetString(), it->name.GetStringLength());
          WriteJson(w, it->value);
        }
      }
      w.EndObject();
      return;
    }
    case rapidjson::kArrayType: {
      const int depth = w.depth();
      w.StartArray();
      if (w.depth() > depth) {
        for (const JsonValue& element : value.GetArray()) WriteJson(w, element);
      }
      w.EndArray();
      return;
    }
  }
}

// ---- JsonWriter ---------------------------------------------------------------------------

bool JsonWriter::Null() { return Skipping() || writer_.Null(); }
bool JsonWriter::Bool(bool value) { return Skipping() || writer_.Bool(value); }
bool JsonWriter::Int(int value) { return Skipping() || writer_.Int(value); }
bool JsonWriter::Uint(unsigned value) { return Skipping() || writer_.Uint(value); }
bool JsonWriter::Int64(int64_t value) { return Skipping() || writer_.Int64(value); }
bool JsonWriter::Uint64(uint64_t value) { return Skipping() || writer_.Uint64(value); }

bool JsonWriter::Double(double value) {
  if (Skipping()) return true;
  return std::isfinite(value) ? writer_.Double(value) : writer_.Null();
}

bool JsonWriter::RawNumber(const Ch* text, rapidjson::SizeType length, bool copy) {
  return Skipping() || writer_.RawNumber(text, length, copy);
}

bool JsonWriter::String(const Ch* text, rapidjson::SizeType length, bool copy) {
  if (Skipping()) return true;
  const std::string_view view(text, length);
  if (IsValidUtf8(view)) return writer_.String(text, length, copy);
  const std::string clean = SanitizeUtf8(view);
  return writer_.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), true);
}

bool JsonWriter::String(const Ch* text) {
  return String(text, static_cast<rapidjson::SizeType>(std::char_traits<char>::length(text)));
}

bool JsonWriter::Key(const Ch* text, rapidjson::SizeType length, bool copy) {
  if (Skipping()) return true;
  const std::string_view view(text, length);
  if (IsValidUtf8(view)) return writer_.Key(text, length, copy);
  const std::string clean = SanitizeUtf8(view);
  return writer_.Key(clean.data(), static_cast<rapidjson::SizeType>(clean.size()), true);
}

bool JsonWriter::Key(const Ch* text) {
  return Key(text, static_cast<rapidjson::SizeType>(std::char_traits<char>::length(text)));
}

bool JsonWriter::StartObject() { return Start(/*object=*/true); }
bool JsonWriter::EndObject(rapidjson::SizeType) { return End(/*object=*/true); }
bool JsonWriter::StartArray() { return Start(/*object=*/false); }
bool JsonWriter::EndArray(rapidjson::SizeType) { return End(/*object=*/false); }

bool JsonWriter::Start(bool object) {
  if (Skipping()) {
    ++skipped_levels_;
    return true;
  }
  if (depth_ >= max_depth_) {
    truncated_ = true;
    skipped_levels_ = 1;
    return writer_.Null();
  }
  ++depth_;
  return object ? writer_.StartObject() : writer_.StartArray();
}

bool JsonWriter::End(bool object) {
  if (Skipping()) {
    --skipped_levels_;
    return true;
  }
  --depth_;
  return object ? writer_.EndObject() : writer_.EndArray();
}

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
