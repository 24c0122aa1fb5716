// Database URLs that cannot work whatever the database does are configuration errors (exit 2),
// named with what is wrong; only an unreachable database is transient (exit 75).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "haystack/core/error.h"
#include "haystack/store/open_run_store.h"
#include "support/small_filesystem.h"
#include "support/temp_dir.h"

namespace haystack::testing {
namespace {

struct BadUrl {
  std::string url;
  std::string mentions;
};

TEST_CASE("malformed PostgreSQL URLs and parameters are configuration errors", "[store][urls]") {
  const BadUrl bad =
      GENERATE(BadUrl{"postgresql://ada:s3cret@[::1/haystack", "malformed"},
               BadUrl{"postgresql://ada@db/haystack?sslmode=sometimes", "sslmode"},
               BadUrl{"postgresql://ada@db/haystack?gssencmode=maybe", "gssencmode"},
               BadUrl{"postgresql://ada@db:notaport/haystack", "port"},
               BadUrl{"postgresql://ada@db:70000/haystack", "port"},
               BadUrl{"postgresql://ada@db/haystack?connect_timeout=soon", "connect_timeout"},
               BadUrl{"postgresql://ada@db/haystack?colour=blue", "colour"},
               BadUrl{"host=db dbname=haystack sslmode=no", "sslmode"},
               BadUrl{"host=db dbname='unterminated", "malformed"});
  INFO(bad.url);
  RunStoreOptions options;
  options.retry.budget = absl::ZeroDuration();
  auto store = OpenRunStore(bad.url, options);
  REQUIRE_FALSE(store.ok());
  CHECK(GetErrorKind(store.status()) == ErrorKind::kConfiguration);
  CHECK_FALSE(IsTransient(store.status()));
  CHECK_THAT(std::string(store.status().message()), Catch::Contains(bad.mentions));
  CHECK(std::string(store.status().message()).find("s3cret") == std::string::npos);
}

TEST_CASE("a well-formed URL of a database that is not there is transient", "[store][urls]") {
  RunStoreOptions options;
  options.retry.budget = absl::ZeroDuration();
  options.connect_timeout = absl::Seconds(2);
  auto store = OpenRunStore("postgresql://ada@127.0.0.1:1/haystack?sslmode=disable", options);
  REQUIRE_FALSE(store.ok());
  CHECK(GetErrorKind(store.status()) == ErrorKind::kDatabase);
  CHECK(store.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("an SQLite path that is a directory or not writable is a configuration error",
          "[store][urls]") {
  TempDir dir;
  auto directory = OpenRunStore("sqlite://" + dir.path().string());
  REQUIRE_FALSE(directory.ok());
  CHECK(GetErrorKind(directory.status()) == ErrorKind::kConfiguration);
  CHECK_THAT(std::string(directory.status().message()), Catch::Contains("is a directory"));

  // Read-only: a read-only mount when we are root (permissions do not stop root), else a file
  // without write permission.
  SmallFilesystem read_only(1 << 20, /*read_only=*/true);
  std::string path;
  if (read_only.available()) {
    path = (read_only.path() / "runs.db").string();
  } else {
    REQUIRE(::geteuid() != 0);
    path = dir.File("readonly.db");
    std::ofstream(path) << "";
    REQUIRE(::chmod(path.c_str(), 0444) == 0);
  }
  auto store = OpenRunStore("sqlite://" + path);
  INFO(path);
  REQUIRE_FALSE(store.ok());
  CHECK(GetErrorKind(store.status()) == ErrorKind::kConfiguration);
  CHECK_THAT(std::string(store.status().message()), Catch::Contains("not writable"));
}

}  // namespace
}  // namespace haystack::testing
