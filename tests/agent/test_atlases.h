// The two atlases the wording table and the end-to-end tests ask questions of, written as real
// .h5ad files and opened with H5adAtlas, with the knowledge base they are analysed with.
#ifndef HAYSTACK_TESTS_AGENT_TEST_ATLASES_H_
#define HAYSTACK_TESTS_AGENT_TEST_ATLASES_H_

#include "haystack/agent/atlas_vocabulary.h"
#include "haystack/atlas/cell_atlas.h"
#include "haystack/knowledge/knowledge_base.h"

namespace haystack::testing {

// The bundled knowledge base when scripts/setup has built it (always in CI, where
// HAYSTACK_REQUIRE_KNOWLEDGE_DATA makes its absence a failure), else the curated subset.
const KnowledgeBase& TableKnowledge();

// The synthetic demo atlas (2,000 cells, seed 42): 8 curated cell types, donors D01-D06.
const CellAtlas& DemoAtlas();
// The CELLxGENE-layout test atlas (haystack::synth, 3,000 cells, seed 7).
const CellAtlas& CellxgeneAtlas();

// Their vocabularies with TableKnowledge().
const AtlasVocabulary& DemoVocabulary();
const AtlasVocabulary& CellxgeneVocabulary();

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_AGENT_TEST_ATLASES_H_
