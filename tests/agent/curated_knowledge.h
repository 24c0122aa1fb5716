// The demo's curated vocabulary (data/curated/*.tsv, read by synth/curated_vocabulary.h) as an
// in-memory knowledge base, plus the genes those tables name: what the agent's tests resolve
// queries against.
#ifndef HAYSTACK_TESTS_AGENT_CURATED_KNOWLEDGE_H_
#define HAYSTACK_TESTS_AGENT_CURATED_KNOWLEDGE_H_

#include "haystack/knowledge/in_memory_knowledge_base.h"

namespace haystack::testing {

// Reads the curated tables from the source tree; fails the test on a malformed table.
const InMemoryKnowledgeBase& CuratedKnowledge();

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_AGENT_CURATED_KNOWLEDGE_H_
