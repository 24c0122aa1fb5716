// Writes the report (Markdown, HTML, JSON log) of a sample run and the three sample emails
// (HTML and text parts) into a directory, for scripts/render-screenshots and the browser test.
// Usage: output_samples <directory>
#include <filesystem>
#include <iostream>

#include "haystack/notify/email_templates.h"
#include "haystack/output/run_report.h"
#include "haystack/storage/atomic_file.h"
#include "sample_notifications.h"
#include "sample_run.h"

int main(int argc, char** argv) {
  using namespace haystack;
  if (argc != 2) {
    std::cerr << "usage: output_samples <directory>\n";
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  auto write = [&dir](const std::string& name, const std::string& contents) {
    if (absl::Status s = WriteFileAtomically(dir / name, contents); !s.ok()) {
      std::cerr << s.message() << "\n";
      std::exit(1);
    }
  };
  RunReportInput input = testing::SampleReportInput();
  write("report.md", RenderReportMarkdown(input));
  write("report.html", RenderReportHtml(input));
  write("log.json", RenderRunLog(input));
  RunReportInput hostile = input;
  hostile.run.raw_query = testing::HostileQuery(/*huge=*/false);
  write("report-hostile.html", RenderReportHtml(hostile));
  for (NotificationKind kind : {NotificationKind::kRunCompleted, NotificationKind::kRunFailed,
                                NotificationKind::kRunCancelled}) {
    RunNotification n = testing::SampleNotification(kind);
    if (kind == NotificationKind::kRunFailed) n.raw_query = testing::HostileQuery(false);
    auto email = RenderEmail(n);
    if (!email.ok()) {
      std::cerr << email.status().message() << "\n";
      return 1;
    }
    const std::string base = "email-" + std::string(EnumName(kind));
    write(base + ".html", email->html);
    write(base + ".txt", "Subject: " + email->subject + "\n\n" + email->text);
  }
  std::cout << dir.string() << "\n";
  return 0;
}
