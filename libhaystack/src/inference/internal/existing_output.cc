#include "internal/existing_output.h"

#include <optional>

#include "fmt/format.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/core/error.h"
#include "haystack/core/text.h"

namespace haystack::inference_internal {
namespace {

absl::StatusOr<AnnData> ReadOutput(const std::filesystem::path& file) {
  H5adReadOptions options;
  options.read_layers = false;
  options.read_obsm = false;
  return ReadH5ad(file.string(), options);
}

// How `data` differs from what this job writes (apart from the values), or nullopt.
std::optional<std::string> Difference(const AnnData& data, const ExpectedOutput& expected) {
  if (!data.x.has_value()) return "has no X";
  const int64_t cells = static_cast<int64_t>(expected.cells->size());
  const int64_t genes = static_cast<int64_t>(expected.genes->size());
  if (Rows(*data.x) != cells || Cols(*data.x) != genes) {
    return fmt::format("has {} × {} values, this job predicts {} × {}", Rows(*data.x),
                       Cols(*data.x), cells, genes);
  }
  if (data.obs.index != *expected.cells) return "holds other cells (obs names)";
  if (data.var.index != *expected.genes) return "holds other genes (var names)";
  const auto it = data.uns.find("haystack_inference");
  if (it == data.uns.end() || !(it->second == *expected.info)) {
    return "was written with other parameters or inputs (uns[\"haystack_inference\"] differs)";
  }
  return std::nullopt;
}

// Row `r` of `m` as dense values in `row` (cols entries).
void DenseRow(const ExpressionMatrix& m, int64_t r, std::vector<float>& row) {
  std::fill(row.begin(), row.end(), 0.f);
  if (const auto* dense = std::get_if<DenseMatrix>(&m)) {
    for (size_t c = 0; c < row.size(); ++c) row[c] = dense->at(r, static_cast<int64_t>(c));
    return;
  }
  const auto& csr = std::get<CsrMatrix>(m);
  for (int64_t k = csr.indptr[static_cast<size_t>(r)]; k < csr.indptr[static_cast<size_t>(r) + 1];
       ++k) {
    row[static_cast<size_t>(csr.indices[static_cast<size_t>(k)])] =
        csr.data[static_cast<size_t>(k)];
  }
}

// The first cell (row, column) where two matrices of one shape hold different values.
std::optional<std::pair<int64_t, int64_t>> FirstDifferentValue(const ExpressionMatrix& a,
                                                               const ExpressionMatrix& b) {
  std::vector<float> row_a(static_cast<size_t>(Cols(a))), row_b(row_a.size());
  for (int64_t r = 0; r < Rows(a); ++r) {
    DenseRow(a, r, row_a);
    DenseRow(b, r, row_b);
    for (size_t c = 0; c < row_a.size(); ++c) {
      // Bitwise: the file holds the float32 values written (NaN is never predicted).
      if (row_a[c] != row_b[c]) return std::pair{r, static_cast<int64_t>(c)};
    }
  }
  return std::nullopt;
}

}  // namespace

absl::Status CheckExistingOutput(const std::filesystem::path& file, std::string_view uri,
                                 const ExpectedOutput& expected) {
  auto refuse = [uri](std::string_view why) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kAlreadyExists,
                     fmt::format("the output {} already exists and {}; artifacts are never "
                                 "replaced: remove it or choose another output URI",
                                 QuoteForMessage(uri), why));
  };
  auto data = ReadOutput(file);
  if (!data.ok()) {
    return refuse(
        fmt::format("is not a readable .h5ad ({})", std::string(data.status().message())));
  }
  if (auto difference = Difference(*data, expected)) return refuse(*difference);
  return absl::OkStatus();
}

absl::Status VerifyWrittenOutput(const std::filesystem::path& file, std::string_view uri,
                                 const ExpectedOutput& expected, const ExpressionMatrix& x) {
  auto unpublishable = [&](std::string_view why) {
    return MakeError(ErrorKind::kStorage, absl::StatusCode::kUnavailable,
                     fmt::format("the predictions written for {} do not read back as written "
                                 "({}); not published, a re-execution writes them again",
                                 QuoteForMessage(uri), why));
  };
  auto data = ReadOutput(file);
  if (!data.ok()) return unpublishable(std::string(data.status().message()));
  if (auto difference = Difference(*data, expected)) return unpublishable(*difference);
  if (auto cell = FirstDifferentValue(*data->x, x)) {
    return unpublishable(fmt::format("X[{}, {}] differs", cell->first, cell->second));
  }
  return absl::OkStatus();
}

}  // namespace haystack::inference_internal
