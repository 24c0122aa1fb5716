// The feature-rich AnnData fixture, without test-framework dependencies (the h5ad fuzz target
// uses it as its template file too).
#ifndef HAYSTACK_TESTS_ATLAS_FEATURE_RICH_ANNDATA_H_
#define HAYSTACK_TESTS_ATLAS_FEATURE_RICH_ANNDATA_H_

#include "haystack/atlas/anndata.h"

namespace haystack::testing {

// A small AnnData with every feature the writer supports: CSR X, obs with categorical
// (ordered and with missing values), string, int, float, bool and nullable columns, var with a
// named index, obsm, a layer and a nested uns including a list of records.
AnnData MakeFeatureRichAnnData();

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_ATLAS_FEATURE_RICH_ANNDATA_H_
