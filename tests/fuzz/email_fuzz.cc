// Email rendering and the text hygiene around it: RenderEmail and the MIME message of the
// outbox for any run data, outbox file names, recipient validation, the SendGrid error reader,
// redaction and UTF-8 sanitising.
//
// Input: fields separated by 0xFF (see RunNotificationFrom). Properties:
//   - the subject is one line; every MIME line ends in CRLF and is at most 78 characters;
//   - the HTML has no element the templates do not have (user text never becomes markup) and
//     every link is http(s) or file:///, never javascript: or data:;
//   - two different run ids never share an outbox file name, and names are safe file names;
//   - an accepted recipient is one mailbox: one '@', no list or header characters;
//   - redaction removes a known secret wherever it appears; sanitised text is valid UTF-8.
#include <set>

#include "fuzz_support.h"
#include "haystack/core/mailbox.h"
#include "haystack/core/redact.h"
#include "haystack/core/text.h"
#include "haystack/notify/email_templates.h"
#include "haystack/notify/mime_message.h"
#include "haystack/notify/outbox_notifier.h"
#include "haystack/notify/sendgrid_notifier.h"

namespace haystack {
namespace {

template <class E, size_t N>
E Pick(std::string_view field, const E (&values)[N]) {
  return values[fuzz::Byte(field) % N];
}

std::vector<std::string> List(std::string_view field) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= field.size() && items.size() < 40) {
    const size_t cut = field.find('\n', start);
    items.emplace_back(field.substr(start, cut == std::string_view::npos ? cut : cut - start));
    if (cut == std::string_view::npos) break;
    start = cut + 1;
  }
  return items;
}

std::optional<std::string> Optional(std::string_view field) {
  if (field.empty()) return std::nullopt;
  return std::string(field);
}

RunNotification RunNotificationFrom(const fuzz::Fields& f) {
  static constexpr NotificationKind kKinds[] = {NotificationKind::kRunCompleted,
                                                NotificationKind::kRunFailed,
                                                NotificationKind::kRunCancelled};
  static constexpr TerminationReason kReasons[] = {
      TerminationReason::kConverged, TerminationReason::kPlateau, TerminationReason::kMaxIterations,
      TerminationReason::kCancelled, TerminationReason::kError};
  static constexpr RunPhase kPhases[] = {RunPhase::kQueryAnalysis, RunPhase::kPromptGeneration,
                                         RunPhase::kInference, RunPhase::kEvaluation,
                                         RunPhase::kOutputGeneration};
  RunNotification n;
  n.kind = Pick(f[0], kKinds);
  n.run_id = std::string(f[1]);
  n.recipient = std::string(f[2]);
  n.raw_query = std::string(f[3]);
  n.results_url = std::string(f[4]);
  if (fuzz::Byte(f[5]) & 1) n.final_score = fuzz::Byte(f[5]) % 11;
  if (fuzz::Byte(f[5]) & 2) n.score_threshold = fuzz::Byte(f[6]) % 11;
  if (fuzz::Byte(f[5]) & 4) n.termination_reason = Pick(f[6], kReasons);
  n.iterations = fuzz::Byte(f[7]);
  n.control_strategy_fell_back = (fuzz::Byte(f[5]) & 8) != 0;
  if (fuzz::Byte(f[5]) & 64) n.task_type = TaskType::kPerturbationNovelCellTypes;
  if (fuzz::Byte(f[5]) & 128) n.control_strategy_effective = ControlStrategy::kQueryAsControl;
  if (fuzz::Byte(f[7]) & 1) n.links_expire_at = absl::FromUnixSeconds(fuzz::Byte(f[7]) * 86400);
  n.top_up_genes = List(f[8]);
  n.top_down_genes = List(f[9]);
  n.top_pathways = List(f[10]);
  n.unavailable_components = List(f[11]);
  n.report_url = Optional(f[12]);
  n.anndata_url = Optional(f[13]);
  n.log_url = Optional(f[14]);
  n.report_link = Optional(f[15]);
  n.error_type = std::string(f[16]);
  n.error_message = std::string(f[17]);
  if (fuzz::Byte(f[5]) & 16) n.error_phase = Pick(f[18], kPhases);
  if (fuzz::Byte(f[5]) & 32) n.error_iteration = fuzz::Byte(f[18]);
  return n;
}

// Element names in `html` ("<td", "</td", "<!DOCTYPE").
std::set<std::string> Elements(std::string_view html) {
  std::set<std::string> names;
  for (size_t at = html.find('<'); at != std::string_view::npos; at = html.find('<', at + 1)) {
    size_t end = at + 1;
    if (end < html.size() && (html[end] == '/' || html[end] == '!')) ++end;
    while (end < html.size() && (std::isalnum(static_cast<unsigned char>(html[end])) != 0)) ++end;
    names.emplace(html.substr(at, end - at));
  }
  return names;
}

// What the templates themselves contain, rendered with plain data of every kind.
const std::set<std::string>& TemplateElements() {
  static const std::set<std::string> names = [] {
    std::set<std::string> all;
    for (NotificationKind kind : {NotificationKind::kRunCompleted, NotificationKind::kRunFailed,
                                  NotificationKind::kRunCancelled}) {
      RunNotification n;
      n.kind = kind;
      n.run_id = "hay_1";
      n.raw_query = std::string(3000, 'q');  // shortened in the body: the "(shortened)" markup
      n.results_url = "https://app.example/runs/hay_1";
      n.final_score = 8;
      n.score_threshold = 7;
      n.termination_reason = TerminationReason::kConverged;
      n.task_type = TaskType::kPerturbationNovelCellTypes;
      n.control_strategy_effective = ControlStrategy::kSyntheticControl;
      n.control_strategy_fell_back = true;
      n.top_up_genes = {"A"};
      n.top_down_genes = {"B"};
      n.top_pathways = {"P"};
      n.unavailable_components = {"U"};
      n.report_url = "gs://b/r";
      n.anndata_url = "/x/y";
      n.log_url = "https://l";
      n.report_link = "https://s";
      n.links_expire_at = absl::UnixEpoch();
      n.error_type = "E";
      n.error_message = "m";
      n.error_phase = RunPhase::kInference;
      n.error_iteration = 1;
      auto email = RenderEmail(n);
      if (email.ok()) all.merge(Elements(email->html));
    }
    return all;
  }();
  return names;
}

void CheckHtml(const std::string& html) {
  for (const std::string& name : Elements(html)) {
    FUZZ_CHECK(TemplateElements().contains(name), "user text became markup: " + name);
  }
  for (size_t at = html.find("href=\""); at != std::string::npos;
       at = html.find("href=\"", at + 1)) {
    // Schemes are case-insensitive (RFC 3986 §3.1).
    std::string target(std::string_view(html).substr(at + 6, 8));
    for (char& c : target) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    FUZZ_CHECK(target.starts_with("https://") || target.starts_with("http://") ||
                   target.starts_with("file:///") || target.starts_with("#"),
               "a link that is not http(s) or file");
  }
}

// Every line ends in CRLF; header lines stay within RFC 5322's hard limit of 998 characters
// (an address or message id cannot be folded), body lines within 78.
void CheckMime(const std::string& mime) {
  size_t start = 0;
  bool in_headers = true;
  while (start < mime.size()) {
    const size_t lf = mime.find('\n', start);
    FUZZ_CHECK(lf != std::string::npos, "the message does not end with CRLF");
    FUZZ_CHECK(lf > start && mime[lf - 1] == '\r', "a bare LF in the message");
    const size_t length = lf - 1 - start;
    if (length == 0) in_headers = false;
    FUZZ_CHECK(length <= (in_headers ? 998u : 78u), "a MIME line too long");
    start = lf + 1;
  }
}

void CheckRendering(const RunNotification& n) {
  auto email = RenderEmail(n);
  FUZZ_CHECK(email.ok(), std::string(email.status().message()));
  FUZZ_CHECK(email->subject.find_first_of("\r\n") == std::string::npos, "a multi-line subject");
  CheckHtml(email->html);
  // As the outbox builds it: only for a valid recipient, with the encoded run id.
  if (!ValidateMailbox(n.recipient).ok()) return;
  MimeMessage message;
  message.from = {"noreply@haystack.local", "HAYSTACK"};
  message.to = {n.recipient, ""};
  message.subject = email->subject;
  message.text = email->text;
  message.html = email->html;
  const std::string file = OutboxFileName(n.run_id, n.kind);
  message.message_id = file.substr(0, file.size() - 4) + "@haystack";
  message.extra_headers = {{"X-Haystack-Run-Id", n.run_id}};
  CheckMime(BuildMimeMessage(message));
}

void CheckOutboxNames(std::string_view a, std::string_view b) {
  const std::string name_a = OutboxFileName(a, NotificationKind::kRunCompleted);
  const std::string name_b = OutboxFileName(b, NotificationKind::kRunCompleted);
  if (a != b) FUZZ_CHECK(name_a != name_b, "two run ids share an outbox file name");
  FUZZ_CHECK(name_a.size() <= 255, "an outbox file name longer than NAME_MAX");
  FUZZ_CHECK(name_a.find('/') == std::string::npos && name_a.find('\0') == std::string::npos,
             "an outbox file name with a path separator");
}

void CheckMailbox(std::string_view address) {
  if (!ValidateMailbox(address).ok()) return;
  FUZZ_CHECK(address.find('@') == address.rfind('@'), "an accepted address with two @");
  FUZZ_CHECK(address.find_first_of(",;<>\"() \t\r\n\\[]:") == std::string_view::npos,
             "an accepted address with a list or header character");
}

void CheckText(std::string_view text, std::string_view secret) {
  FUZZ_CHECK(IsValidUtf8(SanitizeUtf8(text)), "sanitised text is not UTF-8");
  if (secret.size() >= kMinKnownSecretBytes) {
    // Between the [REDACTED] markers nothing of the original text may still hold the secret
    // (the markers themselves, and text around them, may happen to spell it).
    const std::string redacted = RedactSecrets(text, {secret});
    size_t start = 0;
    while (start <= redacted.size()) {
      const size_t marker = redacted.find(kRedacted, start);
      const std::string_view piece = std::string_view(redacted).substr(
          start, marker == std::string::npos ? marker : marker - start);
      FUZZ_CHECK(piece.find(secret) == std::string_view::npos, "a known secret survived redaction");
      if (marker == std::string::npos) break;
      start = marker + kRedacted.size();
    }
  }
  (void)QuoteForMessage(text);
}

}  // namespace
}  // namespace haystack

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haystack;
  const fuzz::Fields fields(data, size);
  CheckRendering(RunNotificationFrom(fields));
  CheckOutboxNames(fields[1], fields[19]);
  CheckMailbox(fields[2]);
  CheckText(fields[17], fields[20]);
  HttpResponse response;
  response.status = 400;
  response.body = std::string(fields[17]);
  (void)DescribeSendGridError(response);
  return 0;
}
