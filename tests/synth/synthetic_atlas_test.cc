// The synthetic demo atlas: deterministic, consistent with the curated vocabulary, and with
// perturbation effects in the curated directions.
#include "haystack/synth/synthetic_atlas.h"

#include <cmath>
#include <filesystem>
#include <set>

#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/synth/curated_vocabulary.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack::synth {
namespace {

using testing::SourceDir;
using testing::TempDir;

CuratedVocabulary Vocabulary() {
  absl::StatusOr<CuratedVocabulary> v =
      ReadCuratedVocabulary((SourceDir() / "data/curated").string());
  INFO(v.status().ToString());
  REQUIRE(v.ok());
  return *v;
}

// Mean of expm1(X) (normalised counts) of `gene` over the cells matching `filter`.
double MeanExpression(const CellAtlas& atlas, const CellFilter& filter, const std::string& gene) {
  absl::StatusOr<std::vector<int64_t>> cells = atlas.Select(filter);
  REQUIRE(cells.ok());
  REQUIRE_FALSE(cells->empty());
  const auto& names = atlas.var().index;
  const auto it = std::find(names.begin(), names.end(), gene);
  REQUIRE(it != names.end());
  const int32_t col = static_cast<int32_t>(it - names.begin());
  absl::StatusOr<ExpressionMatrix> rows = atlas.GatherRows(*cells);
  REQUIRE(rows.ok());
  const auto& m = std::get<CsrMatrix>(*rows);
  double sum = 0;
  for (size_t k = 0; k < m.indices.size(); ++k) {
    if (m.indices[k] == col) sum += std::expm1(static_cast<double>(m.data[k]));
  }
  return sum / static_cast<double>(m.rows);
}

TEST_CASE("The synthetic atlas is deterministic for a seed, whatever the thread count") {
  const CuratedVocabulary v = Vocabulary();
  SyntheticAtlasOptions o;
  o.cells = 3000;
  o.threads = 1;
  absl::StatusOr<AnnData> a = GenerateSyntheticAtlas(v, o);
  o.threads = 3;
  absl::StatusOr<AnnData> b = GenerateSyntheticAtlas(v, o);
  o.seed = 43;
  absl::StatusOr<AnnData> c = GenerateSyntheticAtlas(v, o);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  CHECK(*a == *b);
  CHECK_FALSE(a->x == c->x);
  CHECK(a->Validate().ok());
}

TEST_CASE("The synthetic atlas uses the curated names and real biology") {
  const CuratedVocabulary v = Vocabulary();
  SyntheticAtlasOptions o;
  o.cells = 10'000;
  absl::StatusOr<AnnData> a = GenerateSyntheticAtlas(v, o);
  REQUIRE(a.ok());
  CHECK(a->n_obs() == 10'000);
  // Every leaf cell type of the curated table, with its CL id, and every perturbation.
  const auto& cl = std::get<Categorical>(a->obs.Find("cell_type_ontology_term_id")->values);
  std::set<std::string> types(cl.categories.begin(), cl.categories.end());
  for (const CuratedTerm* t : v.LeafCellTypes()) CHECK(types.count(t->id) == 1);
  CHECK(types.count("CL:0001054") == 1);  // CD14-positive monocyte
  const auto& pert = std::get<Categorical>(a->obs.Find("perturbation")->values);
  for (const auto& p : v.perturbations) {
    CHECK(std::count(pert.categories.begin(), pert.categories.end(), p.name) == 1);
  }
  for (const char* control : {"PBS", "DMSO", "untreated"}) {
    CHECK(std::count(pert.categories.begin(), pert.categories.end(), control) == 1);
  }
  // Genes: real symbols including every curated responsive gene.
  std::set<std::string> genes(a->var.index.begin(), a->var.index.end());
  CHECK(genes.size() == a->var.index.size());
  for (const auto& p : v.perturbations) {
    for (const auto& g : p.expected_up) CHECK(genes.count(g) == 1);
  }
  CHECK(genes.count("ACTB") == 1);
  CHECK(genes.count("MT-CO1") == 1);

  TempDir dir;
  REQUIRE(WriteH5ad(*a, dir.File("demo.h5ad")).ok());
  absl::StatusOr<std::unique_ptr<CellAtlas>> atlas = OpenH5adAtlas(dir.File("demo.h5ad"));
  REQUIRE(atlas.ok());
  const CellAtlas& at = **atlas;
  // Controls are flagged.
  CHECK(*at.Select(CellFilter().Where(AtlasField::kIsControl, "true")) ==
        *at.Select(CellFilter().Where(AtlasField::kPerturbation, {"PBS", "DMSO", "untreated"})));

  // IFN-gamma raises interferon-gamma response genes in monocytes, more than in T cells;
  // TGF-beta1 raises SERPINE1 in fibroblasts; the STAT1 knockout removes STAT1.
  auto lfc = [&](const std::string& cl_id, const std::string& p, const std::string& control,
                 const std::string& gene) {
    const double treated = MeanExpression(
        at, CellFilter().Where(AtlasField::kCellType, cl_id).Where(AtlasField::kPerturbation, p),
        gene);
    const double base = MeanExpression(
        at,
        CellFilter().Where(AtlasField::kCellType, cl_id).Where(AtlasField::kPerturbation, control),
        gene);
    return std::log2((treated + 1e-3) / (base + 1e-3));
  };
  for (const char* gene : {"STAT1", "IRF1", "GBP1", "CXCL10"}) {
    INFO(gene);
    CHECK(lfc("CL:0001054", "IFNG", "PBS", gene) > 1.0);
  }
  CHECK(lfc("CL:0001054", "IFNG", "PBS", "GBP1") > lfc("CL:0000624", "IFNG", "PBS", "GBP1"));
  CHECK(lfc("CL:0000057", "TGFB1", "PBS", "SERPINE1") > 1.0);
  CHECK(lfc("CL:0001054", "STAT1_KO", "untreated", "STAT1") < -3.0);
  CHECK(lfc("CL:0001054", "dexamethasone", "DMSO", "TSC22D3") > 0.8);
}

// A copy of data/curated with one file replaced.
std::string CuratedWith(const TempDir& dir, const std::string& file, const std::string& contents) {
  const std::filesystem::path curated = dir.path() / "curated";
  std::filesystem::copy(SourceDir() / "data/curated", curated);
  testing::WriteFile(curated / file, contents);
  return curated.string();
}

TEST_CASE(
    "The demo design is data: a generated cell type or perturbation without a row is an error") {
  TempDir a, b, c;
  // A cell type with markers but no composition row.
  absl::StatusOr<CuratedVocabulary> v = ReadCuratedVocabulary(CuratedWith(
      a, "demo_cell_types.tsv",
      "id\tname\tweight\tlibrary_size\tcompartment\nCL:0001054\tmono\t0.5\t1\tblood\n"));
  REQUIRE(v.ok());
  absl::StatusOr<AnnData> atlas = GenerateSyntheticAtlas(*v, {.cells = 200});
  REQUIRE_FALSE(atlas.ok());
  CHECK_THAT(std::string(atlas.status().message()),
             Catch::Contains("CL:0002396") && Catch::Contains("demo_cell_types.tsv"));

  // A perturbation with neither its own rows nor a default.
  v = ReadCuratedVocabulary(
      CuratedWith(b, "demo_responses.tsv", "perturbation\tcell_type\tstrength\nIFNG\t*\t0.5\n"));
  REQUIRE(v.ok());
  atlas = GenerateSyntheticAtlas(*v, {.cells = 200});
  REQUIRE_FALSE(atlas.ok());
  CHECK_THAT(std::string(atlas.status().message()),
             Catch::Contains("demo_responses.tsv") && Catch::Contains("IFNB1"));

  // Bad values name the file and line.
  v = ReadCuratedVocabulary(CuratedWith(
      c, "demo_cell_types.tsv",
      "# comment\nid\tname\tweight\tlibrary_size\tcompartment\nCL:0001054\tmono\t0.5\t1\tliver\n"));
  REQUIRE_FALSE(v.ok());
  CHECK_THAT(std::string(v.status().message()),
             Catch::Contains("demo_cell_types.tsv:3") && Catch::Contains("liver"));
}

TEST_CASE("haystack-atlas synth writes an atlas Python anndata reads") {
  TempDir dir;
  const std::string exe = HAYSTACK_ATLAS_EXE;
  testing::ProcessResult r = testing::RunProcess(
      {exe, "synth", "--out", dir.File("s.h5ad"), "--cells", "2000", "--seed", "5"});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.stderr_text, Catch::Contains("SYNTHETIC"));
  const char* script =
      "import sys, anndata as ad\n"
      "a = ad.read_h5ad(sys.argv[1])\n"
      "assert a.shape[0] == 2000, a.shape\n"
      "assert str(a.obs['cell_type_ontology_term_id'].dtype) == 'category'\n"
      "assert a.obs['is_control'].dtype == bool\n"
      "assert 'CL:0001054' in set(a.obs['cell_type_ontology_term_id'])\n"
      "assert a.layers['counts'].sum() > 0\n"
      "print(a.uns['haystack_synthetic']['effects'].shape[0])\n";
  testing::ProcessResult py =
      testing::RunProcess({"/usr/bin/python3", "-c", script, dir.File("s.h5ad")});
  INFO(py.stderr_text);
  CHECK(py.exit_code == 0);

  r = testing::RunProcess({exe, "info", dir.File("s.h5ad")});
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.stdout_text, Catch::Contains("2000 cells") && Catch::Contains("IFNG="));

  r = testing::RunProcess({exe, "synth", "--out", dir.File("t.h5ad"), "--genes", "5"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.stderr_text, Catch::Contains("genes"));
}

}  // namespace
}  // namespace haystack::synth
