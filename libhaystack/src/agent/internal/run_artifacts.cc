#include "internal/run_artifacts.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/storage/atomic_file.h"

namespace haystack::agent_internal {
namespace {

constexpr std::string_view kH5adContentType = "application/x-hdf5";

absl::Status WriteLocalFile(const std::filesystem::path& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kResourceExhausted,
                     absl::StrCat("cannot write the scratch file ", path.string()));
  }
  return absl::OkStatus();
}

// Scratch directories of earlier executions of the run whose process is gone (kill -9, a
// preempted machine): "haystack-<run_id>-<pid>" with no live <pid>.
void RemoveStaleScratch(const std::filesystem::path& scratch_root, std::string_view run_id) {
  const std::string prefix = absl::StrCat("haystack-", std::string(run_id), "-");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(scratch_root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    int64_t pid = 0;
    if (!absl::SimpleAtoi(name.substr(prefix.size()), &pid) || pid <= 0) continue;
    if (pid == getpid() || kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

}  // namespace

absl::StatusOr<RunArtifacts> RunArtifacts::Create(ArtifactStore& store, std::string run_id,
                                                  const std::filesystem::path& scratch_root,
                                                  Logger logger) {
  RemoveStaleScratch(scratch_root, run_id);
  std::error_code ec;
  std::filesystem::path scratch =
      scratch_root / absl::StrCat("haystack-", run_id, "-", static_cast<int64_t>(getpid()));
  std::filesystem::create_directories(scratch, ec);
  if (ec) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kFailedPrecondition,
                     absl::StrCat("cannot create the scratch directory ", scratch.string(), ": ",
                                  ec.message(), " (setting scratch_dir)"));
  }
  return RunArtifacts(store, std::move(run_id), std::move(scratch), std::move(logger));
}

RunArtifacts::RunArtifacts(RunArtifacts&& other) noexcept
    : store_(other.store_),
      run_id_(std::move(other.run_id_)),
      scratch_(std::move(other.scratch_)),
      logger_(std::move(other.logger_)),
      scratch_counter_(other.scratch_counter_) {
  other.scratch_.clear();
}

RunArtifacts::~RunArtifacts() {
  if (scratch_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(scratch_, ec);
}

std::string RunArtifacts::Path(std::string_view name) const {
  return RunArtifactPath(run_id_, name);
}

std::string RunArtifacts::Uri(std::string_view name) const { return store_->Uri(Path(name)); }

std::string RunArtifacts::IterationFile(int iteration, std::string_view file) {
  return absl::StrCat("iterations/", iteration, "/", std::string(file));
}

std::filesystem::path RunArtifacts::ScratchFile(std::string_view name) {
  const std::string flat = std::filesystem::path(std::string(name)).filename().string();
  return scratch_ / absl::StrCat(scratch_counter_++, "-", flat);
}

absl::StatusOr<std::string> RunArtifacts::Store(std::string_view name, std::string_view contents,
                                                std::string_view content_type) {
  auto stored = store_->Put(Path(name), contents, content_type);
  if (stored.ok()) return stored->uri;
  if (stored.status().code() != absl::StatusCode::kAlreadyExists) {
    return Annotate(stored.status(), absl::StrCat("storing ", Path(name)));
  }
  // An earlier attempt of this run stored it from the same recorded choices.
  logger_.Notice("an earlier attempt already stored this artifact; keeping it",
                 {{"artifact", Uri(name)}});
  return Uri(name);
}

absl::StatusOr<std::string> RunArtifacts::PutFile(std::string_view name,
                                                  const std::filesystem::path& local,
                                                  std::string_view content_type) {
  auto contents = ReadWholeFile(local);
  std::error_code ec;
  std::filesystem::remove(local, ec);
  if (!contents.ok()) return contents.status();
  return Store(name, *contents, content_type);
}

absl::StatusOr<std::string> RunArtifacts::PutCells(std::string_view name, const CellAtlas& atlas,
                                                   std::span<const int64_t> cells,
                                                   const GatherOptions& options) {
  // A re-execution redoing a step finds the cells an earlier attempt stored from the same
  // recorded choices: no need to gather and encode them again.
  if (auto exists = store_->Exists(Path(name)); exists.ok() && *exists) {
    logger_.Notice("an earlier attempt already stored these cells; keeping them",
                   {{"artifact", Uri(name)}});
    return Uri(name);
  }
  const std::filesystem::path local = ScratchFile(name);
  if (absl::Status written =
          atlas.WriteSubset(cells, local.string(), options, CompactH5adWriteOptions());
      !written.ok()) {
    std::error_code ec;
    std::filesystem::remove(local, ec);
    return Annotate(written, absl::StrCat("writing ", Path(name)));
  }
  return PutFile(name, local, kH5adContentType);
}

absl::StatusOr<std::string> RunArtifacts::PutAnnData(std::string_view name, const AnnData& data) {
  const std::filesystem::path local = ScratchFile(name);
  if (absl::Status written = WriteH5ad(data, local.string(), CompactH5adWriteOptions());
      !written.ok()) {
    std::error_code ec;
    std::filesystem::remove(local, ec);
    return Annotate(written, absl::StrCat("writing ", Path(name)));
  }
  return PutFile(name, local, kH5adContentType);
}

absl::StatusOr<std::string> RunArtifacts::PutText(std::string_view name, std::string_view contents,
                                                  std::string_view content_type) {
  return Store(name, contents, content_type);
}

absl::StatusOr<AnnData> RunArtifacts::ReadAnnData(std::string_view name) {
  auto contents = store_->Get(Path(name));
  if (!contents.ok()) return Annotate(contents.status(), absl::StrCat("reading ", Uri(name)));
  const std::filesystem::path local = ScratchFile(name);
  HAYSTACK_RETURN_IF_ERROR(WriteLocalFile(local, *contents));
  auto data = ReadH5ad(local.string());
  std::error_code ec;
  std::filesystem::remove(local, ec);
  if (!data.ok()) return Annotate(data.status(), absl::StrCat("reading ", Uri(name)));
  return data;
}

void RunArtifacts::DiscardIteration(int iteration) {
  int64_t removed = 0;
  for (std::string_view file : kIterationFiles) {
    const std::string path = Path(IterationFile(iteration, file));
    absl::StatusOr<bool> exists = store_->Exists(path);
    absl::Status status = exists.ok() ? absl::OkStatus() : exists.status();
    if (exists.ok() && *exists) {
      status = store_->Remove(path);
      if (status.ok()) ++removed;
    }
    if (!status.ok()) {
      logger_.Warning(
          "could not remove a file of the unfinished iteration",
          {{"iteration", iteration}, {"uri", store_->Uri(path)}, {"error", status.ToString()}});
    }
  }
  if (removed > 0) {
    logger_.Info("removed the files of the unfinished iteration",
                 {{"iteration", iteration}, {"files", removed}});
  }
}

}  // namespace haystack::agent_internal
