// Helpers for comparing a C++ AnnData with what Python anndata reads: both sides are turned
// into the canonical JSON of anndata_reference.py and compared value by value.
#ifndef HAYSTACK_TESTS_ATLAS_PYTHON_DUMP_H_
#define HAYSTACK_TESTS_ATLAS_PYTHON_DUMP_H_

#include <string>
#include <vector>

#include "feature_rich_anndata.h"
#include "haystack/atlas/anndata.h"
#include "rapidjson/document.h"

namespace haystack::testing {

// The canonical JSON of `data` (the `dump` of anndata_reference.py).
std::string CanonicalJson(const AnnData& data);

// Runs tests/atlas/anndata_reference.py with /usr/bin/python3; returns its stdout (JSON) or
// fails the current test.
std::string RunAnndataReference(const std::vector<std::string>& args);

// "" when the two JSON documents are equal (numbers compared as doubles), else the path of
// the first difference and both values.
std::string FirstDifference(const std::string& expected_json, const std::string& actual_json);

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_ATLAS_PYTHON_DUMP_H_
