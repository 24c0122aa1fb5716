#include "haystack/output/anndata_output.h"

#include <catch2/catch.hpp>
#include <map>
#include <sstream>

#include "haystack/core/json.h"
#include "haystack/output/local_artifact_store.h"
#include "sample_run.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

PredictionOutput SamplePrediction() {
  PredictionOutput p;
  p.cell_ids = {"c0", "c1", "c2", "c3"};
  p.gene_symbols = {"CXCL10", "STAT1", "CD14", "ACTB", "IRF1"};
  DenseMatrix x(4, 5);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 5; ++c) x.at(r, c) = static_cast<float>(r * 10 + c) / 4.0f;
  }
  p.predictions = x;
  p.donor_id = {"D1", "D1", "D2", "D2"};
  return p;
}

// Python anndata (Debian's 0.8) reads the file and reports what it found.
constexpr char kReadBack[] = R"(
import anndata, json, sys, math
a = anndata.read_h5ad(sys.argv[1])
h = a.uns['haystack']
def nan(v): return None if math.isnan(v) else round(float(v), 6)
print(json.dumps({
  'shape': list(a.shape), 'x_sum': round(float(a.X.sum()), 4), 'x_dtype': str(a.X.dtype),
  'obs_names': list(a.obs_names), 'var_names': list(a.var_names),
  'task_type': str(a.obs['task_type'].dtype), 'donors': list(a.obs['donor_id'].cat.categories),
  'prompt_strategy': a.obs['prompt_strategy'].iloc[0], 'iteration': int(a.obs['iteration'].iloc[0]),
  'grounding_score': int(a.obs['grounding_score'].iloc[0]),
  'lfc': [nan(v) for v in a.var['predicted_lfc']], 'is_de': [bool(v) for v in a.var['is_de']],
  'target': [bool(v) for v in a.var['target_gene']],
  'run_id': h['run_id'], 'query': h['query'], 'final_score': int(h['final_score']),
  'n_iterations': len(h['iterations']), 'enrichment_rows': int(h['enrichment'].shape[0]),
  'first_pathway': str(h['enrichment']['set_id'].iloc[0]),
}))
)";

TEST_CASE("output.h5ad is read back by Python anndata with its types and values") {
  testing::TempDir dir;
  const RunReportInput input = testing::SampleReportInput();
  auto data = BuildOutputAnnData(input.run, SamplePrediction());
  REQUIRE(data.ok());
  LocalArtifactStore store(dir.path());
  auto info = StoreOutputAnnData(*data, input.run.run_id, store);
  REQUIRE(info.ok());
  CHECK(info->uri == (dir.path() / "runs/hay_20261125_abc123/output.h5ad").string());

  auto result = testing::RunProcess({"/usr/bin/python3", "-c", kReadBack, info->uri});
  INFO(result.stderr_text);
  REQUIRE(result.exit_code == 0);
  auto doc = ParseJsonDocument(result.stdout_text, "python");
  REQUIRE(doc.ok());
  const auto& d = *doc;
  CHECK(d["shape"][0].GetInt() == 4);
  CHECK(d["shape"][1].GetInt() == 5);
  // sum over r,c of (10r + c)/4 = (10·6·5 + 10·4)/4 = 85
  CHECK(d["x_sum"].GetDouble() == Approx(85.0));
  CHECK(std::string(d["x_dtype"].GetString()) == "float32");
  CHECK(std::string(d["obs_names"][2].GetString()) == "c2");
  CHECK(std::string(d["var_names"][4].GetString()) == "IRF1");
  CHECK(std::string(d["task_type"].GetString()) == "category");
  CHECK(d["donors"].Size() == 2);
  CHECK(std::string(d["prompt_strategy"].GetString()) == "mechanistic");
  CHECK(d["iteration"].GetInt() == 2);
  CHECK(d["grounding_score"].GetInt() == 8);
  CHECK(d["lfc"][0].GetDouble() == Approx(3.2));   // CXCL10
  CHECK(d["lfc"][2].GetDouble() == Approx(-1.4));  // CD14
  CHECK(d["lfc"][3].IsNull());                     // ACTB: not in the DE lists
  CHECK(d["is_de"][0].GetBool());
  CHECK_FALSE(d["is_de"][3].GetBool());
  CHECK(d["target"][1].GetBool());  // STAT1 is an expected target
  CHECK_FALSE(d["target"][0].GetBool());
  CHECK(std::string(d["run_id"].GetString()) == "hay_20261125_abc123");
  CHECK(std::string(d["query"].GetString()) == input.run.raw_query);
  CHECK(d["final_score"].GetInt() == 8);
  CHECK(d["n_iterations"].GetInt() == 3);
  CHECK(d["enrichment_rows"].GetInt() == 3);
  CHECK(std::string(d["first_pathway"].GetString()) == "GO:0034341");

  // A retried job writing the same object again succeeds without a second version.
  auto again = StoreOutputAnnData(*data, input.run.run_id, store);
  REQUIRE(again.ok());
  CHECK(again->already_existed);
  // Different predictions under the same name are refused.
  AnnData changed = *data;
  std::get<DenseMatrix>(*changed.x).at(0, 0) += 1;
  auto refused = StoreOutputAnnData(changed, input.run.run_id, store);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kAlreadyExists);
}

// R's rhdf5 (Bioconductor, Debian's r-bioc-rhdf5) reads the HDF5 datasets directly, without
// anndata: an independent check of the on-disk layout. One "key<TAB>value" line per fact; R is
// column-major, so X comes back genes × cells.
constexpr char kReadWithR[] = R"(
suppressMessages(library(rhdf5))
f <- commandArgs(trailingOnly = TRUE)[1]
out <- function(key, value) cat(key, "\t", paste(value, collapse = ","), "\n", sep = "")
attr_of <- function(path, name) h5readAttributes(f, path)[[name]]
x <- h5read(f, "X")
out("encoding", attr_of("/", "encoding-type"))
out("x_dim", dim(x))
out("x_sum", sprintf("%.4f", sum(as.numeric(x))))
out("x_cell2_gene4", sprintf("%.4f", x[5, 3]))
out("obs_names", h5read(f, paste0("obs/", attr_of("obs", "_index"))))
out("var_names", h5read(f, paste0("var/", attr_of("var", "_index"))))
out("task_type_encoding", attr_of("obs/task_type", "encoding-type"))
codes <- h5read(f, "obs/donor_id/codes")
out("donors", h5read(f, "obs/donor_id/categories")[codes + 1])
out("iteration", h5read(f, "obs/iteration"))
lfc <- h5read(f, "var/predicted_lfc")
out("lfc", ifelse(is.nan(lfc), "NaN", sprintf("%.4f", lfc)))
out("run_id", h5read(f, "uns/haystack/run_id"))
out("final_score", h5read(f, "uns/haystack/final_score"))
out("query", h5read(f, "uns/haystack/query"))
out("first_pathway", h5read(f, "uns/haystack/enrichment/set_id")[1])
out("iterations", length(h5ls(f)$name[h5ls(f)$group == "/uns/haystack/iterations"]))
)";

std::map<std::string, std::string> ReadWithR(const std::string& path) {
  auto result = testing::RunProcess({"/usr/bin/Rscript", "-e", kReadWithR, path});
  INFO(result.stderr_text);
  REQUIRE(result.exit_code == 0);
  std::map<std::string, std::string> facts;
  std::istringstream in(result.stdout_text);
  for (std::string line; std::getline(in, line);) {
    const size_t tab = line.find('\t');
    if (tab != std::string::npos) facts[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return facts;
}

TEST_CASE("output.h5ad is read back by R's rhdf5 with its layout and values") {
  testing::TempDir dir;
  const RunReportInput input = testing::SampleReportInput();
  auto data = BuildOutputAnnData(input.run, SamplePrediction());
  REQUIRE(data.ok());
  LocalArtifactStore store(dir.path());
  auto info = StoreOutputAnnData(*data, input.run.run_id, store);
  REQUIRE(info.ok());

  auto facts = ReadWithR(info->uri);
  CHECK(facts["encoding"] == "anndata");
  CHECK(facts["x_dim"] == "5,4");  // 4 cells × 5 genes, column-major
  CHECK(facts["x_sum"] == "85.0000");
  CHECK(facts["x_cell2_gene4"] == "6.0000");  // (10·2 + 4) / 4
  CHECK(facts["obs_names"] == "c0,c1,c2,c3");
  CHECK(facts["var_names"] == "CXCL10,STAT1,CD14,ACTB,IRF1");
  CHECK(facts["task_type_encoding"] == "categorical");
  CHECK(facts["donors"] == "D1,D1,D2,D2");
  CHECK(facts["iteration"] == "2,2,2,2");
  // sample_run.h: CXCL10 3.2, STAT1 2.1, IRF1 1.6 up, CD14 -1.4 down; ACTB in no DE list.
  CHECK(facts["lfc"] == "3.2000,2.1000,-1.4000,NaN,1.6000");
  CHECK(facts["run_id"] == "hay_20261125_abc123");
  CHECK(facts["final_score"] == "8");
  CHECK(facts["query"] == input.run.raw_query);
  CHECK(facts["first_pathway"] == "GO:0034341");
  CHECK(facts["iterations"] == "3");
}

TEST_CASE("mismatched shapes are refused") {
  PredictionOutput p = SamplePrediction();
  p.gene_symbols.pop_back();
  auto data = BuildOutputAnnData(testing::SampleReportInput().run, p);
  REQUIRE_FALSE(data.ok());
  CHECK(GetErrorKind(data.status()) == ErrorKind::kStorage);
}

}  // namespace
}  // namespace haystack
