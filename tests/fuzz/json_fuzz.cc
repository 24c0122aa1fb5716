// The JSON decoders: ParseJsonDocument (every document HAYSTACK reads goes through it) and the
// model's ReadJson for the types stored in run records and logs.
//
// Properties: nothing crashes or recurses without bound; an accepted document is within the
// depth limit and writes back to JSON that reads again and writes the same text (the writer is
// stable); a model value read from JSON writes JSON that reads back to an equal value.
#include "fuzz_support.h"
#include "haystack/core/json.h"

namespace haystack {
namespace {

std::string Write(const JsonValue& value, bool* truncated) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  WriteJson(w, value);
  *truncated = w.truncated();
  return std::string(buffer.GetString(), buffer.GetSize());
}

template <class T>
void RoundTrip(std::string_view text, std::string_view type) {
  auto value = FromJson<T>(text);
  if (!value.ok()) return;
  const std::string written = ToJson(*value);
  auto again = FromJson<T>(written);
  FUZZ_CHECK(again.ok(), std::string(type) + ": " + std::string(again.status().message()));
  FUZZ_CHECK(ToJson(*again) == written, type);
}

}  // namespace
}  // namespace haystack

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haystack;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = ParseJsonDocument(text, "fuzz input");
  if (doc.ok()) {
    bool truncated = false;
    const std::string written = Write(*doc, &truncated);
    FUZZ_CHECK(!truncated, "an accepted document is deeper than the writer's limit");
    auto again = ParseJsonDocument(written, "written");
    FUZZ_CHECK(again.ok(), std::string(again.status().message()));
    FUZZ_CHECK(Write(*again, &truncated) == written, "writing is not stable");
  }
  RoundTrip<RunConfig>(text, "RunConfig");
  RoundTrip<StructuredQuery>(text, "StructuredQuery");
  RoundTrip<IterationRecord>(text, "IterationRecord");
  RoundTrip<AnyGroundingScore>(text, "AnyGroundingScore");
  RoundTrip<std::vector<IterationRecord>>(text, "iterations");
  RoundTrip<Run>(text, "Run");
  (void)ParseRunConfig(text);
  return 0;
}
