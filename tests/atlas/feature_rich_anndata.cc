#include "feature_rich_anndata.h"

#include "haystack/core/matrix.h"

namespace haystack::testing {

AnnData MakeFeatureRichAnnData() {
  AnnData a;
  a.obs.index = {"cell0", "cell1", "cell2", "cell3", "cell4", "cell5"};
  a.var.index_name = "gene_ids";
  a.var.index = {"ENSG1", "ENSG2", "ENSG3", "ENSG4"};
  DenseMatrix x(6, 4);
  x.at(0, 1) = 1.5f;
  x.at(0, 3) = 2.f;
  x.at(2, 0) = 3.25f;
  x.at(2, 2) = 1.f;
  x.at(3, 3) = 7.f;
  x.at(4, 0) = 1.f;
  x.at(4, 1) = 2.f;
  x.at(4, 2) = 3.f;
  x.at(4, 3) = 4.f;
  x.at(5, 1) = 0.5f;
  a.x = ToCsr(x);
  Categorical cell_type{{"B", "NK", "T"}, {2, 0, 2, -1, 1, 0}, false};
  Categorical stage{{"early", "mid", "late"}, {0, 2, 1, 0, 2, 1}, true};
  a.obs.columns = {
      {"cell_type", cell_type, std::nullopt},
      {"batch", Categorical::FromStrings({"b1", "b1", "b2", "b2", "b1", "b2"}), std::nullopt},
      {"barcode_note", std::vector<std::string>{"n0", "n1", "n2", "n3", "n4", "n5 é"},
       std::nullopt},
      {"n_counts", std::vector<int64_t>{10, 20, 30, 40, 50, 60}, std::nullopt},
      {"n_genes", std::vector<int32_t>{1, 2, 3, 4, 5, 6}, std::nullopt},
      {"pct_mito", std::vector<double>{0.1, 0.2, 0.3, 0.4, 0.5, 0.25}, std::nullopt},
      {"score32", std::vector<float>{0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f}, std::nullopt},
      {"is_doublet", std::vector<bool>{false, true, false, false, true, false}, std::nullopt},
      {"nullable_int", std::vector<int64_t>{1, 0, 3, 4, 5, 6},
       std::vector<bool>{false, true, false, false, false, false}},
      {"nullable_bool", std::vector<bool>{true, false, false, true, false, true},
       std::vector<bool>{false, true, false, false, false, false}},
      {"stage", stage, std::nullopt},
  };
  a.var.columns = {
      {"gene_symbols", std::vector<std::string>{"STAT1", "IRF1", "GBP1", "CXCL10"}, std::nullopt},
      {"highly_variable", std::vector<bool>{true, false, true, false}, std::nullopt},
      {"means", std::vector<double>{0.5, 1.5, 2.5, 3.5}, std::nullopt},
  };
  NumericArray pca;
  pca.shape = {6, 2};
  pca.data = std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  a.obsm["X_pca"] = pca;
  DenseMatrix counts = x;
  for (float& v : counts.values) v *= 2;
  a.layers["counts"] = counts;

  DataFrame de;
  de.index = {"0", "1"};
  de.columns = {{"gene", std::vector<std::string>{"STAT1", "IRF1"}, std::nullopt},
                {"logfc", std::vector<double>{1.5, -0.5}, std::nullopt}};
  UnsValue::Dict params{
      {"strategy", "direct"}, {"k", 50}, {"nested", UnsValue::Dict{{"deep", "yes"}}}};
  UnsValue::List iterations{
      UnsValue::Dict{{"iteration", 1}, {"score", 0.5}, {"strategy", "direct"}},
      UnsValue::Dict{{"iteration", 2}, {"score", 0.75}, {"strategy", "mixed"}},
  };
  a.uns["haystack"] = UnsValue::Dict{
      {"run_id", "hay_20261125_abc"},
      {"iteration", 3},
      {"score", 0.875},
      {"converged", true},
      {"genes", std::vector<std::string>{"STAT1", "IRF1"}},
      {"ints", std::vector<int64_t>{1, 2, 3}},
      {"floats", std::vector<double>{0.5, 1.25}},
      {"flags", std::vector<bool>{true, false}},
      {"params", params},
      {"iterations", iterations},
  };
  a.uns["df_in_uns"] = de;
  return a;
}

}  // namespace haystack::testing
