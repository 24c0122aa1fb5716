#include "internal/prediction_design.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "haystack/core/error.h"
#include "internal/matrix_rows.h"

namespace haystack::agent_internal {
namespace {

std::string SelectionValue(const PromptCandidate& prompt, AtlasField field) {
  auto it = prompt.selection.find(std::string(DefaultColumnName(field)));
  return it == prompt.selection.end() ? "" : it->second;
}

// The value of `field` for every cell.
absl::StatusOr<std::vector<std::string>> ValuesOf(const CellAtlas& atlas, AtlasField field,
                                                  const std::vector<int64_t>& cells) {
  std::vector<std::string> out;
  out.reserve(cells.size());
  for (int64_t cell : cells) {
    HAYSTACK_ASSIGN_OR_RETURN(std::string v, atlas.ValueOf(field, cell));
    out.push_back(std::move(v));
  }
  return out;
}

// Codes of `values` in the order of first appearance, and the distinct values.
std::pair<std::vector<int32_t>, std::vector<std::string>> Encode(
    const std::vector<std::string>& values) {
  std::map<std::string, int32_t> code;
  std::vector<std::string> names;
  std::vector<int32_t> out;
  out.reserve(values.size());
  for (const std::string& v : values) {
    auto [it, added] = code.emplace(v, static_cast<int32_t>(names.size()));
    if (added) names.push_back(v);
    out.push_back(it->second);
  }
  return {std::move(out), std::move(names)};
}

// Units with at least `min_cells` cells.
int CountUnits(const std::vector<int32_t>& codes, size_t n_units, int min_cells) {
  std::vector<int> cells(n_units, 0);
  for (int32_t c : codes) ++cells[static_cast<size_t>(c)];
  return static_cast<int>(
      std::count_if(cells.begin(), cells.end(), [&](int n) { return n >= min_cells; }));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PredictionDesignData>> PredictionDesignData::Build(
    const DesignInputs& in) {
  auto data = std::unique_ptr<PredictionDesignData>(new PredictionDesignData());
  HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> donors,
                            ValuesOf(in.atlas, AtlasField::kDonor, in.query_cell_indices));
  HAYSTACK_RETURN_IF_ERROR(data->ReadUnits(in, donors));
  HAYSTACK_ASSIGN_OR_RETURN(data->evidence_treated_,
                            GatherOver(in.atlas, in.prompt.prompt_cell_indices, in.genes));
  const bool synthetic = in.control_strategy == ControlStrategy::kSyntheticControl &&
                         in.prompt.paired_control_indices &&
                         !in.prompt.paired_control_indices->empty();
  HAYSTACK_RETURN_IF_ERROR(synthetic ? data->ReadMatchedControls(in)
                                     : data->ReadQueryControls(in, donors));
  data->design_.evidence_treated = &*data->evidence_treated_;
  data->design_.evidence_control = &*data->evidence_control_;
  return data;
}

// Donors are the units; when the query cells have fewer than two donors with enough cells, the
// datasets (samples) are, if they give at least two.
absl::Status PredictionDesignData::ReadUnits(const DesignInputs& in,
                                             const std::vector<std::string>& donors) {
  auto [codes, names] = Encode(donors);
  design_.unit_field = std::string(DefaultColumnName(AtlasField::kDonor));
  if (CountUnits(codes, names.size(), scoring::kMinCellsPerUnit) < 2 &&
      in.atlas.HasField(AtlasField::kDataset)) {
    HAYSTACK_ASSIGN_OR_RETURN(std::vector<std::string> datasets,
                              ValuesOf(in.atlas, AtlasField::kDataset, in.query_cell_indices));
    auto [dataset_codes, dataset_names] = Encode(datasets);
    if (CountUnits(dataset_codes, dataset_names.size(), scoring::kMinCellsPerUnit) >= 2) {
      codes = std::move(dataset_codes);
      names = std::move(dataset_names);
      design_.unit_field = std::string(DefaultColumnName(AtlasField::kDataset));
    }
  }
  design_.unit_of_row = std::move(codes);
  design_.unit_names = std::move(names);
  return absl::OkStatus();
}

// Under synthetic control: the prompt's matched controls (same donor, dataset and cell type).
absl::Status PredictionDesignData::ReadMatchedControls(const DesignInputs& in) {
  HAYSTACK_ASSIGN_OR_RETURN(evidence_control_,
                            GatherOver(in.atlas, *in.prompt.paired_control_indices, in.genes));
  design_.evidence_description = absl::StrCat(
      Rows(*evidence_treated_), " prompt cells and ", Rows(*evidence_control_),
      " matched control cells of donor ", SelectionValue(in.prompt, AtlasField::kDonor));
  return absl::OkStatus();
}

// Under query-as-control: the query cells of the prompt's own donor (and dataset) when there are
// enough, else the query cells of the other donors, donor by donor.
absl::Status PredictionDesignData::ReadQueryControls(const DesignInputs& in,
                                                     const std::vector<std::string>& donors) {
  const std::string donor = SelectionValue(in.prompt, AtlasField::kDonor);
  const std::string dataset = SelectionValue(in.prompt, AtlasField::kDataset);
  std::vector<std::string> datasets(donors.size());
  if (!dataset.empty() && in.atlas.HasField(AtlasField::kDataset)) {
    HAYSTACK_ASSIGN_OR_RETURN(datasets,
                              ValuesOf(in.atlas, AtlasField::kDataset, in.query_cell_indices));
  }
  std::vector<int64_t> same, others;
  for (size_t r = 0; r < donors.size(); ++r) {
    if (donors[r] != donor) {
      others.push_back(static_cast<int64_t>(r));
    } else if (dataset.empty() || datasets[r].empty() || datasets[r] == dataset) {
      same.push_back(static_cast<int64_t>(r));
    }
  }
  const int64_t n_treated = Rows(*evidence_treated_);
  if (static_cast<int>(same.size()) >= in.min_cells) {
    evidence_control_ = TakeRows(in.query_cells, same);
    design_.evidence_description = absl::StrCat(n_treated, " prompt cells and ", same.size(),
                                                " query cells of the same donor ", donor);
    return absl::OkStatus();
  }
  evidence_control_ = TakeRows(in.query_cells, others);
  std::vector<std::string> other_donors;
  for (int64_t r : others) other_donors.push_back(donors[static_cast<size_t>(r)]);
  auto [codes, names] = Encode(other_donors);
  design_.evidence_control_unit = std::move(codes);
  design_.evidence_control_unit_names = std::move(names);
  design_.evidence_description =
      absl::StrCat(n_treated, " prompt cells of donor ", donor, " and ", others.size(),
                   " query cells of ", design_.evidence_control_unit_names.size(), " other donors");
  return absl::OkStatus();
}

}  // namespace haystack::agent_internal
