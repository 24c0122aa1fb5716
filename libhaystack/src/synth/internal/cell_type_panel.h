// The cell types of the CELLxGENE-layout test atlas: real Cell Ontology ids and labels
// (Cell Ontology 2024 releases), with the tissue each is drawn from. Parent/child pairs are
// present on purpose: monocyte / CD14-positive monocyte and T cell / CD4- and CD8-positive
// alpha-beta T cells (relations the bundled knowledge base knows), macrophage / alveolar
// macrophage and B cell / naive and memory B cells (relations it does not know).
#ifndef HAYSTACK_SRC_SYNTH_INTERNAL_CELL_TYPE_PANEL_H_
#define HAYSTACK_SRC_SYNTH_INTERNAL_CELL_TYPE_PANEL_H_

#include <span>
#include <string_view>

namespace haystack::synth_internal {

enum class Tissue { kBlood, kLung, kLiver, kKidney, kAnyOrgan };

struct PanelCellType {
  std::string_view id;
  std::string_view label;
  Tissue tissue;
};

// 126 cell types; blood cell types first (they are the perturbed ones).
std::span<const PanelCellType> CellTypePanel();

}  // namespace haystack::synth_internal

#endif  // HAYSTACK_SRC_SYNTH_INTERNAL_CELL_TYPE_PANEL_H_
