// The run-record decoder: a row of the runs table as the database returns it (every column as
// text or NULL) is decoded, shown (`status --json`) and its config parsed, as the job does
// before anything else. The web API and people write these rows; the job must never crash on
// one (a config nested 100,000 levels deep once did, at every retry).
//
// Input: the column values in the order of kColumns, separated by 0xFF; a value that is just
// 0xFE is NULL. Properties: nothing crashes; the record always shows as valid JSON within the
// depth limit; a config that parses passes its validation or is refused with a message.
#include <array>

#include "fuzz_support.h"
#include "haystack/core/json.h"
#include "haystack/core/run.h"
#include "internal/run_codec.h"

namespace {

constexpr std::array<const char*, 31> kColumns = {"run_id",
                                                  "user_email",
                                                  "status",
                                                  "raw_query",
                                                  "config",
                                                  "control_strategy",
                                                  "control_strategy_effective",
                                                  "control_cells_available",
                                                  "structured_query",
                                                  "random_seed",
                                                  "current_phase",
                                                  "current_iteration",
                                                  "iterations",
                                                  "grounding_scores",
                                                  "final_score",
                                                  "best_iteration",
                                                  "termination_reason",
                                                  "error_type",
                                                  "error_message",
                                                  "error_phase",
                                                  "error_iteration",
                                                  "output_anndata_path",
                                                  "output_report_path",
                                                  "output_log_path",
                                                  "attempt",
                                                  "lease_owner",
                                                  "lease_expires_at",
                                                  "cancel_requested_at",
                                                  "start_time",
                                                  "end_time",
                                                  "created_at"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace haystack;
  const fuzz::Fields fields(data, size);
  std::vector<std::string> columns(kColumns.begin(), kColumns.end());
  std::vector<std::optional<std::string>> row;
  for (size_t i = 0; i < kColumns.size(); ++i) {
    if (fields[i] == "\xfe") {
      row.emplace_back(std::nullopt);
    } else {
      row.emplace_back(std::string(fields[i]));
    }
  }
  const store_internal::SqlResult result(columns, {row}, 0);
  const Run run = store_internal::DecodeRun(result, 0);

  const std::string shown = ToJson(run);
  auto doc = ParseJsonDocument(shown, "status --json");
  FUZZ_CHECK(doc.ok(), std::string(doc.status().message()));

  auto config = ParseRunConfig(run.config_json);
  if (config.ok()) FUZZ_CHECK(Validate(*config).ok(), "an accepted config is invalid");
  (void)IsFinalized(run);
  (void)IsCancellationRequested(run);
  return 0;
}
