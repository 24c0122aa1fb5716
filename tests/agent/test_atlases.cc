#include "agent/test_atlases.h"

#include <cstdlib>
#include <filesystem>
#include <memory>

#include "agent/curated_knowledge.h"
#include "catch2/catch.hpp"
#include "haystack/atlas/h5ad.h"
#include "haystack/atlas/h5ad_atlas.h"
#include "haystack/knowledge/sqlite_knowledge_base.h"
#include "haystack/synth/cellxgene_atlas.h"
#include "haystack/synth/curated_vocabulary.h"
#include "haystack/synth/synthetic_atlas.h"
#include "support/temp_dir.h"

namespace haystack::testing {

using synth::GenerateSyntheticAtlas;
using synth::ReadCuratedVocabulary;
namespace {

TempDir& Dir() {
  static TempDir* dir = new TempDir();
  return *dir;
}

const CellAtlas* WriteAndOpen(const AnnData& data, const std::string& name) {
  const std::string path = Dir().File(name);
  REQUIRE(WriteH5ad(data, path).ok());
  auto opened = OpenH5adAtlas(path);
  REQUIRE(opened.ok());
  return opened->release();
}

const AtlasVocabulary* Vocabulary(const CellAtlas& atlas) {
  auto built = AtlasVocabulary::Build(atlas, TableKnowledge());
  REQUIRE(built.ok());
  return new AtlasVocabulary(std::move(*built));
}

}  // namespace

const KnowledgeBase& TableKnowledge() {
  static const KnowledgeBase* kb = []() -> const KnowledgeBase* {
    const char* env = std::getenv("HAYSTACK_KNOWLEDGE_BASE");
    const std::string path = env != nullptr ? env : HAYSTACK_DEMO_KNOWLEDGE_BASE;
    if (!std::filesystem::exists(path)) {
      if (std::getenv("HAYSTACK_REQUIRE_KNOWLEDGE_DATA") != nullptr) {
        FAIL("the bundled knowledge base " << path << " is missing (run scripts/setup)");
      }
      WARN("no bundled knowledge base at " << path << ": using the curated subset");
      return &CuratedKnowledge();
    }
    auto opened = SqliteKnowledgeBase::Open(path);
    REQUIRE(opened.ok());
    return opened->release();
  }();
  return *kb;
}

const CellAtlas& DemoAtlas() {
  static const CellAtlas* atlas = [] {
    auto vocabulary = ReadCuratedVocabulary((SourceDir() / "data/curated").string());
    REQUIRE(vocabulary.ok());
    auto data = GenerateSyntheticAtlas(*vocabulary, {.cells = 2000, .seed = 42});
    REQUIRE(data.ok());
    return WriteAndOpen(*data, "demo.h5ad");
  }();
  return *atlas;
}

const CellAtlas& CellxgeneAtlas() {
  static const CellAtlas* atlas = [] {
    auto data = synth::GenerateCellxgeneAtlas(TableKnowledge(), {});
    REQUIRE(data.ok());
    return WriteAndOpen(*data, "cellxgene.h5ad");
  }();
  return *atlas;
}

const AtlasVocabulary& DemoVocabulary() {
  static const AtlasVocabulary* v = Vocabulary(DemoAtlas());
  return *v;
}

const AtlasVocabulary& CellxgeneVocabulary() {
  static const AtlasVocabulary* v = Vocabulary(CellxgeneAtlas());
  return *v;
}

}  // namespace haystack::testing
