#include "haystack/notify/sendgrid_notifier.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace haystack {
namespace {

void WriteAddress(JsonWriter& w, const EmailAddress& address) {
  w.StartObject();
  WriteMember(w, "email", StripControlCharacters(address.email));
  // SendGrid rejects ';' and ',' in names; CR/LF never belong in a header.
  std::string name = StripControlCharacters(address.name);
  std::erase_if(name, [](char c) { return c == ';' || c == ','; });
  if (!name.empty()) WriteMember(w, "name", name);
  w.EndObject();
}

}  // namespace

SendGridNotifier::SendGridNotifier(SendGridOptions options, HttpClient& http, Logger logger)
    : options_(std::move(options)), http_(http), logger_(std::move(logger)) {}

absl::StatusOr<std::string> SendGridNotifier::BuildRequestBody(
    const RunNotification& notification) const {
  RunNotification linked = notification;
  for (const std::string& problem : AddArtifactLinks(linked, options_.links)) {
    logger_.Warning(problem, {{"run_id", notification.run_id}});
  }
  HAYSTACK_ASSIGN_OR_RETURN(RenderedEmail email, RenderEmail(linked, options_.templates));
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("personalizations");
  w.StartArray();
  w.StartObject();
  w.Key("to");
  w.StartArray();
  WriteAddress(w, EmailAddress{notification.recipient, ""});
  w.EndArray();
  w.EndObject();
  w.EndArray();
  w.Key("from");
  WriteAddress(w, options_.from);
  if (options_.reply_to) {
    w.Key("reply_to");
    WriteAddress(w, *options_.reply_to);
  }
  WriteMember(w, "subject", email.subject);
  w.Key("content");
  w.StartArray();  // text/plain must come first (SendGrid rule; RFC 2046 order)
  w.StartObject();
  WriteMember(w, "type", std::string_view("text/plain"));
  WriteMember(w, "value", email.text);
  w.EndObject();
  w.StartObject();
  WriteMember(w, "type", std::string_view("text/html"));
  WriteMember(w, "value", email.html);
  w.EndObject();
  w.EndArray();
  std::vector<std::string> categories = options_.categories;
  categories.emplace_back(EnumName(notification.kind));
  WriteMember(w, "categories", categories);
  w.Key("custom_args");  // string values only; run data, never personal data
  w.StartObject();
  WriteMember(w, "run_id", notification.run_id);
  WriteMember(w, "notification", std::string(EnumName(notification.kind)));
  w.EndObject();
  w.Key("mail_settings");
  w.StartObject();
  w.Key("sandbox_mode");
  w.StartObject();
  WriteMember(w, "enable", options_.sandbox_mode);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

absl::StatusOr<DeliveryReceipt> SendGridNotifier::Send(const RunNotification& notification) {
  HAYSTACK_RETURN_IF_ERROR(ValidateRecipient(notification.recipient));
  HAYSTACK_ASSIGN_OR_RETURN(std::string body, BuildRequestBody(notification));
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(options_.endpoint, "/v3/mail/send");
  request.headers = {{"Authorization", absl::StrCat("Bearer ", options_.api_key)},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"}};
  request.body = std::move(body);
  request.idempotent = false;
  request.max_response_bytes = options_.max_response_bytes;
  absl::StatusOr<HttpResponse> response =
      http_.Execute(request, options_.retry, ErrorKind::kNotification);
  if (!response.ok()) {
    return MakeError(
        ErrorKind::kNotification, response.status().code(),
        absl::StrCat("SendGrid mail send: ",
                     RedactSecrets(std::string(response.status().message()), {options_.api_key})));
  }
  if (response->status == 202 || (options_.sandbox_mode && response->status == 200)) {
    const std::string message_id = response->Header("X-Message-Id").value_or("");
    logger_.Info("email accepted by SendGrid",
                 {{"run_id", notification.run_id},
                  {"notification", std::string(EnumName(notification.kind))},
                  {"message_id", message_id},
                  {"attempts", response->attempts}});
    return DeliveryReceipt{"sendgrid", message_id};
  }
  absl::StatusCode code = StatusCodeForHttp(response->status);
  if (code == absl::StatusCode::kOk || code == absl::StatusCode::kResourceExhausted) {
    code = absl::StatusCode::kUnavailable;  // e.g. 200 outside sandbox mode, 429 after retries
  }
  // The provider's text is redacted before it reaches the ledger, the events or a log line: an
  // error body may echo the key (a proxy in front of SendGrid, a misconfigured relay).
  return MakeError(ErrorKind::kNotification, code,
                   RedactSecrets(absl::StrCat("SendGrid mail send returned HTTP ", response->status,
                                              " after ", response->attempts,
                                              " attempt(s): ", DescribeSendGridError(*response)),
                                 {options_.api_key}));
}

std::string DescribeSendGridError(const HttpResponse& response) {
  const std::string_view body = response.body;
  auto doc = ParseJsonBody(response, "SendGrid response", ErrorKind::kNotification);
  if (!doc.ok()) {
    const bool looks_like_json = !body.empty() && (body.front() == '{' || body.front() == '[');
    if (response.body_truncated || looks_like_json) {
      return absl::StrCat("unreadable body (", doc.status().message(), ") starting ",
                          QuoteForMessage(body, 200));
    }
  }
  if (doc.ok() && doc->IsObject() && doc->HasMember("errors") && (*doc)["errors"].IsArray()) {
    std::vector<std::string> parts;
    for (const auto& error : (*doc)["errors"].GetArray()) {
      if (!error.IsObject()) continue;
      std::string part;
      if (error.HasMember("field") && error["field"].IsString()) {
        absl::StrAppend(&part, error["field"].GetString(), ": ");
      }
      if (error.HasMember("message") && error["message"].IsString()) {
        absl::StrAppend(&part, error["message"].GetString());
      }
      if (!part.empty()) parts.push_back(QuoteForMessage(part, 200));
    }
    if (!parts.empty()) return absl::StrJoin(parts, "; ");
  }
  if (body.empty()) return "(empty body)";
  return absl::StrCat("non-JSON body ", QuoteForMessage(body, 200));
}

}  // namespace haystack
