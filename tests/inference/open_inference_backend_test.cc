#include "haystack/inference/open_inference_backend.h"

#include "catch2/catch.hpp"
#include "haystack/core/error.h"
#include "haystack/inference/grpc_inference_backend.h"
#include "haystack/inference/local_icl_backend.h"

namespace haystack {
namespace {

TEST_CASE("the inference endpoint setting picks the backend", "[open]") {
  Settings settings;
  SECTION("local by default") {
    auto backend = OpenInferenceBackend(settings, Logger::Null());
    REQUIRE(backend.ok());
    CHECK(dynamic_cast<LocalIclBackend*>(backend->get()) != nullptr);
  }
  SECTION("grpc://host:port") {
    settings.Set("inference_endpoint", "grpc://127.0.0.1:50051");
    settings.Set("inference_job_timeout_seconds", "600");
    auto backend = OpenInferenceBackend(settings, Logger::Null());
    REQUIRE(backend.ok());
    CHECK(dynamic_cast<GrpcInferenceBackend*>(backend->get()) != nullptr);
  }
  SECTION("anything else is a configuration error naming the key and its source") {
    settings.Set("inference_endpoint", "http://gpu:8080", "config file /etc/h.json");
    auto backend = OpenInferenceBackend(settings, Logger::Null());
    REQUIRE_FALSE(backend.ok());
    CHECK(GetErrorKind(backend.status()) == ErrorKind::kConfiguration);
    const std::string message(backend.status().message());
    CHECK(message.find("inference_endpoint") != std::string::npos);
    CHECK(message.find("/etc/h.json") != std::string::npos);
  }
  SECTION("a zero timeout is refused") {
    settings.Set("inference_endpoint", "grpc://127.0.0.1:50051");
    settings.Set("inference_call_timeout_seconds", "0");
    auto backend = OpenInferenceBackend(settings, Logger::Null());
    REQUIRE_FALSE(backend.ok());
    CHECK(GetErrorKind(backend.status()) == ErrorKind::kConfiguration);
  }
}

}  // namespace
}  // namespace haystack
