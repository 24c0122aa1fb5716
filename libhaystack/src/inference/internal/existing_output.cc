#include "internal/existing_output.h"

#include "fmt/format.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::inference_internal {

absl::Status CheckExistingOutput(const std::filesystem::path& file, std::string_view uri,
                                 const ExpectedOutput& expected) {
  auto refuse = [uri](std::string_view why) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kAlreadyExists,
                     fmt::format("the output {} already exists and {}; artifacts are never "
                                 "replaced: remove it or choose another output URI",
                                 QuoteForMessage(uri), why));
  };
  H5adReadOptions options;
  options.read_layers = false;
  options.read_obsm = false;
  auto data = ReadH5ad(file.string(), options);
  if (!data.ok()) {
    return refuse(
        fmt::format("is not a readable .h5ad ({})", std::string(data.status().message())));
  }
  if (!data->x.has_value()) return refuse("has no X");
  const int64_t cells = static_cast<int64_t>(expected.cells->size());
  const int64_t genes = static_cast<int64_t>(expected.genes->size());
  if (Rows(*data->x) != cells || Cols(*data->x) != genes) {
    return refuse(fmt::format("has {} × {} values, this job predicts {} × {}", Rows(*data->x),
                              Cols(*data->x), cells, genes));
  }
  if (data->obs.index != *expected.cells) return refuse("holds other cells (obs names)");
  if (data->var.index != *expected.genes) return refuse("holds other genes (var names)");
  const auto it = data->uns.find("haystack_inference");
  if (it == data->uns.end() || !(it->second == *expected.info)) {
    return refuse(
        "was written with other parameters or inputs (uns[\"haystack_inference\"] differs)");
  }
  return absl::OkStatus();
}

}  // namespace haystack::inference_internal
