#include "haystack/synth/cellxgene_atlas.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "catch2/catch.hpp"
#include "haystack/agent/atlas_vocabulary.h"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/knowledge/in_memory_knowledge_base.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

// A knowledge base that knows IFNG and TNF (as the bundled one does) and nothing else the
// atlas holds.
const InMemoryKnowledgeBase& Knowledge() {
  static const InMemoryKnowledgeBase* kb = [] {
    auto* k = new InMemoryKnowledgeBase();
    k->AddPerturbation({"IFNG",
                        PerturbationType::kCytokine,
                        {"IFN-gamma"},
                        {"IFNGR1", "STAT1"},
                        {},
                        {"CXCL10", "GBP1"},
                        {},
                        ""});
    k->AddPerturbation(
        {"TNF", PerturbationType::kCytokine, {"TNF-alpha"}, {"TNFRSF1A"}, {}, {"NFKBIA"}, {}, ""});
    return k;
  }();
  return *kb;
}

synth::CellxgeneAtlasOptions Small() {
  synth::CellxgeneAtlasOptions o;
  o.cells = 800;
  o.genes = 300;
  o.nnz_per_cell = 60;
  return o;
}

TEST_CASE("the CELLxGENE-layout atlas is deterministic and has the promised shape") {
  auto a = synth::GenerateCellxgeneAtlas(Knowledge(), Small());
  auto b = synth::GenerateCellxgeneAtlas(Knowledge(), Small());
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == *b);
  CHECK(a->obs.rows() == 800);
  CHECK(a->var.rows() == 300);
  CHECK(a->var.index.front() == "ENSG90000000001");
  REQUIRE(a->var.Find("feature_name") != nullptr);
  const auto& x = std::get<CsrMatrix>(*a->x);
  CHECK(x.nnz() > 800 * 40);
  CHECK(x.nnz() < 800 * 100);
  const auto& types = std::get<Categorical>(a->obs.Find("cell_type_ontology_term_id")->values);
  CHECK(types.categories.size() == 126);
  auto other = Small();
  other.seed = 8;
  auto c = synth::GenerateCellxgeneAtlas(Knowledge(), other);
  REQUIRE(c.ok());
  CHECK_FALSE(*a == *c);
}

TEST_CASE("opened, its columns, symbols and controls are found without a mapping") {
  testing::TempDir dir;
  auto data = synth::GenerateCellxgeneAtlas(Knowledge(), Small());
  REQUIRE(data.ok());
  const std::string path = dir.File("cxg.h5ad");
  REQUIRE(WriteH5ad(*data, path).ok());
  auto atlas = OpenH5adAtlas(path);
  REQUIRE(atlas.ok());
  const AtlasLayout& layout = (*atlas)->layout();
  CHECK(layout.columns.at(AtlasField::kPerturbation) == "treatment");
  CHECK(layout.columns.at(AtlasField::kCondition) == "time_point");
  CHECK(layout.columns.at(AtlasField::kDataset) == "dataset_id");
  CHECK(layout.columns.at(AtlasField::kTissueName) == "tissue");
  CHECK(std::find(layout.notes.begin(), layout.notes.end(),
                  "perturbation: column 'treatment' (detected)") != layout.notes.end());
  CHECK_THAT(layout.gene_symbols, Catch::Contains("var.feature_name"));
  CHECK_FALSE(layout.x_is_counts);
  const auto& index = (*atlas)->var().index;
  CHECK(std::find(index.begin(), index.end(), "STAT1") != index.end());
  CHECK((*atlas)->var().Find("ensembl_id") != nullptr);

  std::string source;
  auto controls = AtlasControlValues(**atlas, {"PBS", "DMSO"}, &source);
  REQUIRE(controls.ok());
  CHECK(*controls == std::vector<std::string>{"mock", "sgNT"});
  CHECK(source == "is_control");

  auto vocabulary = AtlasVocabulary::Build(**atlas, Knowledge());
  REQUIRE(vocabulary.ok());
  std::map<std::string, const AtlasPerturbation*> by_value;
  for (const AtlasPerturbation& p : vocabulary->perturbations()) by_value[p.value] = &p;
  CHECK(by_value.at("sgIRF1")->gene == "IRF1");
  CHECK(by_value.at("sgIRF1")->modality == GeneticModality::kKnockout);
  CHECK(by_value.at("CRISPRi TYK2")->modality == GeneticModality::kKnockdown);
  CHECK(by_value.at("STAT2-/-")->gene == "STAT2");
  CHECK(by_value.at("IFNG+TNF")->parts == std::vector<std::string>{"IFNG", "TNF"});
  CHECK(by_value.at("IL-21 (50 ng/ml)")->parts == std::vector<std::string>{"IL-21"});
  CHECK(by_value.at("medium change")->type == PerturbationType::kUnknown);
  CHECK(by_value.at("mock")->control);
  std::vector<double> hours;
  for (const AtlasTerm& t : vocabulary->conditions()) hours.push_back(t.hours.value_or(-1));
  CHECK(hours == std::vector<double>{24, 6, 72});  // "24h", "6h", "72h" in sorted order
}

TEST_CASE("without feature_name the symbols come from an Ensembl map, and counts are normalised") {
  testing::TempDir dir;
  auto options = Small();
  options.feature_name = false;
  options.x_holds_counts = true;
  auto data = synth::GenerateCellxgeneAtlas(Knowledge(), options);
  REQUIRE(data.ok());
  const std::string path = dir.File("ids.h5ad");
  REQUIRE(WriteH5ad(*data, path).ok());
  auto plain = OpenH5adAtlas(path);
  REQUIRE(plain.ok());
  CHECK((*plain)->var().index.front() == "ENSG90000000001");
  CHECK_THAT((*plain)->layout().gene_symbols, Catch::Contains("no symbol column"));
  CHECK((*plain)->layout().x_is_counts);

  InMemoryKnowledgeBase ensembl;  // the knowledge base's Ensembl map, as the orchestrator uses
  ensembl.AddEnsemblId("ENSG90000000001", "GENE_ONE");
  H5adAtlasOptions mapped;
  mapped.ensembl_to_symbol = EnsemblSymbolLookup(ensembl);
  auto atlas = OpenH5adAtlas(path, mapped);
  REQUIRE(atlas.ok());
  CHECK((*atlas)->var().index[0] == "GENE_ONE");
  CHECK((*atlas)->var().index[1] == "ENSG90000000002");  // no symbol: the id is kept
  CHECK_THAT((*atlas)->layout().gene_symbols,
             Catch::Contains("Ensembl map") && Catch::Contains("299 without a unique symbol"));
  auto rows = (*atlas)->GatherRows(std::vector<int64_t>{0});
  REQUIRE(rows.ok());
  const auto& row = std::get<CsrMatrix>(*rows);
  double total = 0;
  for (float v : row.data) total += std::expm1(v);
  CHECK(total == Approx(1e4).epsilon(1e-4));  // log1p(counts per 10k), summed back
}

TEST_CASE("streamed to a file on any thread count, the atlas is the one generated in memory") {
  testing::TempDir dir;
  auto options = Small();
  options.cell_types = 310;     // beyond the panel: numbered subtypes
  options.perturbations = 305;  // beyond the panel: CRISPR knockouts
  options.donors = 55;
  auto expected = synth::GenerateCellxgeneAtlas(Knowledge(), options);
  REQUIRE(expected.ok());
  for (const auto& [threads, block] : {std::pair{1, 37}, std::pair{2, 100}, std::pair{2, 5000}}) {
    INFO("threads " << threads << ", block " << block);
    const std::string path = dir.File("streamed.h5ad");
    auto summary = synth::WriteCellxgeneAtlas(Knowledge(), options, path,
                                              {.threads = threads, .block_rows = block});
    REQUIRE(summary.ok());
    CHECK(summary->cells == 800);
    CHECK(summary->genes == 300);
    CHECK(summary->non_zeros == std::get<CsrMatrix>(*expected->x).nnz());
    auto read = ReadH5ad(path);
    REQUIRE(read.ok());
    CHECK(*read == *expected);
  }
  auto bad = options;
  bad.nnz_per_cell = 200;  // more than half of the genes
  CHECK_FALSE(synth::WriteCellxgeneAtlas(Knowledge(), bad, dir.File("bad.h5ad")).ok());
  CHECK_FALSE(std::filesystem::exists(dir.File("bad.h5ad")));
}

TEST_CASE("Python anndata reads the CELLxGENE-layout atlas") {
  testing::TempDir dir;
  auto options = Small();
  options.cell_types = 310;
  const std::string path = dir.File("cxg.h5ad");
  REQUIRE(synth::WriteCellxgeneAtlas(Knowledge(), options, path, {.block_rows = 64}).ok());
  testing::ProcessResult r = testing::RunProcess(
      {"/usr/bin/python3", "-c",
       "import sys, anndata\n"
       "a = anndata.read_h5ad(sys.argv[1])\n"
       "print(a.n_obs, a.n_vars, a.var.index[0], a.var['feature_name'].iloc[0],\n"
       "      sorted(a.obs['treatment'].cat.categories)[0], a.obs['is_control'].dtype,\n"
       "      len(a.obs['cell_type'].cat.categories))\n",
       path},
      {.env = {{"PYTHONDONTWRITEBYTECODE", "1"}}});
  INFO(r.stderr_text);
  REQUIRE(r.exit_code == 0);
  CHECK(r.stdout_text.rfind("800 300 ENSG90000000001 ", 0) == 0);
  CHECK_THAT(r.stdout_text, Catch::Contains(" CRISPRi TYK2 bool 310"));
}

}  // namespace
}  // namespace haystack
