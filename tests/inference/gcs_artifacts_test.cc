// gs:// artifacts on the inference side, against the loopback fake GCS (tests/support/fake_gcs.h):
// the worker process and the in-process LocalIclBackend read prompt/query cells from GCS and write
// predictions there, equal to a local-path run; clear errors for an unknown bucket, a missing
// object and a malformed URI; and a re-executed job with an existing output (reused if it is
// this job's predictions, AlreadyExists if not).
#include <filesystem>
#include <map>
#include <string>

#include "catch2/catch.hpp"
#include "haystack/core/environment.h"
#include "haystack/core/error.h"
#include "haystack/inference/local_icl_backend.h"
#include "haystack/inference/open_inference_backend.h"
#include "haystack/storage/gcs_artifact_access.h"
#include "support/fake_gcs.h"
#include "support/temp_dir.h"
#include "worker_fixtures.h"

namespace haystack {
namespace {

using testing::FakeGcs;
using testing::Inputs;
using testing::ReadX;
using testing::TempDir;
using testing::WorkerProcess;

const std::string kPrefix = "runs/hay-gcs/iterations/1/";

std::string GsUri(const std::string& object) {
  return std::string("gs://") + FakeGcs::kBucket + "/" + object;
}

// The fake GCS with the inputs uploaded under runs/hay-gcs/iterations/1/.
struct GcsInputs {
  TempDir dir;
  FakeGcs fake;
  Inputs in = testing::WriteInputs(dir);
  GcsInputs() {
    fake.PutObject(kPrefix + "prompt.h5ad", testing::ReadFile(in.prompt_path));
    fake.PutObject(kPrefix + "control.h5ad", testing::ReadFile(in.control_path));
    fake.PutObject(kPrefix + "query.h5ad", testing::ReadFile(in.query_path));
  }

  // A synthetic-control request naming gs:// inputs and outputs.
  InferenceRequest Request(const std::string& run_id, uint64_t seed = 3) const {
    InferenceRequest request;
    request.run_id = run_id;
    request.iteration = 1;
    request.query_uri = GsUri(kPrefix + "query.h5ad");
    request.prompt_uri = GsUri(kPrefix + "prompt.h5ad");
    request.control_prompt_uri = GsUri(kPrefix + "control.h5ad");
    request.output_uri = GsUri(kPrefix + run_id + "-predictions.h5ad");
    request.control_output_uri = GsUri(kPrefix + run_id + "-control.h5ad");
    request.parameters.seed = seed;
    return request;
  }

  // The same request on the local files, run by the in-process baseline: the reference.
  InferenceRequest LocalRequest(const std::string& run_id) const {
    InferenceRequest request = Request(run_id);
    request.query_uri = in.query_path;
    request.prompt_uri = in.prompt_path;
    request.control_prompt_uri = in.control_path;
    request.output_uri = dir.File(run_id + "-local-predictions.h5ad");
    request.control_output_uri = dir.File(run_id + "-local-control.h5ad");
    auto result = LocalIclBackend().Run(request, StopToken(), {});
    INFO(result.status().message());
    REQUIRE(result.ok());
    return request;
  }

  // The object's bytes as a local file, read back with the atlas reader.
  DenseMatrix ObjectX(const std::string& object) {
    auto bytes = fake.Object(object);
    REQUIRE(bytes.has_value());
    const std::string path = dir.File("downloaded-" + std::to_string(downloads_++) + ".h5ad");
    testing::WriteFile(path, *bytes);
    return ReadX(path);
  }

  MapEnvironment Env() const { return MapEnvironment({{"STORAGE_EMULATOR_HOST", fake.url()}}); }

 private:
  int downloads_ = 0;
};

bool Contains(const absl::Status& status, std::string_view needle) {
  return std::string(status.message()).find(needle) != std::string::npos;
}

bool EmptyOrMissing(const std::filesystem::path& dir) {
  return !std::filesystem::exists(dir) || std::filesystem::is_empty(dir);
}

TEST_CASE("artifact access: fetch, create-only publish and scratch files, local and gs://",
          "[gcs]") {
  TempDir dir;
  FakeGcs fake;
  const MapEnvironment env({{"STORAGE_EMULATOR_HOST", fake.url()}});
  const std::filesystem::path scratch_dir = dir.path() / "scratch";
  GcsArtifactAccess access(env, Logger::Null(), scratch_dir);
  const std::string local_uri = "file://" + dir.File("out/a.bin");
  for (const std::string& uri : {GsUri("x/a.bin"), local_uri}) {
    INFO(uri);
    CHECK(access.CheckUri(uri).ok());
    CHECK_FALSE(*access.Exists(uri));
    CHECK(access.Fetch(uri).status().code() == absl::StatusCode::kNotFound);
    std::filesystem::path scratch_path;
    {
      auto scratch = access.Scratch(uri);
      REQUIRE(scratch.ok());
      scratch_path = scratch->path();
      testing::WriteFile(scratch_path, "bytes");
      REQUIRE(access.Publish(scratch_path, uri).ok());
      CHECK(access.Publish(scratch_path, uri).ok());  // the same bytes again: fine
      // Other bytes from a second scratch file (the first one is the published file's inode
      // locally: it is linked, not copied).
      auto other = access.Scratch(uri);
      REQUIRE(other.ok());
      testing::WriteFile(other->path(), "other");
      auto refused = access.Publish(other->path(), uri);
      CHECK(refused.code() == absl::StatusCode::kAlreadyExists);
      CHECK(GetErrorKind(refused) == ErrorKind::kStorage);
    }
    CHECK_FALSE(std::filesystem::exists(scratch_path));  // removed with its LocalFile
    CHECK(*access.Exists(uri));
    std::filesystem::path fetched_path;
    {
      auto fetched = access.Fetch(uri);
      REQUIRE(fetched.ok());
      fetched_path = fetched->path();
      CHECK(testing::ReadFile(fetched_path) == "bytes");
    }
    CHECK(std::filesystem::exists(fetched_path) == (uri == local_uri));  // only copies go
    // A local scratch file becomes the artifact (worth writing durably); a bucket's is copied.
    CHECK(access.PublishesInPlace(uri) == (uri == local_uri));
  }
  CHECK(EmptyOrMissing(scratch_dir));
  for (const char* bad : {"gs://haystack-test", "gs://haystack-test/", "gs://Bad_Bucket/x",
                          "gs://haystack-test/a/../b", "s3://b/x"}) {
    INFO(bad);
    auto status = access.CheckUri(bad);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(GetErrorKind(status) == ErrorKind::kStorage);
    CHECK(Contains(status, bad));
  }
}

TEST_CASE("gs:// artifacts: the worker process reads and writes GCS", "[gcs]") {
  GcsInputs g;
  const std::filesystem::path scratch = g.dir.path() / "worker-tmp";
  std::filesystem::create_directories(scratch);
  testing::ProcessOptions options;
  options.env["STORAGE_EMULATOR_HOST"] = g.fake.url();
  options.env["TMPDIR"] = scratch.string();
  auto worker = std::make_unique<WorkerProcess>(g.dir, 0, options);
  const InferenceRequest request = g.Request("run-w");
  const InferenceRequest local = g.LocalRequest("run-w");

  auto result = testing::Client(worker->port())->Run(request, StopToken(), {});
  INFO(result.status().message());
  REQUIRE(result.ok());
  CHECK(result->predictions_uri == request.output_uri);
  CHECK(g.ObjectX(kPrefix + "run-w-predictions.h5ad") == ReadX(local.output_uri));
  CHECK(g.ObjectX(kPrefix + "run-w-control.h5ad") == ReadX(local.control_output_uri));
  CHECK(g.fake.Creations(kPrefix + "run-w-predictions.h5ad") == 1);
  CHECK(EmptyOrMissing(scratch));  // downloads and scratch outputs were removed

  SECTION("a re-executed job on a restarted worker reuses the existing output") {
    const std::string before = *g.fake.Object(kPrefix + "run-w-predictions.h5ad");
    worker.reset();  // jobs live in memory: the new worker computes the key again
    WorkerProcess restarted(g.dir, 0, options);
    auto again = testing::Client(restarted.port())->Run(request, StopToken(), {});
    INFO(again.status().message());
    REQUIRE(again.ok());
    CHECK(restarted.JobsRun() == 2);
    CHECK(g.fake.Creations(kPrefix + "run-w-predictions.h5ad") == 1);
    CHECK(*g.fake.Object(kPrefix + "run-w-predictions.h5ad") == before);
    CHECK(EmptyOrMissing(scratch));
  }

  SECTION("unknown bucket, missing object, malformed URI: clear errors naming the URI") {
    auto client = testing::Client(worker->port());
    // A run id per case: a key reused with another spec would be ALREADY_EXISTS.
    InferenceRequest bad = g.Request("run-bad1");
    bad.prompt_uri = "gs://no-such-bucket/" + kPrefix + "prompt.h5ad";
    auto unknown_bucket = client->Run(bad, StopToken(), {});
    REQUIRE_FALSE(unknown_bucket.ok());
    INFO(unknown_bucket.status().message());
    CHECK(GetErrorKind(unknown_bucket.status()) == ErrorKind::kInference);
    CHECK(unknown_bucket.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(unknown_bucket.status(), bad.prompt_uri));

    bad = g.Request("run-bad2");
    bad.query_uri = GsUri(kPrefix + "nope.h5ad");
    auto missing = client->Run(bad, StopToken(), {});
    REQUIRE_FALSE(missing.ok());
    INFO(missing.status().message());
    CHECK(missing.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(missing.status(), bad.query_uri));
    CHECK(Contains(missing.status(), "does not exist"));

    bad = g.Request("run-bad3");
    bad.output_uri = std::string("gs://") + FakeGcs::kBucket + "/";
    auto malformed = client->Run(bad, StopToken(), {});
    REQUIRE_FALSE(malformed.ok());
    INFO(malformed.status().message());
    CHECK(malformed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Contains(malformed.status(), "names no object"));
  }
}

TEST_CASE("gs:// artifacts: LocalIclBackend reads and writes GCS", "[gcs]") {
  GcsInputs g;
  const std::filesystem::path scratch = g.dir.path() / "scratch";
  const MapEnvironment env = g.Env();
  LocalIclBackend backend(IclOptions{.threads = 2},
                          std::make_shared<GcsArtifactAccess>(env, Logger::Null(), scratch));
  const InferenceRequest request = g.Request("run-l");
  const InferenceRequest local = g.LocalRequest("run-l");
  auto result = backend.Run(request, StopToken(), {});
  INFO(result.status().message());
  REQUIRE(result.ok());
  CHECK(g.ObjectX(kPrefix + "run-l-predictions.h5ad") == ReadX(local.output_uri));
  CHECK(g.ObjectX(kPrefix + "run-l-control.h5ad") == ReadX(local.control_output_uri));
  CHECK(EmptyOrMissing(scratch));

  SECTION("re-executed: the existing output is this job's, so it is reused, not rewritten") {
    auto again = backend.Run(request, StopToken(), {});
    INFO(again.status().message());
    REQUIRE(again.ok());
    CHECK(g.fake.Creations(kPrefix + "run-l-predictions.h5ad") == 1);
    CHECK(g.fake.Creations(kPrefix + "run-l-control.h5ad") == 1);
  }
  SECTION("re-executed with another seed: the output is not this job's, AlreadyExists") {
    InferenceRequest other = request;
    other.parameters.seed = 4;
    const std::string before = *g.fake.Object(kPrefix + "run-l-predictions.h5ad");
    auto refused = backend.Run(other, StopToken(), {});
    REQUIRE_FALSE(refused.ok());
    INFO(refused.status().message());
    CHECK(refused.status().code() == absl::StatusCode::kAlreadyExists);
    CHECK(GetErrorKind(refused.status()) == ErrorKind::kInference);
    CHECK(Contains(refused.status(), "already exists"));
    CHECK(*g.fake.Object(kPrefix + "run-l-predictions.h5ad") == before);
  }
  SECTION("an existing output that is not an .h5ad: AlreadyExists naming the URI") {
    InferenceRequest other = g.Request("run-junk");
    g.fake.PutObject(kPrefix + "run-junk-predictions.h5ad", "not HDF5");
    auto refused = backend.Run(other, StopToken(), {});
    REQUIRE_FALSE(refused.ok());
    INFO(refused.status().message());
    CHECK(refused.status().code() == absl::StatusCode::kAlreadyExists);
    CHECK(Contains(refused.status(), other.output_uri));
    CHECK(*g.fake.Object(kPrefix + "run-junk-predictions.h5ad") == "not HDF5");
  }
  SECTION("unknown bucket and missing object") {
    InferenceRequest bad = g.Request("run-bad");
    bad.control_prompt_uri = "gs://no-such-bucket/control.h5ad";
    auto unknown_bucket = backend.Run(bad, StopToken(), {});
    REQUIRE_FALSE(unknown_bucket.ok());
    INFO(unknown_bucket.status().message());
    CHECK(GetErrorKind(unknown_bucket.status()) == ErrorKind::kInference);
    CHECK(unknown_bucket.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(unknown_bucket.status(), "gs://no-such-bucket/control.h5ad"));
    bad = g.Request("run-bad");
    bad.prompt_uri = GsUri("missing/prompt.h5ad");
    auto missing = backend.Run(bad, StopToken(), {});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(Contains(missing.status(), bad.prompt_uri));
  }
  SECTION("OpenInferenceBackend with an Environment gives the local backend GCS access") {
    auto opened = OpenInferenceBackend(Settings(), env, Logger::Null());
    REQUIRE(opened.ok());
    auto again = (*opened)->Run(g.Request("run-open"), StopToken(), {});
    INFO(again.status().message());
    REQUIRE(again.ok());
    CHECK(g.ObjectX(kPrefix + "run-open-predictions.h5ad") == ReadX(local.output_uri));
  }
  SECTION("OpenInferenceBackend without one refuses gs:// clearly") {
    auto opened = OpenInferenceBackend(Settings(), Logger::Null());
    REQUIRE(opened.ok());
    auto refused = (*opened)->Run(g.Request("run-nogcs"), StopToken(), {});
    REQUIRE_FALSE(refused.ok());
    INFO(refused.status().message());
    CHECK(refused.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(Contains(refused.status(), "GCS access"));
  }
}

TEST_CASE("local outputs are create-only too: reused when they are this job's", "[gcs]") {
  TempDir dir;
  const Inputs in = testing::WriteInputs(dir);
  InferenceRequest request;
  request.run_id = "run-local";
  request.iteration = 1;
  request.query_uri = in.query_path;
  request.prompt_uri = "file://" + in.prompt_path;
  request.output_uri = dir.File("out/predictions.h5ad");
  request.parameters.seed = 3;
  LocalIclBackend backend;
  REQUIRE(backend.Run(request, StopToken(), {}).ok());
  const std::string before = testing::ReadFile(request.output_uri);
  auto again = backend.Run(request, StopToken(), {});
  INFO(again.status().message());
  REQUIRE(again.ok());
  CHECK(testing::ReadFile(request.output_uri) == before);  // not rewritten
  request.parameters.extra["effect_scale"] = "2";
  auto refused = backend.Run(request, StopToken(), {});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(testing::ReadFile(request.output_uri) == before);
  // Only the output is in its directory: no scratch file was left behind.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "out")) {
    CHECK(entry.path().filename() == "predictions.h5ad");
    ++entries;
  }
  CHECK(entries == 1);
}

}  // namespace
}  // namespace haystack
