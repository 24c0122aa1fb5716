#include "haystack/notify/outbox_notifier.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "haystack/core/json.h"
#include "sample_notifications.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

// Python's email package (a strict, independent RFC 5322/MIME parser) reads the file back.
constexpr char kParseEml[] = R"(
import email, email.policy, json, sys
raw = open(sys.argv[1], 'rb').read()
msg = email.message_from_bytes(raw, policy=email.policy.strict)
parts = [p for p in msg.walk() if not p.is_multipart()]
print(json.dumps({
  'subject': str(msg['Subject']), 'to': str(msg['To']), 'from': str(msg['From']),
  'bcc': msg['Bcc'], 'run_id': str(msg['X-Haystack-Run-Id']),
  'content_type': msg.get_content_type(),
  'types': [p.get_content_type() for p in parts],
  'text': parts[0].get_content(), 'html': parts[1].get_content(),
  'max_line': max(len(l) for l in raw.split(b'\r\n')),
  'bare_lf': raw.replace(b'\r\n', b'').count(b'\n'),
}))
)";

struct ParsedEml {
  std::string subject, to, from, run_id, content_type, text, html;
  bool has_bcc = false;
  std::vector<std::string> types;
  int max_line = 0, bare_lf = 0;
};

ParsedEml Parse(const std::string& path) {
  auto result = testing::RunProcess({"/usr/bin/python3", "-c", kParseEml, path});
  INFO(result.stderr_text);
  REQUIRE(result.exit_code == 0);
  auto doc = ParseJsonDocument(result.stdout_text, "python output");
  REQUIRE(doc.ok());
  ParsedEml p;
  p.subject = (*doc)["subject"].GetString();
  p.to = (*doc)["to"].GetString();
  p.from = (*doc)["from"].GetString();
  p.run_id = (*doc)["run_id"].GetString();
  p.content_type = (*doc)["content_type"].GetString();
  p.text = (*doc)["text"].GetString();
  p.html = (*doc)["html"].GetString();
  p.has_bcc = !(*doc)["bcc"].IsNull();
  for (const auto& t : (*doc)["types"].GetArray()) p.types.emplace_back(t.GetString());
  p.max_line = (*doc)["max_line"].GetInt();
  p.bare_lf = (*doc)["bare_lf"].GetInt();
  return p;
}

TEST_CASE("the outbox writes one RFC 5322 multipart/alternative file per run and kind") {
  testing::TempDir dir;
  FakeClock clock;
  OutboxNotifier notifier(
      OutboxOptions{.directory = dir.path() / "outbox",
                    .from = {"noreply@haystack.example", "HAYSTACK \xE2\x80\x94 Lab"}},
      clock);
  for (NotificationKind kind : {NotificationKind::kRunCompleted, NotificationKind::kRunFailed,
                                NotificationKind::kRunCancelled}) {
    const RunNotification n = testing::SampleNotification(kind);
    auto receipt = notifier.Send(n);
    REQUIRE(receipt.ok());
    CHECK(receipt->provider == "outbox");
    const std::string expected_path =
        (dir.path() / "outbox" / ("hay_20261125_abc123." + std::string(EnumName(kind)) + ".eml"))
            .string();
    CHECK(receipt->provider_message_id == expected_path);
    const ParsedEml eml = Parse(expected_path);
    auto rendered = RenderEmail(n);
    REQUIRE(rendered.ok());
    CHECK(eml.subject == rendered->subject);
    CHECK(eml.to == "ada@example.org");
    CHECK(eml.from == "HAYSTACK \xE2\x80\x94 Lab <noreply@haystack.example>");
    CHECK(eml.run_id == "hay_20261125_abc123");
    CHECK(eml.content_type == "multipart/alternative");
    CHECK(eml.types == std::vector<std::string>{"text/plain", "text/html"});
    CHECK(eml.text == rendered->text);
    CHECK(eml.html == rendered->html);
    CHECK(eml.max_line <= 78);
    CHECK(eml.bare_lf == 0);
  }
  // Only the three messages, no temporary files left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "outbox")) {
    CHECK(entry.path().extension() == ".eml");
    ++files;
  }
  CHECK(files == 3);
}

TEST_CASE("hostile query text cannot inject headers into the .eml") {
  testing::TempDir dir;
  FakeClock clock;
  OutboxNotifier notifier(OutboxOptions{.directory = dir.path()}, clock);
  RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
  n.raw_query = testing::HostileQuery(/*huge=*/true);
  auto receipt = notifier.Send(n);
  REQUIRE(receipt.ok());
  const ParsedEml eml = Parse(receipt->provider_message_id);
  CHECK_FALSE(eml.has_bcc);
  CHECK(eml.subject.find("IFN-\xCE\xB3? <script>") != std::string::npos);
  CHECK(eml.subject.find('\n') == std::string::npos);
  CHECK(eml.html.find("&lt;script&gt;") != std::string::npos);
  CHECK(eml.html.find("<script>") == std::string::npos);
  CHECK(eml.text.find("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xF0\x9F\xA7\xAC") != std::string::npos);
  CHECK(eml.max_line <= 78);
}

TEST_CASE("a recipient that is not exactly one mailbox is refused, nothing is written") {
  testing::TempDir dir;
  FakeClock clock;
  OutboxNotifier notifier(OutboxOptions{.directory = dir.path()}, clock);
  RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
  n.recipient = "ada@example.org\r\nBcc: victim@example.com";
  auto refused = notifier.Send(n);
  REQUIRE_FALSE(refused.ok());
  CHECK(GetErrorKind(refused.status()) == ErrorKind::kNotification);
  CHECK(std::filesystem::is_empty(dir.path()));
}

// Sends a completion email for `run_id` and returns the path of its .eml.
std::string OutboxPathFor(OutboxNotifier& notifier, const std::string& run_id) {
  RunNotification n = testing::SampleNotification(NotificationKind::kRunCompleted);
  n.run_id = run_id;
  auto receipt = notifier.Send(n);
  REQUIRE(receipt.ok());
  return receipt->provider_message_id;
}

TEST_CASE("run ids that differ only in punctuation or non-ASCII letters get their own files") {
  testing::TempDir dir;
  FakeClock clock;
  OutboxNotifier notifier(OutboxOptions{.directory = dir.path()}, clock);
  const std::vector<std::string> ids = {"hay.collide.1",    "hay_collide_1", "hay-collide-1",
                                        "Ã©Ã©Ã©",  // ééé
                                        "Ã Ã Ã ",  // ààà
                                        "hay%2Ecollide%2E1"};
  std::set<std::string> paths;
  for (const std::string& id : ids) paths.insert(OutboxPathFor(notifier, id));
  CHECK(paths.size() == ids.size());
  // Every message is still there and names its own run: nothing was overwritten.
  std::set<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    found.insert(Parse(entry.path().string()).run_id);
  }
  CHECK(found == std::set<std::string>(ids.begin(), ids.end()));
  // Ids the job creates keep their readable names.
  CHECK(OutboxFileName("hay_20261125_abc123", NotificationKind::kRunFailed) ==
        "hay_20261125_abc123.run_failed.eml");
  CHECK(OutboxFileName("hay.collide.1", NotificationKind::kRunFailed) ==
        "hay%2Ecollide%2E1.run_failed.eml");
  CHECK(OutboxFileName("../x", NotificationKind::kRunFailed) == "%2E%2E%2Fx.run_failed.eml");
}

TEST_CASE("an unwritable outbox is a notification error naming the path") {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "file", "x");
  FakeClock clock;
  OutboxNotifier notifier(OutboxOptions{.directory = dir.path() / "file" / "outbox"}, clock);
  auto receipt = notifier.Send(testing::SampleNotification(NotificationKind::kRunFailed));
  REQUIRE_FALSE(receipt.ok());
  CHECK(GetErrorKind(receipt.status()) == ErrorKind::kNotification);
  CHECK(std::string(receipt.status().message()).find("outbox") != std::string::npos);
}

TEST_CASE("encoded-word headers stay short and split on code points") {
  const std::string text(50, 'a');
  CHECK(EncodeHeaderText(text) == text);
  std::string emoji;
  for (int i = 0; i < 40; ++i) emoji += "\xF0\x9F\xA7\xAC";
  const std::string encoded = EncodeHeaderText(emoji);
  size_t start = 0;
  int words = 0;
  while (start < encoded.size()) {
    size_t end = encoded.find("\r\n ", start);
    if (end == std::string::npos) end = encoded.size();
    CHECK(end - start <= 60);
    CHECK(encoded.substr(start, 10) == "=?UTF-8?B?");
    ++words;
    start = end + 3;
  }
  CHECK(words == 5);  // 160 bytes in words of at most 36 bytes = 9 emoji
}

}  // namespace
}  // namespace haystack
