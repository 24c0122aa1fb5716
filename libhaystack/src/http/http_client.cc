#include "haystack/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "haystack/core/random.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

// libcurl's global state must be initialised once before any handle is created; curl_easy_init
// would do it lazily but not thread-safely.
void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Where the body goes and how much of it to keep.
struct BodySink {
  std::string* body;
  size_t limit;  // 0: no limit
  bool truncated = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  const size_t n = size * count;
  if (sink->limit != 0 && sink->body->size() + n > sink->limit) {
    sink->body->append(data, sink->limit - sink->body->size());
    sink->truncated = true;
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR): the rest is never read
  }
  sink->body->append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  absl::string_view line(data, size * count);
  // A new status line starts a new header block (redirects, 100 Continue).
  if (absl::StartsWith(line, "HTTP/")) {
    headers->clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    headers->emplace_back(std::string(absl::StripAsciiWhitespace(line.substr(0, colon))),
                          std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

bool IsSecretHeader(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return lower == "authorization" || lower == "proxy-authorization" || lower == "cookie" ||
         lower == "set-cookie" || absl::EndsWith(lower, "api-key") ||
         absl::EndsWith(lower, "token");
}

// Failures where the request certainly never reached the server.
bool FailedBeforeSending(CURLcode code) {
  return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
         code == CURLE_COULDNT_RESOLVE_PROXY;
}

long Millis(absl::Duration d) { return static_cast<long>(absl::ToInt64Milliseconds(d)); }

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, absl::string_view(name.data(), name.size()))) return value;
  }
  return std::nullopt;
}

struct HttpClient::Impl {
  Impl(HttpClientOptions o, const Clock& c, Logger l, SleepFunction s)
      : options(std::move(o)), clock(&c), logger(std::move(l)), sleep(std::move(s)) {}
  HttpClientOptions options;
  const Clock* clock;
  Logger logger;
  SleepFunction sleep;
  std::mutex mu;  // guards curl and rng: one request at a time per client
  CURL* curl = nullptr;
  SeededRandom jitter{1};  // reseeded by the constructor
};

HttpClient::HttpClient(HttpClientOptions options, const Clock& clock, Logger logger,
                       SleepFunction sleep, uint64_t jitter_seed)
    : impl_(
          std::make_unique<Impl>(std::move(options), clock, std::move(logger), std::move(sleep))) {
  EnsureCurlInitialized();
  if (!impl_->sleep) impl_->sleep = [&clock](absl::Duration d) { clock.SleepFor(d); };
  // A fixed seed makes the jitter reproducible in tests; 0 draws a random one.
  impl_->jitter = SeededRandom(jitter_seed != 0 ? jitter_seed : EntropyBits());
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
}

absl::StatusOr<HttpResponse> HttpClient::Perform(const HttpRequest& request, ErrorKind kind) {
  std::lock_guard lock(impl_->mu);
  CURL* curl = impl_->curl;
  if (curl == nullptr) return MakeError(kind, absl::StatusCode::kInternal, "curl_easy_init failed");
  curl_easy_reset(curl);  // keeps the connection cache and TLS sessions

  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, Millis(impl_->options.connect_timeout));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   Millis(request.total_timeout.value_or(impl_->options.total_timeout)));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, impl_->options.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, impl_->options.verify_tls ? 2L : 0L);
  if (!impl_->options.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, impl_->options.ca_file.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_USERAGENT, impl_->options.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  BodySink sink{&response.body,
                request.max_response_bytes.value_or(impl_->options.max_response_bytes)};
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    // POSTFIELDS with an explicit size sends Content-Length, never chunked encoding (GCS
    // resumable chunks must not be chunked), and works for PUT/DELETE via CUSTOMREQUEST.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (request.method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }

  curl_slist* header_list = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (absl::EqualsIgnoreCase(name, "Content-Type")) has_content_type = true;
    header_list = curl_slist_append(header_list, absl::StrCat(name, ": ", value).c_str());
  }
  // No "Expect: 100-continue" round trip, and no form content type that curl would invent.
  header_list = curl_slist_append(header_list, "Expect:");
  if (!has_content_type && request.method != "GET" && request.method != "HEAD") {
    header_list = curl_slist_append(header_list, "Content-Type:");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);

  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  const std::string where = absl::StrCat(request.method, " ", RedactSecrets(request.url));
  if (sink.truncated) {
    // The status and headers arrived; only the oversized body was cut off.
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    response.body_truncated = true;
    impl_->logger.Warning("http response body over the size limit; the rest was not read",
                          {{"request", where},
                           {"status", response.status},
                           {"limit_bytes", static_cast<int64_t>(sink.limit)}});
    return response;
  }
  if (code != CURLE_OK) {
    const std::string detail = error_buffer[0] != 0 ? error_buffer : curl_easy_strerror(code);
    impl_->logger.Warning("http request failed",
                          {{"request", where}, {"error", RedactSecrets(detail)}});
    const absl::StatusCode status_code = code == CURLE_OPERATION_TIMEDOUT
                                             ? absl::StatusCode::kDeadlineExceeded
                                             : absl::StatusCode::kUnavailable;
    absl::Status status = MakeError(kind, status_code, absl::StrCat(where, ": ", detail));
    status.SetPayload("haystack.http.sent", absl::Cord(FailedBeforeSending(code) ? "no" : "maybe"));
    return status;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  impl_->logger.Debug("http request", {{"request", where}, {"status", response.status}});
  return response;
}

absl::Duration HttpClient::Backoff(const RetryPolicy& policy, int attempt) {
  std::lock_guard lock(impl_->mu);
  return BackoffDelay(policy, attempt, impl_->jitter.Uniform());
}

uint64_t HttpClient::NextJitterSeed() {
  std::lock_guard lock(impl_->mu);
  return impl_->jitter.Next() | 1;  // never 0, which would draw from the operating system
}

void HttpClient::Sleep(absl::Duration duration) { impl_->sleep(duration); }

absl::StatusOr<HttpResponse> HttpClient::Execute(const HttpRequest& request,
                                                 const RetryPolicy& policy, ErrorKind kind) {
  RetryLoop retry(policy, *impl_->clock, StopToken(), absl::InfiniteFuture(), NextJitterSeed());
  while (true) {
    const int attempt = retry.attempts();
    absl::StatusOr<HttpResponse> result = Perform(request, kind);
    std::optional<absl::Duration> delay;
    if (result.ok()) {
      result->attempts = attempt;
      if (!policy.retryable_statuses.contains(result->status)) return result;
      delay = ServerRequestedDelay(*result, impl_->clock->Now());
      if (delay && *delay > policy.max_server_delay) return result;
    } else {
      const auto sent = result.status().GetPayload("haystack.http.sent");
      const bool maybe_sent = !sent.has_value() || *sent != "no";
      if (maybe_sent && !request.idempotent && !policy.retry_ambiguous_failures) return result;
    }
    const std::optional<absl::Duration> wait = retry.NextWait(delay);
    if (!wait) return result;
    impl_->logger.Info("http retry",
                       {{"request", absl::StrCat(request.method, " ", RedactSecrets(request.url))},
                        {"attempt", attempt},
                        {"outcome", result.ok() ? absl::StrCat("HTTP ", result->status)
                                                : std::string(result.status().message())},
                        {"wait_seconds", absl::ToDoubleSeconds(*wait)}});
    impl_->sleep(*wait);
  }
}

std::optional<absl::Duration> ServerRequestedDelay(const HttpResponse& response, absl::Time now) {
  if (auto retry_after = response.Header("Retry-After")) {
    int64_t seconds = 0;
    if (absl::SimpleAtoi(*retry_after, &seconds) && seconds >= 0) return absl::Seconds(seconds);
    absl::Time when;
    std::string error;
    if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", *retry_after, &when, &error)) {
      return std::max(when - now, absl::ZeroDuration());
    }
  }
  if (auto reset = response.Header("X-RateLimit-Reset")) {
    int64_t epoch = 0;
    if (absl::SimpleAtoi(*reset, &epoch)) {
      return std::max(absl::FromUnixSeconds(epoch) - now, absl::ZeroDuration());
    }
  }
  return std::nullopt;
}

absl::StatusOr<rapidjson::Document> ParseJsonBody(const HttpResponse& response,
                                                  std::string_view what, ErrorKind kind) {
  if (response.body_truncated) {
    return InvalidInputError(
        kind, absl::StrCat(std::string(what), ": the response body is larger than the ",
                           response.body.size(), "-byte limit"));
  }
  return ParseJsonDocument(response.body, what, kind);
}

HttpHeaders RedactHeaders(const HttpHeaders& headers) {
  HttpHeaders out;
  out.reserve(headers.size());
  for (const auto& [name, value] : headers) {
    out.emplace_back(name, IsSecretHeader(name) ? std::string(kRedacted) : RedactSecrets(value));
  }
  return out;
}

absl::StatusCode StatusCodeForHttp(int status) {
  if (status >= 200 && status < 300) return absl::StatusCode::kOk;
  switch (status) {
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
    case 410:
      return absl::StatusCode::kNotFound;
    case 408:
      return absl::StatusCode::kUnavailable;
    case 409:
      return absl::StatusCode::kAborted;
    case 412:
      return absl::StatusCode::kFailedPrecondition;
    case 413:
      return absl::StatusCode::kInvalidArgument;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    default:
      break;
  }
  if (status >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kInvalidArgument;
}

}  // namespace haystack
