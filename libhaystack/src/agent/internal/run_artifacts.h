// The files of one run in the artifact store (docs/output.md "Artifacts"):
//   runs/<run_id>/query_cells.h5ad
//   runs/<run_id>/iterations/<n>/{prompt,control_prompt,predictions,control_predictions}.h5ad
//   runs/<run_id>/{output.h5ad,report.md,report.html,log.json}
// Files are encoded in a private scratch directory, then stored create-only, so the same code
// serves a local directory and a gs:// bucket and nothing half-written is ever visible.
//
// A re-executed job regenerates the same files from the same recorded choices; where an earlier
// attempt already stored one (byte-identical or not: HDF5 and the reports embed timestamps) the
// stored object is kept and used, with a note in the log, instead of failing the run. Cells
// (the costly gather) are not even regenerated when their file exists.
#ifndef HAYSTACK_AGENT_INTERNAL_RUN_ARTIFACTS_H_
#define HAYSTACK_AGENT_INTERNAL_RUN_ARTIFACTS_H_

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "haystack/atlas/anndata.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/core/logging.h"
#include "haystack/output/artifact_store.h"

namespace haystack::agent_internal {

class RunArtifacts {
 public:
  // Creates a scratch directory under `scratch_root` (kStorage error if it cannot).
  static absl::StatusOr<RunArtifacts> Create(ArtifactStore& store, std::string run_id,
                                             const std::filesystem::path& scratch_root,
                                             Logger logger);
  RunArtifacts(RunArtifacts&& other) noexcept;
  RunArtifacts& operator=(RunArtifacts&&) = delete;
  ~RunArtifacts();  // removes the scratch directory

  // "runs/<run_id>/<name>" and its URI in the store.
  std::string Path(std::string_view name) const;
  std::string Uri(std::string_view name) const;
  static std::string IterationFile(int iteration, std::string_view file);  // "iterations/2/x"

  // Stores `cells` of `atlas` as the .h5ad artifact `name`; returns its URI.
  absl::StatusOr<std::string> PutCells(std::string_view name, const CellAtlas& atlas,
                                       std::span<const int64_t> cells,
                                       const GatherOptions& options = {});
  // Stores `data` as the .h5ad artifact `name`; returns its URI.
  absl::StatusOr<std::string> PutAnnData(std::string_view name, const AnnData& data);
  absl::StatusOr<std::string> PutText(std::string_view name, std::string_view contents,
                                      std::string_view content_type);
  // Reads the .h5ad artifact `name` back (e.g. predictions the inference backend wrote).
  absl::StatusOr<AnnData> ReadAnnData(std::string_view name);

  // Removes what an unfinished iteration left (a cancelled or failed inference) where the
  // store is a local directory. Objects in a bucket are complete files that nothing
  // references; they are left (docs/operations.md).
  void DiscardIteration(int iteration);

 private:
  RunArtifacts(ArtifactStore& store, std::string run_id, std::filesystem::path scratch,
               Logger logger)
      : store_(&store),
        run_id_(std::move(run_id)),
        scratch_(std::move(scratch)),
        logger_(std::move(logger)) {}
  absl::StatusOr<std::string> PutFile(std::string_view name, const std::filesystem::path& local,
                                      std::string_view content_type);
  absl::StatusOr<std::string> Store(std::string_view name, std::string_view contents,
                                    std::string_view content_type);
  std::filesystem::path ScratchFile(std::string_view name);

  ArtifactStore* store_;
  std::string run_id_;
  std::filesystem::path scratch_;
  Logger logger_;
  int64_t scratch_counter_ = 0;
};

}  // namespace haystack::agent_internal

#endif  // HAYSTACK_AGENT_INTERNAL_RUN_ARTIFACTS_H_
