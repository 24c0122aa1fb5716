#include "haystack/llm/llm_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace haystack {
namespace {

constexpr size_t kMaxErrorBodyChars = 300;

std::string WithoutTrailingSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

void Member(JsonWriter& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void Messages(JsonWriter& w, const std::vector<LlmMessage>& messages) {
  for (const LlmMessage& m : messages) {
    w.StartObject();
    Member(w, "role", m.role);
    Member(w, "content", m.content);
    w.EndObject();
  }
}

// The status for a non-2xx answer, with the provider's error message when it sent one. The
// text is redacted (patterns and our own key) before anyone can store or log it: a provider or
// a proxy in front of it may echo the key ("Incorrect API key provided: …").
absl::Status HttpError(const char* provider, const HttpResponse& response,
                       std::string_view api_key) {
  std::string detail;
  if (auto doc = ParseJsonBody(response, "error body", ErrorKind::kExternalApi);
      doc.ok() && doc->IsObject()) {
    const JsonValue* error = doc->HasMember("error") ? &(*doc)["error"] : nullptr;
    if (error != nullptr && error->IsObject() && error->HasMember("message") &&
        (*error)["message"].IsString()) {
      detail = (*error)["message"].GetString();
    } else if (error != nullptr && error->IsString()) {
      detail = error->GetString();
    }
  }
  if (detail.empty()) detail = response.body;
  std::string message = absl::StrCat(provider, " API answered HTTP ", response.status);
  if (response.attempts > 1) absl::StrAppend(&message, " after ", response.attempts, " attempts");
  if (!detail.empty()) {
    absl::StrAppend(&message, ": ",
                    QuoteForMessage(RedactSecrets(detail, {api_key}), kMaxErrorBodyChars));
  }
  return MakeError(ErrorKind::kExternalApi, StatusCodeForHttp(response.status),
                   RedactSecrets(message, {api_key}));
}

absl::StatusOr<rapidjson::Document> ParseBody(const char* provider, const HttpResponse& response) {
  auto doc = ParseJsonBody(response, absl::StrCat(provider, " response"), ErrorKind::kExternalApi);
  if (!doc.ok()) return doc.status();
  if (!doc->IsObject()) {
    return MakeError(ErrorKind::kExternalApi, absl::StatusCode::kUnavailable,
                     absl::StrCat(provider, " response is not a JSON object"));
  }
  return doc;
}

absl::Status MalformedResponse(const char* provider, const char* what) {
  return MakeError(ErrorKind::kExternalApi, absl::StatusCode::kUnavailable,
                   absl::StrCat(provider, " response has no ", what));
}

int64_t IntMember(const JsonValue& object, const char* name) {
  if (!object.IsObject() || !object.HasMember(name) || !object[name].IsInt64()) return 0;
  return object[name].GetInt64();
}

// The model the server reports (else the configured one) and the token counts, whose member
// names differ between the two APIs.
void ReadModelAndUsage(const rapidjson::Document& doc, const std::string& configured_model,
                       const char* input_key, const char* output_key, LlmResponse& out) {
  out.model = doc.HasMember("model") && doc["model"].IsString() ? doc["model"].GetString()
                                                                : configured_model;
  if (doc.HasMember("usage")) {
    out.input_tokens = IntMember(doc["usage"], input_key);
    out.output_tokens = IntMember(doc["usage"], output_key);
  }
}

// Shared plumbing: the HTTP exchange, retries, logging without secrets.
class HttpLlmClient : public LlmClient {
 public:
  HttpLlmClient(LlmClientOptions options, HttpClient& http, Logger logger)
      : options_(std::move(options)), http_(http), logger_(std::move(logger)) {}

  const std::string& model() const override { return options_.model; }

 protected:
  absl::StatusOr<HttpResponse> Post(const char* provider, const std::string& path,
                                    HttpHeaders headers, std::string body) {
    HttpRequest request;
    request.method = "POST";
    request.url = options_.base_url + path;
    request.headers = std::move(headers);
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::move(body);
    request.idempotent = false;
    request.total_timeout = options_.timeout;
    request.max_response_bytes = options_.max_response_bytes;
    auto response = http_.Execute(request, options_.retry, ErrorKind::kExternalApi);
    if (!response.ok()) {
      const absl::Status& failed = response.status();
      return MakeError(
          GetErrorKind(failed), failed.code(),
          RedactSecrets(absl::StrCat(provider, " API ", request.url, ": ", failed.message()),
                        {options_.api_key}));
    }
    logger_.Debug("llm call", {{"provider", std::string(provider)},
                               {"status", static_cast<int64_t>(response->status)},
                               {"attempts", static_cast<int64_t>(response->attempts)}});
    if (response->status < 200 || response->status >= 300) {
      return HttpError(provider, *response, options_.api_key);
    }
    return response;
  }

  LlmClientOptions options_;
  HttpClient& http_;
  Logger logger_;
};

// POST {base}/chat/completions (OpenAI and every server that copies its API).
class OpenAiCompatibleClient final : public HttpLlmClient {
 public:
  using HttpLlmClient::HttpLlmClient;

  std::string Describe() const override {
    return absl::StrCat("openai-compatible ", options_.model, " at ", options_.base_url);
  }

  absl::StatusOr<LlmResponse> Complete(const LlmRequest& request) override {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    Member(w, "model", options_.model);
    w.Key("messages");
    w.StartArray();
    if (!request.system.empty()) Messages(w, {{"system", request.system}});
    Messages(w, request.messages);
    w.EndArray();
    w.Key("max_tokens");
    w.Int(request.max_tokens);
    w.Key("temperature");
    w.Double(request.temperature);
    if (request.json_object) {
      w.Key("response_format");
      w.StartObject();
      Member(w, "type", "json_object");
      w.EndObject();
    }
    w.EndObject();
    HttpHeaders headers;
    if (!options_.api_key.empty()) {
      headers.emplace_back("Authorization", absl::StrCat("Bearer ", options_.api_key));
    }
    HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response, Post("OpenAI-compatible", "/chat/completions",
                                                          std::move(headers), buffer.GetString()));
    HAYSTACK_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseBody("OpenAI-compatible", response));
    if (!doc.HasMember("choices") || !doc["choices"].IsArray() || doc["choices"].Empty()) {
      return MalformedResponse("OpenAI-compatible", "choices");
    }
    const JsonValue& choice = doc["choices"][0];
    if (!choice.IsObject() || !choice.HasMember("message") || !choice["message"].IsObject() ||
        !choice["message"].HasMember("content") || !choice["message"]["content"].IsString()) {
      return MalformedResponse("OpenAI-compatible", "choices[0].message.content");
    }
    LlmResponse out;
    // Our own key never leaves the client, even if a proxy echoes it into the answer.
    out.text = RedactKnownSecrets(choice["message"]["content"].GetString(), {options_.api_key});
    ReadModelAndUsage(doc, options_.model, "prompt_tokens", "completion_tokens", out);
    return out;
  }
};

// POST {base}/v1/messages (Anthropic).
class AnthropicClient final : public HttpLlmClient {
 public:
  using HttpLlmClient::HttpLlmClient;

  std::string Describe() const override {
    return absl::StrCat("anthropic ", options_.model, " at ", options_.base_url);
  }

  absl::StatusOr<LlmResponse> Complete(const LlmRequest& request) override {
    rapidjson::StringBuffer buffer;
    JsonWriter w(buffer);
    w.StartObject();
    Member(w, "model", options_.model);
    w.Key("max_tokens");
    w.Int(request.max_tokens);
    w.Key("temperature");
    w.Double(request.temperature);
    if (!request.system.empty()) Member(w, "system", request.system);
    w.Key("messages");
    w.StartArray();
    Messages(w, request.messages);
    w.EndArray();
    w.EndObject();
    HttpHeaders headers = {{"anthropic-version", "2023-06-01"}};
    if (!options_.api_key.empty()) headers.emplace_back("x-api-key", options_.api_key);
    HAYSTACK_ASSIGN_OR_RETURN(HttpResponse response, Post("Anthropic", "/v1/messages",
                                                          std::move(headers), buffer.GetString()));
    HAYSTACK_ASSIGN_OR_RETURN(rapidjson::Document doc, ParseBody("Anthropic", response));
    if (!doc.HasMember("content") || !doc["content"].IsArray()) {
      return MalformedResponse("Anthropic", "content");
    }
    LlmResponse out;
    bool found = false;
    for (const JsonValue& block : doc["content"].GetArray()) {
      if (block.IsObject() && block.HasMember("type") && block["type"].IsString() &&
          std::string_view(block["type"].GetString()) == "text" && block.HasMember("text") &&
          block["text"].IsString()) {
        out.text += block["text"].GetString();
        found = true;
      }
    }
    if (!found) return MalformedResponse("Anthropic", "text content block");
    out.text = RedactKnownSecrets(out.text, {options_.api_key});
    ReadModelAndUsage(doc, options_.model, "input_tokens", "output_tokens", out);
    return out;
  }
};

}  // namespace

absl::StatusOr<LlmProvider> ParseLlmProvider(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  if (lower == "openai" || lower == "openai-compatible" || lower == "vllm" || lower == "ollama" ||
      lower == "llama.cpp") {
    return LlmProvider::kOpenAiCompatible;
  }
  if (lower == "anthropic") return LlmProvider::kAnthropic;
  return ConfigurationError(absl::StrCat("unknown LLM provider ", QuoteForMessage(name),
                                         "; use openai (also vllm, ollama, llama.cpp) or "
                                         "anthropic"));
}

absl::StatusOr<std::unique_ptr<LlmClient>> MakeLlmClient(LlmClientOptions options, HttpClient& http,
                                                         Logger logger) {
  if (options.model.empty()) return ConfigurationError("the LLM model name is empty");
  if (options.base_url.empty()) {
    options.base_url = options.provider == LlmProvider::kAnthropic ? "https://api.anthropic.com"
                                                                   : "https://api.openai.com/v1";
  }
  options.base_url = WithoutTrailingSlash(std::move(options.base_url));
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0) {
    return ConfigurationError(absl::StrCat("the LLM base URL ", QuoteForMessage(options.base_url),
                                           " is not an http(s) URL"));
  }
  if (options.provider == LlmProvider::kAnthropic) {
    return std::make_unique<AnthropicClient>(std::move(options), http, std::move(logger));
  }
  return std::make_unique<OpenAiCompatibleClient>(std::move(options), http, std::move(logger));
}

}  // namespace haystack
