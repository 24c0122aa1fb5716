// A re-executed job may find its output artifact already there (the earlier attempt wrote it,
// then the batch job died before recording success). Artifacts are create-only, so the job
// either reuses that output or fails; it never replaces it.
#ifndef HAYSTACK_SRC_INFERENCE_INTERNAL_EXISTING_OUTPUT_H_
#define HAYSTACK_SRC_INFERENCE_INTERNAL_EXISTING_OUTPUT_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "haystack/atlas/anndata.h"
#include "haystack/core/matrix.h"

namespace haystack::inference_internal {

// What this job would write, apart from the predicted values.
struct ExpectedOutput {
  const std::vector<std::string>* cells = nullptr;  // obs names: the query cells, in order
  const std::vector<std::string>* genes = nullptr;  // var names
  const UnsValue* info = nullptr;                   // uns["haystack_inference"]
};

// OK if `file` (the fetched artifact at `uri`) is a readable .h5ad with X of shape cells ×
// genes, the same obs and var names, and the same uns["haystack_inference"] (backend, model
// version, seed, effect scale, prompt/reference/query cell counts): the predictions of the same
// job. Otherwise AlreadyExists (kind kStorage) naming `uri` and the first difference.
absl::Status CheckExistingOutput(const std::filesystem::path& file, std::string_view uri,
                                 const ExpectedOutput& expected);

// OK if the file just written for `uri` reads back as this job's output with exactly the values
// `x`. Checked before publishing, because artifacts are create-only: a file that cannot be read
// back must never be published. A full disk met by another write of the same process can leave
// HDF5 writing a damaged file without reporting an error (docs/atlas.md, "A full disk"). Failure
// is kUnavailable (kind kStorage): transient, the next execution writes the file again.
absl::Status VerifyWrittenOutput(const std::filesystem::path& file, std::string_view uri,
                                 const ExpectedOutput& expected, const ExpressionMatrix& x);

}  // namespace haystack::inference_internal

#endif  // HAYSTACK_SRC_INFERENCE_INTERNAL_EXISTING_OUTPUT_H_
