// The haystack-kb tool as a user runs it: imports, info, exit codes and line-numbered errors.
#include "catch2/catch.hpp"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace haystack {
namespace {

std::string Fixture(const std::string& name) {
  return (testing::SourceDir() / "tests/knowledge/data" / name).string();
}

testing::ProcessResult Kb(std::vector<std::string> args) {
  args.insert(args.begin(), HAYSTACK_KB_TOOL);
  return testing::RunProcess(args);
}

TEST_CASE("haystack-kb imports curated, GO, GMT and STRING files and reports them") {
  testing::TempDir dir;
  const std::string kb = dir.File("kb.sqlite");
  auto curated =
      Kb({"import-curated", "--kb", kb, "--dir", (testing::SourceDir() / "data/curated").string()});
  INFO(curated.stderr_text);
  REQUIRE(curated.exit_code == 0);
  CHECK_THAT(curated.stdout_text, Catch::Contains("curated perturbations: 8 perturbations"));
  auto go = Kb(
      {"import-go", "--kb", kb, "--obo", Fixture("mini_go.obo"), "--gaf", Fixture("mini_goa.gaf")});
  INFO(go.stderr_text);
  REQUIRE(go.exit_code == 0);
  CHECK_THAT(go.stdout_text, Catch::Contains("7 terms"));
  auto gmt = Kb({"import-gmt", "--kb", kb, "--gmt", Fixture("hallmark_mini.gmt"), "--collection",
                 "HALLMARK", "--source-version", "2023.2"});
  REQUIRE(gmt.exit_code == 0);
  CHECK_THAT(gmt.stdout_text, Catch::Contains("HALLMARK: 3 gene_sets"));
  auto string_net = Kb({"import-string", "--kb", kb, "--links", Fixture("string_links.txt"),
                        "--info", Fixture("string_info.txt"), "--min-score", "700"});
  REQUIRE(string_net.exit_code == 0);
  CHECK_THAT(string_net.stdout_text, Catch::Contains("2 interactions"));
  auto info = Kb({"info", "--kb", kb});
  REQUIRE(info.exit_code == 0);
  CHECK_THAT(info.stdout_text, Catch::Contains("interactions\t2\n"));
  CHECK_THAT(info.stdout_text, Catch::Contains("perturbations\t8\n"));
  CHECK_THAT(info.stdout_text, Catch::Contains("source\tHALLMARK\t2023.2\t"));
  CHECK_THAT(info.stdout_text, Catch::Contains("source\tGO (GAF + OBO)\treleases/2022-07-01\t"));
}

TEST_CASE("haystack-kb rejects malformed files with the line number and exit code 1") {
  testing::TempDir dir;
  const std::string kb = dir.File("kb.sqlite");
  auto gmt =
      Kb({"import-gmt", "--kb", kb, "--gmt", Fixture("bad_fields.gmt"), "--collection", "X"});
  CHECK(gmt.exit_code == 1);
  CHECK_THAT(gmt.stderr_text, Catch::Contains("bad_fields.gmt:2: expected"));
  auto obo = Kb({"import-obo", "--kb", kb, "--obo", Fixture("cyclic.obo")});
  CHECK(obo.exit_code == 1);
  CHECK_THAT(obo.stderr_text, Catch::Contains("cyclic.obo:5: is_a/part_of cycle"));
  auto missing = Kb({"info", "--kb", dir.File("absent.sqlite")});
  CHECK(missing.exit_code == 3);
  auto usage = Kb({"import-gmt", "--kb", kb});
  CHECK(usage.exit_code != 0);
}

}  // namespace
}  // namespace haystack
