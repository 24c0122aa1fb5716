#include "agent/tiny_atlas.h"

#include <vector>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"

namespace haystack::testing {
namespace {

struct Group {
  const char* cell_type;
  const char* donor;
  const char* dataset;
  const char* perturbation;
  bool is_control;
  const char* tissue;
  int cells;
};

// CD14+ monocytes (CL:0001054) treated with IFNG in two donors, each with PBS controls; CD16+
// monocytes (CL:0002396) with TNF and IFNB1 but never IFNG; generic monocytes (CL:0000576) with
// IFNB1 in a donor without controls; B, NK and T cells for observational queries.
constexpr Group kGroups[] = {
    {"CL:0001054", "D1", "ds1", "PBS", true, "UBERON:0000178", 20},
    {"CL:0001054", "D1", "ds1", "IFNG", false, "UBERON:0000178", 20},
    {"CL:0001054", "D2", "ds1", "PBS", true, "UBERON:0000178", 15},
    {"CL:0001054", "D2", "ds1", "IFNG", false, "UBERON:0000178", 25},
    {"CL:0002396", "D1", "ds1", "PBS", true, "UBERON:0000178", 10},
    {"CL:0002396", "D1", "ds1", "TNF", false, "UBERON:0000178", 12},
    {"CL:0002396", "D1", "ds1", "IFNB1", false, "UBERON:0000178", 12},
    {"CL:0000576", "D3", "ds2", "IFNB1", false, "UBERON:0000178", 30},
    {"CL:0000236", "D1", "ds1", "PBS", true, "UBERON:0000178", 10},
    {"CL:0000236", "D1", "ds1", "IL4", false, "UBERON:0000178", 10},
    {"CL:0000623", "D3", "ds2", "untreated", true, "UBERON:0002048", 8},
    {"CL:0000623", "D3", "ds2", "ruxolitinib", false, "UBERON:0002048", 10},
    {"CL:0000084", "D4", "ds2", "DMSO", true, "UBERON:0002048", 10},
    {"CL:0000084", "D4", "ds2", "dexamethasone", false, "UBERON:0002048", 10},
};

}  // namespace

std::unique_ptr<CellAtlas> WriteTinyAtlas(const std::string& path) {
  std::vector<std::string> cell_type, donor, dataset, perturbation, tissue, names;
  std::vector<bool> is_control;
  for (const Group& g : kGroups) {
    for (int i = 0; i < g.cells; ++i) {
      names.push_back("cell" + std::to_string(names.size()));
      cell_type.push_back(g.cell_type);
      donor.push_back(g.donor);
      dataset.push_back(g.dataset);
      perturbation.push_back(g.perturbation);
      tissue.push_back(g.tissue);
      is_control.push_back(g.is_control);
    }
  }
  AnnData data;
  data.obs.index = names;
  auto add = [&](const char* name, const std::vector<std::string>& values) {
    REQUIRE(data.obs.AddColumn({name, Categorical::FromStrings(values), std::nullopt}).ok());
  };
  add("cell_type_ontology_term_id", cell_type);
  add("donor_id", donor);
  add("dataset", dataset);
  add("perturbation", perturbation);
  add("tissue_ontology_term_id", tissue);
  REQUIRE(data.obs.AddColumn({"is_control", is_control, std::nullopt}).ok());
  data.var.index = {"STAT1", "IRF1", "GBP1", "CD14", "LYZ"};
  DenseMatrix x(static_cast<int64_t>(names.size()), 5);
  for (int64_t r = 0; r < x.rows; ++r) x.at(r, r % 5) = 1.0f + static_cast<float>(r % 7);
  data.x = x;
  REQUIRE(WriteH5ad(data, path).ok());
  auto atlas = OpenH5adAtlas(path);
  REQUIRE(atlas.ok());
  return std::move(*atlas);
}

}  // namespace haystack::testing
