// One HTTP client for every outbound call (GCS, SendGrid, LLM, literature), on libcurl.
//
// What every caller gets without asking: connection reuse (one easy handle per client, so
// keep-alive connections and TLS sessions are kept between requests), explicit connect and
// total timeouts, TLS verification on, and logs in which Authorization headers and API keys
// are redacted. Execute() adds bounded exponential backoff with jitter that honours
// Retry-After and X-RateLimit-Reset, and an idempotency-aware retry rule: a request that may
// have reached the server (timeout, reset after sending) is retried only when it is idempotent
// or the caller explicitly accepts a duplicate.
#ifndef HAYSTACK_HTTP_HTTP_CLIENT_H_
#define HAYSTACK_HTTP_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/clock.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/logging.h"
#include "haystack/core/retry.h"

namespace haystack {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, DELETE, HEAD
  std::string url;
  HttpHeaders headers;
  std::string body;
  // True if sending the request twice has the same effect as sending it once (GET, or a
  // conditional write such as a GCS create with ifGenerationMatch=0).
  bool idempotent = false;
  // Overrides HttpClientOptions::total_timeout for this request (e.g. large uploads).
  std::optional<absl::Duration> total_timeout;
  // Overrides HttpClientOptions::max_response_bytes for this request (0: no limit, for
  // downloads whose size is the artifact's).
  std::optional<size_t> max_response_bytes;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;  // names as received; Header() compares case-insensitively
  std::string body;
  // The server sent more than the request's max_response_bytes: `body` holds only the first
  // max_response_bytes and the rest was not read. ParseJsonBody refuses such a body.
  bool body_truncated = false;
  int attempts = 1;  // how many attempts Execute() made

  std::optional<std::string> Header(std::string_view name) const;
};

struct HttpClientOptions {
  absl::Duration connect_timeout = absl::Seconds(10);
  absl::Duration total_timeout = absl::Seconds(30);
  bool verify_tls = true;
  std::string ca_file;  // empty: the system bundle
  std::string user_agent = "haystack-orchestrator";
  // Response bodies are read up to this size (HttpResponse::body_truncated beyond it), so a
  // misbehaving or hostile server cannot exhaust memory. API answers are kilobytes.
  size_t max_response_bytes = size_t{16} << 20;
};

// Waits between attempts; by default the client's clock waits (core/clock.h), so that a test
// with a FakeClock runs the retries without sleeping. Tests may substitute one that records the
// delays instead.
using SleepFunction = std::function<void(absl::Duration)>;

class HttpClient {
 public:
  // `clock` reads X-RateLimit-Reset (an epoch time) and waits; `sleep` defaults to its SleepFor;
  // `jitter_seed` makes the jitter sequence reproducible in tests.
  HttpClient(HttpClientOptions options, const Clock& clock, Logger logger,
             SleepFunction sleep = nullptr, uint64_t jitter_seed = 0);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // One attempt. Any HTTP status is a response; transport failures are errors of kind
  // `kind`: kUnavailable (connection refused/reset, DNS), kDeadlineExceeded (timeout).
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request,
                                       ErrorKind kind = ErrorKind::kExternalApi);

  // Perform() under `policy` (core/retry.h: its attempts, budget, statuses and server delays),
  // waiting with the sleep function. Returns the last response (whatever its status) or the
  // last transport error; HttpResponse::attempts says how many attempts were made.
  absl::StatusOr<HttpResponse> Execute(const HttpRequest& request, const RetryPolicy& policy,
                                       ErrorKind kind = ErrorKind::kExternalApi);

  // The delay before attempt `attempt` + 1 (1-based) without server hints: BackoffDelay
  // (core/retry.h), a uniformly random value in [d/2, d] where
  // d = min(max_backoff, initial · multiplier^(attempt-1)).
  absl::Duration Backoff(const RetryPolicy& policy, int attempt);

  // Waits with the client's sleep function (for callers that run their own retry loops, such
  // as resumable uploads, so that tests observe every wait).
  void Sleep(absl::Duration duration);

 private:
  uint64_t NextJitterSeed();  // a seed for one retry loop, from the client's jitter stream

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The delay a response asks for: Retry-After (seconds or an HTTP date) or X-RateLimit-Reset
// (epoch seconds), relative to `now`; nullopt if neither header is present and parseable.
std::optional<absl::Duration> ServerRequestedDelay(const HttpResponse& response, absl::Time now);

// Parses a JSON response body within the JSON limits (core/json.h), refusing a truncated one.
// Errors are kind `kind`, kInvalidArgument, and start with `what` (e.g. "SendGrid response").
absl::StatusOr<rapidjson::Document> ParseJsonBody(const HttpResponse& response,
                                                  std::string_view what, ErrorKind kind);

// "Authorization: [REDACTED]"-style copies of headers for logs: values of Authorization,
// Proxy-Authorization, Cookie and *-Api-Key/*-Token headers are replaced.
HttpHeaders RedactHeaders(const HttpHeaders& headers);

// Maps an HTTP status to the canonical code callers should report: 401/403 → permission,
// 404 → not found, 408/429 → resource exhausted or unavailable, 409 → aborted,
// 412 → failed precondition, 5xx → unavailable, other 4xx → invalid argument.
absl::StatusCode StatusCodeForHttp(int status);

}  // namespace haystack

#endif  // HAYSTACK_HTTP_HTTP_CLIENT_H_
