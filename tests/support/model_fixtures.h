// Fully populated model objects for round-trip tests: every optional set, every list non-empty.
#ifndef HAYSTACK_TESTS_SUPPORT_MODEL_FIXTURES_H_
#define HAYSTACK_TESTS_SUPPORT_MODEL_FIXTURES_H_

#include <string>

#include "haystack/core/iteration.h"
#include "haystack/core/query.h"
#include "haystack/core/run.h"

namespace haystack::testing {

StructuredQuery SampleStructuredQuery();
PromptCandidate SamplePromptCandidate();
GroundingScore SampleGroundingScore(int composite = 7);
ObservationalGroundingScore SampleObservationalScore();
IterationRecord SampleIteration(int number, int composite = 7);
// A pending run as the web API would create it.
Run SamplePendingRun(const std::string& run_id);

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SUPPORT_MODEL_FIXTURES_H_
