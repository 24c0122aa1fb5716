// A small atlas written as a real .h5ad and opened with H5adAtlas: every group the prompt
// strategies and the control resolver distinguish, with known sizes (tiny_atlas.cc lists them).
#ifndef HAYSTACK_TESTS_AGENT_TINY_ATLAS_H_
#define HAYSTACK_TESTS_AGENT_TINY_ATLAS_H_

#include <memory>
#include <string>

#include "haystack/atlas/cell_atlas.h"

namespace haystack::testing {

// Writes the atlas to `path` and opens it; fails the test on error.
std::unique_ptr<CellAtlas> WriteTinyAtlas(const std::string& path);

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_AGENT_TINY_ATLAS_H_
