// haystack-kb: builds and inspects a knowledge base file (docs/knowledge.md). Every import
// subcommand opens (or creates) --kb, imports, and refreshes the entity dictionaries.
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "haystack/core/clock.h"
#include "haystack/core/error.h"
#include "haystack/knowledge/knowledge_importer.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"

namespace {

using haystack::ImportReport;
using haystack::KnowledgeImporter;

// Exit codes: 0 success, 1 a failed import (bad input), 2 usage, 3 storage/database trouble.
int Fail(const absl::Status& status) {
  std::cerr << "haystack-kb: " << status.message() << "\n";
  const auto kind = haystack::GetErrorKind(status);
  return kind == haystack::ErrorKind::kConfiguration ? 1 : 3;
}

int Print(const absl::StatusOr<ImportReport>& report) {
  if (!report.ok()) return Fail(report.status());
  std::cout << report->ToString() << "\n";
  return 0;
}

struct SourceFlags {
  std::string name;
  std::string version;
  std::string license;
};

void AddSourceFlags(CLI::App* cmd, SourceFlags* flags, const std::string& name,
                    const std::string& license) {
  flags->name = name;
  flags->license = license;
  cmd->add_option("--source-name", flags->name, "provenance: source name")->capture_default_str();
  cmd->add_option("--source-version", flags->version, "provenance: release or date");
  cmd->add_option("--license", flags->license, "provenance: licence")->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "haystack-kb: builds HAYSTACK's knowledge base (genes, gene sets, ontologies, "
      "perturbations, interaction network, literature links) from standard files.",
      "haystack-kb"};
  app.require_subcommand(1);
  std::string kb_path;
  auto kb_option = [&](CLI::App* cmd) {
    cmd->add_option("--kb", kb_path, "knowledge base file (created if absent)")->required();
  };

  std::string org_path, go_path, data_dir;
  auto* bioc = app.add_subcommand(
      "import-bioconductor", "genes, aliases, GO and gene→PubMed from org.Hs.eg.sqlite/GO.sqlite");
  kb_option(bioc);
  bioc->add_option("--data-dir", data_dir,
                   "directory with org.Hs.eg.sqlite and GO.sqlite (scripts/fetch-knowledge-data)");
  bioc->add_option("--org", org_path, "org.Hs.eg.sqlite (overrides --data-dir)");
  bioc->add_option("--go", go_path, "GO.sqlite (overrides --data-dir)");

  std::string curated_dir;
  auto* curated = app.add_subcommand(
      "import-curated", "cell types, tissues, diseases and perturbations of data/curated");
  kb_option(curated);
  curated->add_option("--dir", curated_dir, "the curated directory")->required();

  std::string obo_path, gaf_path;
  SourceFlags obo_source, go_source;
  auto* obo = app.add_subcommand("import-obo", "an ontology in OBO format (e.g. Cell Ontology)");
  kb_option(obo);
  obo->add_option("--obo", obo_path, "the .obo file")->required();
  AddSourceFlags(obo, &obo_source, "Cell Ontology", "CC BY 4.0");

  auto* go = app.add_subcommand("import-go", "GO terms (OBO) and gene sets from a GAF file");
  kb_option(go);
  go->add_option("--obo", obo_path, "go-basic.obo")->required();
  go->add_option("--gaf", gaf_path, "goa_human.gaf (GAF 2.x)")->required();
  AddSourceFlags(go, &go_source, "GO (GAF + OBO)", "CC BY 4.0");

  std::string gmt_path, collection;
  SourceFlags gmt_source;
  auto* gmt = app.add_subcommand("import-gmt", "a GMT gene-set collection (MSigDB, Enrichr)");
  kb_option(gmt);
  gmt->add_option("--gmt", gmt_path, "the .gmt file")->required();
  gmt->add_option("--collection", collection, "collection name, e.g. HALLMARK")->required();
  AddSourceFlags(gmt, &gmt_source, "", "see the provider's terms");

  std::string links_path, info_path;
  int min_score = 700;
  SourceFlags string_source;
  auto* string_cmd = app.add_subcommand("import-string", "a STRING protein.links network");
  kb_option(string_cmd);
  string_cmd->add_option("--links", links_path, "9606.protein.links.*.txt")->required();
  string_cmd->add_option("--info", info_path, "9606.protein.info.*.txt")->required();
  string_cmd->add_option("--min-score", min_score, "combined score cut-off (0-1000)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  AddSourceFlags(string_cmd, &string_source, "STRING", "CC BY 4.0");

  std::string tsv_path;
  SourceFlags tsv_source;
  auto* perturbations = app.add_subcommand(
      "import-perturbations", "perturbations → targets/pathways (data/curated format)");
  kb_option(perturbations);
  perturbations->add_option("--tsv", tsv_path, "the .tsv file")->required();
  AddSourceFlags(perturbations, &tsv_source, "perturbations", "see the file's provider");

  auto* info = app.add_subcommand("info", "row counts and sources of a knowledge base");
  info->add_option("--kb", kb_path, "knowledge base file")->required();

  CLI11_PARSE(app, argc, argv);

  if (info->parsed()) {
    auto kb = haystack::SqliteKnowledgeBase::Open(kb_path);
    if (!kb.ok()) return Fail(kb.status());
    auto counts = (*kb)->TableCounts();
    if (!counts.ok()) return Fail(counts.status());
    for (const auto& [table, n] : *counts) std::cout << table << "\t" << n << "\n";
    auto sources = (*kb)->Sources();
    if (!sources.ok()) return Fail(sources.status());
    for (const auto& s : *sources) {
      std::cout << "source\t" << s.source << "\t" << s.version << "\t" << s.license << "\t"
                << s.imported_at << "\t" << s.detail << "\n";
    }
    return 0;
  }

  auto importer = KnowledgeImporter::Create(kb_path, haystack::SystemClock());
  if (!importer.ok()) return Fail(importer.status());
  KnowledgeImporter& kb = **importer;
  auto source = [&](const SourceFlags& f, const std::string& detail) {
    return kb.MakeSource(f.name, f.version, f.license, detail);
  };
  int rc = 0;
  if (bioc->parsed()) {
    if (org_path.empty()) org_path = data_dir + "/org.Hs.eg.sqlite";
    if (go_path.empty()) go_path = data_dir + "/GO.sqlite";
    rc = Print(kb.ImportBioconductor(org_path, go_path));
  } else if (curated->parsed()) {
    auto reports = kb.ImportCurated(curated_dir);
    if (!reports.ok()) return Fail(reports.status());
    for (const auto& r : *reports) std::cout << r.ToString() << "\n";
  } else if (obo->parsed()) {
    auto data = haystack::ParseObo(obo_path);
    if (!data.ok()) return Fail(data.status());
    if (obo_source.version.empty()) obo_source.version = data->version;
    rc = Print(kb.ImportOntology(*data, source(obo_source, obo_path)));
  } else if (go->parsed()) {
    auto ontology = haystack::ParseObo(obo_path);
    if (!ontology.ok()) return Fail(ontology.status());
    auto annotations = haystack::ParseGaf(gaf_path);
    if (!annotations.ok()) return Fail(annotations.status());
    auto sets = haystack::GeneSetsFromGaf(*ontology, *annotations, gaf_path);
    if (!sets.ok()) return Fail(sets.status());
    if (go_source.version.empty()) go_source.version = ontology->version;
    const std::string detail =
        absl::StrCat(obo_path, " + ", gaf_path, ": ", annotations->size(), " annotations");
    rc = Print(kb.ImportOntology(*ontology, source(go_source, detail)));
    if (rc == 0) rc = Print(kb.ImportGeneSets(*sets, source(go_source, detail)));
  } else if (gmt->parsed()) {
    auto sets = haystack::ParseGmt(gmt_path, collection);
    if (!sets.ok()) return Fail(sets.status());
    if (gmt_source.name.empty()) gmt_source.name = collection;
    rc = Print(kb.ImportGeneSets(*sets, source(gmt_source, gmt_path)));
  } else if (string_cmd->parsed()) {
    auto links = haystack::ParseStringLinks(links_path, info_path, min_score);
    if (!links.ok()) return Fail(links.status());
    rc = Print(kb.ImportInteractions(
        *links, source(string_source, absl::StrCat(links_path, ", score >= ", min_score))));
  } else if (perturbations->parsed()) {
    auto rows = haystack::ParsePerturbationTsv(tsv_path);
    if (!rows.ok()) return Fail(rows.status());
    rc = Print(kb.ImportPerturbations(*rows, tsv_path, source(tsv_source, tsv_path)));
  }
  if (rc != 0) return rc;
  if (auto status = kb.Finish(); !status.ok()) return Fail(status);
  return 0;
}
