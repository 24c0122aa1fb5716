#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "haystack/inference/inference_backend.h"
#include "haystack/storage/artifact_uri.h"

namespace haystack {
namespace {

TEST_CASE("a request becomes one job per role with batch-safe idempotency keys", "[plan]") {
  InferenceRequest request{.run_id = "hay_20261125_3F9A",
                           .iteration = 2,
                           .query_uri = "q.h5ad",
                           .prompt_uri = "p.h5ad",
                           .output_uri = "out.h5ad"};
  auto jobs = PlanInferenceJobs(request);
  REQUIRE(jobs.ok());
  REQUIRE(jobs->size() == 1);
  CHECK((*jobs)[0].client_key == "haystack-hay-20261125-3f9a-iter-2-treated");
  CHECK((*jobs)[0].spec.reference_uri.empty());

  request.control_prompt_uri = "c.h5ad";
  request.control_output_uri = "control_out.h5ad";
  jobs = PlanInferenceJobs(request);
  REQUIRE(jobs.ok());
  REQUIRE(jobs->size() == 2);
  CHECK((*jobs)[0].spec.prompt_uri == "p.h5ad");
  CHECK((*jobs)[0].spec.reference_uri == "c.h5ad");
  CHECK((*jobs)[1].role == InferenceRole::kControl);
  CHECK((*jobs)[1].client_key == "haystack-hay-20261125-3f9a-iter-2-control");
  CHECK((*jobs)[1].spec.prompt_uri == "c.h5ad");
  CHECK((*jobs)[1].spec.reference_uri == "c.h5ad");
  CHECK((*jobs)[1].spec.query_uri == "q.h5ad");
  CHECK((*jobs)[1].spec.output_uri == "control_out.h5ad");

  request.control_output_uri.clear();
  auto half = PlanInferenceJobs(request);
  REQUIRE_FALSE(half.ok());
  CHECK(GetErrorKind(half.status()) == ErrorKind::kInference);
}

TEST_CASE("artifact URIs resolve to local paths or clear errors", "[uri]") {
  CHECK(*LocalArtifactPath("/data/p.h5ad") == "/data/p.h5ad");
  CHECK(*LocalArtifactPath("runs/x/p.h5ad") == "runs/x/p.h5ad");
  CHECK(*LocalArtifactPath("file:///data/p.h5ad") == "/data/p.h5ad");
  CHECK(*LocalArtifactPath("file://localhost/data/a%20b.h5ad") == "/data/a b.h5ad");
  for (const char* bad : {"", "file://host/x", "gs://b/x.h5ad", "s3://b/x", "file:///a%2",
                          "file:///a%00b", "file://", "/a\nb"}) {
    INFO(bad);
    auto path = LocalArtifactPath(bad);
    REQUIRE_FALSE(path.ok());
    CHECK(path.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(GetErrorKind(path.status()) == ErrorKind::kStorage);
  }
}

}  // namespace
}  // namespace haystack
