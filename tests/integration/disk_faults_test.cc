// A full disk where the artifacts go (a small tmpfs from tests/support): the run is not failed;
// the job exits 75 with every iteration kept, and the re-execution writes only the outputs.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <iostream>
#include <map>

#include "haystack/job/exit_codes.h"
#include "orchestration.h"
#include "support/small_filesystem.h"

namespace haystack::testing {
namespace {

namespace fs = std::filesystem;

constexpr char kOneIteration[] = R"({"max_iterations": 1, "score_threshold": 10})";
const char* const kOutputs[] = {"output.h5ad", "report.md", "report.html", "log.json"};

// Bytes a tmpfs needs for the files under `dir` (whole pages each).
int64_t PagesOf(const fs::path& dir, bool outputs) {
  int64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    const bool is_output =
        std::find(std::begin(kOutputs), std::end(kOutputs), name) != std::end(kOutputs);
    if (is_output != outputs) continue;
    bytes += (static_cast<int64_t>(entry.file_size()) + 4095) / 4096 * 4096;
  }
  return bytes;
}

// Each file under `dir` with its inode and modification time: what "not rewritten" means.
std::map<std::string, std::pair<ino_t, int64_t>> Snapshot(const fs::path& dir) {
  std::map<std::string, std::pair<ino_t, int64_t>> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    REQUIRE(::stat(entry.path().c_str(), &st) == 0);
    files[fs::relative(entry.path(), dir).string()] = {
        st.st_ino, static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  return files;
}

struct Sizes {
  int64_t iteration_bytes = 0;  // the artifacts of one iteration (and the query cells)
  int64_t output_bytes = 0;     // output.h5ad, the reports and log.json
};

// From the same run on a roomy disk (same query, seed and atlas: the same bytes), once.
const Sizes& ReferenceSizes() {
  static const Sizes sizes = [] {
    Orchestration reference;
    const std::string id = reference.CreateRun(kOneIteration);
    const ProcessResult done = reference.Execute(id);
    INFO(done.stderr_text);
    REQUIRE(done.exit_code == kExitSuccess);
    Sizes measured{.iteration_bytes = PagesOf(reference.RunDir(id), /*outputs=*/false),
                   .output_bytes = PagesOf(reference.RunDir(id), /*outputs=*/true)};
    std::cout << "artifacts of one iteration: " << measured.iteration_bytes
              << " B, outputs: " << measured.output_bytes << " B\n";
    return measured;
  }();
  return sizes;
}

TEST_CASE(
    "a full disk while writing the outputs exits 75, and the re-execution writes only the "
    "outputs",
    "[faults][disk]") {
  const int64_t iteration_bytes = ReferenceSizes().iteration_bytes;
  const int64_t output_bytes = ReferenceSizes().output_bytes;
  REQUIRE(output_bytes > 8 * 4096);

  // Room for the iteration, not for the outputs.
  SmallFilesystem disk(iteration_bytes + output_bytes / 4);
  if (!disk.available()) {
    WARN("skipping the full-disk test: " << disk.why_unavailable());
    return;
  }
  Orchestration o("", (disk.path() / "artifacts").string());
  const std::string id = o.CreateRun(kOneIteration);
  const ProcessResult full = o.Execute(id);
  INFO(full.stderr_text);
  CHECK(full.exit_code == kExitTransient);  // before: a failed run, exit 1, failure email
  CHECK_THAT(full.stderr_text, Catch::Contains("No space left"));
  const Run at_full = o.Get(id);
  CHECK(at_full.status == RunStatus::kRunning);
  CHECK_FALSE(at_full.error.has_value());
  REQUIRE(at_full.iterations.size() == 1);
  CHECK_FALSE(at_full.lease_owner.has_value());  // released: the retry need not wait
  CHECK(o.OutboxFiles().empty());
  const auto iteration_files = Snapshot(fs::path(o.RunDir(id)) / "iterations");
  REQUIRE_FALSE(iteration_files.empty());

  REQUIRE(disk.Resize(iteration_bytes + 4 * output_bytes));
  const ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  const Run run = o.Get(id);
  CHECK(run.status == RunStatus::kCompleted);
  CHECK(run.attempt == 2);
  REQUIRE(run.iterations.size() == 1);
  CHECK(run.iterations[0] == at_full.iterations[0]);
  for (const char* file : kOutputs) CHECK(fs::is_regular_file(fs::path(o.RunDir(id)) / file));
  // Only the outputs were written: every iteration file is the one the first attempt wrote, and
  // the second attempt entered no phase of an iteration.
  CHECK(Snapshot(fs::path(o.RunDir(id)) / "iterations") == iteration_files);
  auto events = o.store().ListEvents(id);
  REQUIRE(events.ok());
  for (const RunEvent& e : *events) {
    if (e.attempt != 2) continue;
    INFO(e.kind << " " << e.message);
    CHECK(e.kind != "iteration");
    CHECK((e.phase != RunPhase::kPromptGeneration && e.phase != RunPhase::kInference &&
           e.phase != RunPhase::kEvaluation));
  }
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_completed.eml"});
}

TEST_CASE(
    "a full disk at any phase (artifacts and scratch on it) exits 75, never a failure or a "
    "crash, and the re-execution completes",
    "[faults][disk]") {
  // Fractions of one iteration's artifacts, so that the disk fills in every phase: storing the
  // query cells, creating a predictions file (HDF5's H5Fcreate writes the superblock: once a
  // failed run), writing the predictions (the HDF5 writer's own ENOSPC: once a crash at exit),
  // publishing them, and the evaluation's artifacts.
  const double room = GENERATE(0.05, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 0.98);
  INFO("room for " << room << " of an iteration");
  const int64_t bytes = static_cast<int64_t>(room * ReferenceSizes().iteration_bytes);
  SmallFilesystem disk(bytes);
  if (!disk.available()) {
    WARN("skipping the full-disk test: " << disk.why_unavailable());
    return;
  }
  Orchestration o("", (disk.path() / "artifacts").string());
  fs::create_directories(disk.path() / "scratch");
  o.base_env["HAYSTACK_SCRATCH_DIR"] = (disk.path() / "scratch").string();
  const std::string id = o.CreateRun(kOneIteration);
  const ProcessResult full = o.Execute(id);
  INFO(full.stderr_text);
  CHECK_FALSE(full.signaled);
  CHECK(full.exit_code == kExitTransient);  // before: SIGSEGV at exit, or a failed run
  CHECK_THAT(full.stderr_text, Catch::Contains("StorageError"));
  const Run at_full = o.Get(id);
  CHECK(at_full.status == RunStatus::kRunning);
  CHECK_FALSE(at_full.error.has_value());
  CHECK(o.OutboxFiles().empty());

  REQUIRE(disk.Resize(4 * (ReferenceSizes().iteration_bytes + ReferenceSizes().output_bytes)));
  const ProcessResult resumed = o.Execute(id);
  INFO(resumed.stderr_text);
  CHECK(resumed.exit_code == kExitSuccess);
  CHECK(o.Get(id).status == RunStatus::kCompleted);
  CHECK(o.OutboxFiles() == std::vector<std::string>{id + ".run_completed.eml"});
}

}  // namespace
}  // namespace haystack::testing
