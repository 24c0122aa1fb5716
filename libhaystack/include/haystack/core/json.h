// JSON encoding of the data model (RapidJSON).
//
// Every model type T has WriteJson(JsonWriter&, const T&) and
// ReadJson(const JsonValue&, std::string_view path, T*). ToJson/FromJson wrap them. Reading
// is strict about types and ranges and names the offending path in errors
// ("config.de_config.lfc_threshold: expected a number, got a string"); null and absent
// members leave defaults in place; unknown members are ignored so that newer writers can add
// fields (JsonObjectReader::UnknownKeys lists them for callers that want to warn).
#ifndef HAYSTACK_CORE_JSON_H_
#define HAYSTACK_CORE_JSON_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/enums.h"
#include "haystack/core/error.h"
#include "haystack/core/iteration.h"
#include "haystack/core/prompt.h"
#include "haystack/core/query.h"
#include "haystack/core/run.h"
#include "haystack/core/run_config.h"
#include "haystack/core/scores.h"
#include "rapidjson/document.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace haystack {

using JsonValue = rapidjson::Value;

// The bounds every JSON document HAYSTACK reads or writes is held to (docs/operations.md
// "Limits"). RapidJSON's default parser, its writer's Accept() and any walk over a document
// recurse once per level, so hostile nesting (a run record's config 100,000 levels deep, an
// HTTP answer a million deep) would overflow the stack; no document of ours nests beyond about
// eight levels.
inline constexpr int kMaxJsonDepth = 64;
// The default size bound of a parsed document: far above any record, settings file or API
// answer we read, small enough that a hostile one cannot exhaust memory.
inline constexpr size_t kMaxJsonBytes = size_t{64} << 20;

struct JsonLimits {
  int max_depth = kMaxJsonDepth;
  size_t max_bytes = kMaxJsonBytes;
};

// Parses a JSON document with RapidJSON's iterative parser (constant stack) within `limits`.
// Errors are kind `kind`, kInvalidArgument, and start with `what` (the source): a syntax error
// gives its byte offset, a document nested deeper than the limit the offset where it went too
// deep, an oversized one its size, a number a double cannot hold (beyond 1.8e308, or non-zero
// below 2.5e-324) where it starts. Numbers are converted by std::from_chars, correctly rounded.
// Invalid UTF-8 is a syntax error.
absl::StatusOr<rapidjson::Document> ParseJsonDocument(std::string_view text, std::string_view what,
                                                      ErrorKind kind = ErrorKind::kConfiguration,
                                                      const JsonLimits& limits = {});

// A rapidjson::Writer (the same Handler interface) with two guarantees for every document
// HAYSTACK writes: a container that would nest deeper than `max_depth` is written as null and
// its contents are dropped (truncated() then says so), and strings or keys that are not valid
// UTF-8 have each bad byte replaced by U+FFFD. NaN and infinities are written as null. The
// output is therefore always valid JSON text of bounded depth.
class JsonWriter {
 public:
  using Ch = char;
  explicit JsonWriter(rapidjson::StringBuffer& buffer, int max_depth = kMaxJsonDepth)
      : writer_(buffer), max_depth_(max_depth) {}

  bool Null();
  bool Bool(bool value);
  bool Int(int value);
  bool Uint(unsigned value);
  bool Int64(int64_t value);
  bool Uint64(uint64_t value);
  bool Double(double value);
  bool RawNumber(const Ch* text, rapidjson::SizeType length, bool copy = false);
  bool String(const Ch* text, rapidjson::SizeType length, bool copy = false);
  bool String(const Ch* text);
  bool Key(const Ch* text, rapidjson::SizeType length, bool copy = false);
  bool Key(const Ch* text);
  bool StartObject();
  bool EndObject(rapidjson::SizeType member_count = 0);
  bool StartArray();
  bool EndArray(rapidjson::SizeType element_count = 0);

  // True once a container was dropped for being too deep.
  bool truncated() const { return truncated_; }
  // Open containers that were written (dropped ones do not count).
  int depth() const { return depth_; }

 private:
  bool Skipping() const { return skipped_levels_ > 0; }
  bool Start(bool object);
  bool End(bool object);

  rapidjson::Writer<rapidjson::StringBuffer> writer_;
  int max_depth_;
  int depth_ = 0;
  int skipped_levels_ = 0;  // nesting inside a dropped container
  bool truncated_ = false;
};

// "a JSON string", "a JSON number", ...: for error messages.
std::string_view JsonTypeName(const JsonValue& value);

// RFC 3339 with microseconds, UTC: "2026-11-24T10:15:00.123456Z".
std::string FormatTimestamp(absl::Time time);
absl::StatusOr<absl::Time> ParseTimestamp(std::string_view text);

// ---- Writing --------------------------------------------------------------------------

void WriteJson(JsonWriter& w, const std::string& value);
void WriteJson(JsonWriter& w, std::string_view value);
void WriteJson(JsonWriter& w, bool value);
void WriteJson(JsonWriter& w, int value);
void WriteJson(JsonWriter& w, int64_t value);
void WriteJson(JsonWriter& w, double value);  // NaN/Inf are written as null
void WriteJson(JsonWriter& w, absl::Time value);
// A parsed value, written within the writer's depth bound without recursing past it (use this,
// not JsonValue::Accept, whose recursion is unbounded).
void WriteJson(JsonWriter& w, const JsonValue& value);
template <class T>
void WriteJson(JsonWriter& w, const std::optional<T>& value);
template <class T>
void WriteJson(JsonWriter& w, const std::vector<T>& values);
template <class T>
void WriteJson(JsonWriter& w, const std::map<std::string, T>& values);
template <class E>
requires std::is_enum_v<E>
void WriteJson(JsonWriter& w, E value) {
  const std::string_view name = EnumName(value);
  w.String(name.data(), static_cast<rapidjson::SizeType>(name.size()));
}
template <class T>
void WriteJson(JsonWriter& w, const std::optional<T>& value) {
  if (value) {
    WriteJson(w, *value);
  } else {
    w.Null();
  }
}
template <class T>
void WriteJson(JsonWriter& w, const std::vector<T>& values) {
  w.StartArray();
  for (const auto& v : values) WriteJson(w, v);
  w.EndArray();
}
template <class T>
void WriteJson(JsonWriter& w, const std::map<std::string, T>& values) {
  w.StartObject();
  for (const auto& [k, v] : values) {
    w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    WriteJson(w, v);
  }
  w.EndObject();
}

void WriteJson(JsonWriter& w, const DEAnalysisConfig& value);
void WriteJson(JsonWriter& w, const RunConfig& value);
void WriteJson(JsonWriter& w, const ControlCellInfo& value);
void WriteJson(JsonWriter& w, const CellTypeSelection& value);
void WriteJson(JsonWriter& w, const StructuredQuery& value);
void WriteJson(JsonWriter& w, const PairedControlMetadata& value);
void WriteJson(JsonWriter& w, const PromptCandidate& value);
void WriteJson(JsonWriter& w, const DeGene& value);
void WriteJson(JsonWriter& w, const DeSummary& value);
void WriteJson(JsonWriter& w, const EnrichedPathway& value);
void WriteJson(JsonWriter& w, const LiteratureEvidence& value);
void WriteJson(JsonWriter& w, const ScoreComponent& value);
void WriteJson(JsonWriter& w, const GroundingScore& value);
void WriteJson(JsonWriter& w, const ObservationalGroundingScore& value);
void WriteJson(JsonWriter& w, const AnyGroundingScore& value);  // adds "kind"
void WriteJson(JsonWriter& w, const IterationRecord& value);
void WriteJson(JsonWriter& w, const RunError& value);
void WriteJson(JsonWriter& w, const Run& value);  // config embedded as its stored text if valid

// Writes key + value; skips absent optionals so documents stay small.
template <class T>
void WriteMember(JsonWriter& w, std::string_view key, const T& value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  WriteJson(w, value);
}
template <class T>
void WriteMember(JsonWriter& w, std::string_view key, const std::optional<T>& value) {
  if (!value) return;
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  WriteJson(w, *value);
}

// ---- Reading --------------------------------------------------------------------------

absl::Status JsonTypeError(std::string_view path, std::string_view expected, const JsonValue& got);

absl::Status ReadJson(const JsonValue& v, std::string_view path, std::string* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, bool* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, int* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, int64_t* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, double* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, absl::Time* out);
// Declared before their definitions so that they can find each other (nested containers).
template <class E>
requires std::is_enum_v<E> absl::Status ReadJson(const JsonValue& v, std::string_view path, E* out);
template <class T>
absl::Status ReadJson(const JsonValue& v, std::string_view path, std::optional<T>* out);
template <class T>
absl::Status ReadJson(const JsonValue& v, std::string_view path, std::vector<T>* out);
template <class T>
absl::Status ReadJson(const JsonValue& v, std::string_view path, std::map<std::string, T>* out);

template <class E>
requires std::is_enum_v<E> absl::Status ReadJson(const JsonValue& v, std::string_view path,
                                                 E* out) {
  if (!v.IsString()) return JsonTypeError(path, "a string", v);
  auto parsed = ParseEnum<E>(std::string_view(v.GetString(), v.GetStringLength()));
  if (!parsed.ok()) return Annotate(parsed.status(), path);
  *out = *parsed;
  return absl::OkStatus();
}
template <class T>
absl::Status ReadJson(const JsonValue& v, std::string_view path, std::optional<T>* out) {
  if (v.IsNull()) {
    out->reset();
    return absl::OkStatus();
  }
  T value{};
  HAYSTACK_RETURN_IF_ERROR(ReadJson(v, path, &value));
  *out = std::move(value);
  return absl::OkStatus();
}
template <class T>
absl::Status ReadJson(const JsonValue& v, std::string_view path, std::vector<T>* out) {
  if (!v.IsArray()) return JsonTypeError(path, "an array", v);
  std::vector<T> values;
  values.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    T value{};
    HAYSTACK_RETURN_IF_ERROR(
        ReadJson(v[i], std::string(path) + "[" + std::to_string(i) + "]", &value));
    values.push_back(std::move(value));
  }
  *out = std::move(values);
  return absl::OkStatus();
}
template <class T>
absl::Status ReadJson(const JsonValue& v, std::string_view path, std::map<std::string, T>* out) {
  if (!v.IsObject()) return JsonTypeError(path, "an object", v);
  std::map<std::string, T> values;
  for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    T value{};
    HAYSTACK_RETURN_IF_ERROR(ReadJson(it->value, std::string(path) + "." + key, &value));
    values.emplace(std::move(key), std::move(value));
  }
  *out = std::move(values);
  return absl::OkStatus();
}

absl::Status ReadJson(const JsonValue& v, std::string_view path, DEAnalysisConfig* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, RunConfig* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, ControlCellInfo* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, CellTypeSelection* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, StructuredQuery* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, PairedControlMetadata* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, PromptCandidate* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, DeGene* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, DeSummary* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, EnrichedPathway* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, LiteratureEvidence* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, ScoreComponent* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, GroundingScore* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, ObservationalGroundingScore* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, AnyGroundingScore* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, IterationRecord* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, RunError* out);
absl::Status ReadJson(const JsonValue& v, std::string_view path, Run* out);

// Reads the members of one JSON object by name, remembering which ones it saw.
class JsonObjectReader {
 public:
  // Fails unless `value` is an object.
  static absl::StatusOr<JsonObjectReader> Create(const JsonValue& value, std::string_view path);

  // Absent or null members leave `*out` unchanged.
  template <class T>
  absl::Status Optional(std::string_view key, T* out) {
    const JsonValue* member = Find(key);
    if (member == nullptr || member->IsNull()) return absl::OkStatus();
    return ReadJson(*member, MemberPath(key), out);
  }
  // Absent or null members are an error.
  template <class T>
  absl::Status Required(std::string_view key, T* out) {
    const JsonValue* member = Find(key);
    if (member == nullptr || member->IsNull()) return MissingError(key);
    return ReadJson(*member, MemberPath(key), out);
  }

  std::string MemberPath(std::string_view key) const;
  // Members present in the object that no Optional/Required call asked for.
  std::vector<std::string> UnknownKeys() const;

 private:
  JsonObjectReader(const JsonValue& value, std::string path) : value_(&value), path_(path) {}
  const JsonValue* Find(std::string_view key);
  absl::Status MissingError(std::string_view key) const;

  const JsonValue* value_;
  std::string path_;
  std::vector<std::string> seen_;
};

// ---- Convenience -----------------------------------------------------------------------

template <class T>
std::string ToJson(const T& value) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  WriteJson(writer, value);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// Parses `text` as a T. Errors are kind `kind`, prefixed with `what`.
template <class T>
absl::StatusOr<T> FromJson(std::string_view text, std::string_view what = "$",
                           ErrorKind kind = ErrorKind::kConfiguration) {
  HAYSTACK_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJsonDocument(text, what, kind));
  T value{};
  absl::Status status = ReadJson(doc, what, &value);
  if (!status.ok()) return MakeError(kind, status.code(), std::string(status.message()));
  return value;
}

}  // namespace haystack

#endif  // HAYSTACK_CORE_JSON_H_
