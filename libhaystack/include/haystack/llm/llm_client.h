// An optional language model, reached over HTTP: OpenAI-compatible chat completions (OpenAI,
// and the same API served by vLLM, llama.cpp's server and Ollama) or Anthropic messages.
//
// HAYSTACK never depends on it: the agent uses it only to help parse free text and validates
// everything it returns (agent/llm_query_analyzer.h). Errors are kExternalApi: transient codes
// (unavailable, deadline exceeded, resource exhausted) after the retry policy is spent,
// permission denied for rejected credentials, invalid argument for a refused request. API keys
// are never logged or put into error messages.
#ifndef HAYSTACK_LLM_LLM_CLIENT_H_
#define HAYSTACK_LLM_LLM_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/logging.h"
#include "haystack/http/http_client.h"

namespace haystack {

struct LlmMessage {
  std::string role;  // "user" or "assistant"
  std::string content;

  bool operator==(const LlmMessage&) const = default;
};

struct LlmRequest {
  std::string system;
  std::vector<LlmMessage> messages;
  int max_tokens = 1024;
  double temperature = 0;
  // Ask for a bare JSON object where the API has a switch for it (OpenAI's response_format).
  bool json_object = false;
};

struct LlmResponse {
  std::string text;
  std::string model;  // as reported by the server
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

class LlmClient {
 public:
  virtual ~LlmClient() = default;
  virtual absl::StatusOr<LlmResponse> Complete(const LlmRequest& request) = 0;
  // "openai-compatible gpt-4o-mini at https://api.openai.com/v1": for logs and provenance;
  // never contains the key.
  virtual std::string Describe() const = 0;
  virtual const std::string& model() const = 0;
};

enum class LlmProvider { kOpenAiCompatible, kAnthropic };

struct LlmClientOptions {
  LlmProvider provider = LlmProvider::kOpenAiCompatible;
  // Default: https://api.openai.com/v1 or https://api.anthropic.com. For a local server give
  // its base, e.g. http://localhost:8000/v1 (vLLM) or http://localhost:11434/v1 (Ollama).
  std::string base_url;
  std::string model;
  std::string api_key;  // may be empty for local servers
  absl::Duration timeout = absl::Seconds(60);
  // An answer to a query-parsing prompt is a few kilobytes; more is not read (its JSON is then
  // refused with an error naming the limit).
  size_t max_response_bytes = size_t{4} << 20;
  // Retries 408/429/5xx and transport failures; a duplicate completion is harmless.
  RetryPolicy retry = {.max_attempts = 3,
                       .initial_backoff = absl::Seconds(1),
                       .max_backoff = absl::Seconds(10),
                       .retry_ambiguous_failures = true};
};

// Parses "openai", "openai-compatible", "vllm", "ollama", "llama.cpp" (all the OpenAI API) or
// "anthropic".
absl::StatusOr<LlmProvider> ParseLlmProvider(std::string_view name);

// `http` must outlive the client.
absl::StatusOr<std::unique_ptr<LlmClient>> MakeLlmClient(LlmClientOptions options, HttpClient& http,
                                                         Logger logger);

}  // namespace haystack

#endif  // HAYSTACK_LLM_LLM_CLIENT_H_
