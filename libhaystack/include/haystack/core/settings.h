// Settings: HAYSTACK_* environment variables over an optional JSON config file.
//
// Keys are lower snake case ("database_url"). The environment variable for a key is
// HAYSTACK_ + upper case ("HAYSTACK_DATABASE_URL"); the config file is a flat JSON object
// of the same keys, named by --config or HAYSTACK_CONFIG. The environment wins, so a batch
// engine can override one value of a baked-in file. Typed getters name the key and where its
// value came from in errors; keys that look like secrets are never echoed.
#ifndef HAYSTACK_CORE_SETTINGS_H_
#define HAYSTACK_CORE_SETTINGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "haystack/core/environment.h"

namespace haystack {

class Settings {
 public:
  Settings() = default;

  // Reads `config_path` (or, if empty, the file named by HAYSTACK_CONFIG, if any), then
  // overlays every HAYSTACK_* variable of `env`.
  static absl::StatusOr<Settings> Load(const Environment& env, std::string_view config_path = "");

  // Sets a value from code (e.g. a command-line flag); it wins over file and environment.
  void Set(std::string_view key, std::string value, std::string_view source = "command line");

  bool Has(std::string_view key) const;
  std::optional<std::string> Get(std::string_view key) const;
  std::string GetString(std::string_view key, std::string_view default_value) const;
  absl::StatusOr<int64_t> GetInt(std::string_view key, int64_t default_value, int64_t min,
                                 int64_t max) const;
  absl::StatusOr<double> GetDouble(std::string_view key, double default_value) const;
  absl::StatusOr<bool> GetBool(std::string_view key, bool default_value) const;
  // Seconds, as a finite number ("30", "0.5") between `min` and `max`. Every duration has an
  // upper bound, so that no setting turns into an infinite or overflowing time.
  absl::StatusOr<absl::Duration> GetSeconds(std::string_view key, absl::Duration default_value,
                                            absl::Duration min = absl::ZeroDuration(),
                                            absl::Duration max = kMaxDuration) const;

  // The longest duration any setting may hold (30 days).
  static constexpr absl::Duration kMaxDuration = absl::Hours(24 * 30);

  // "environment (HAYSTACK_X)", "config file /etc/haystack.json", "command line".
  std::string SourceOf(std::string_view key) const;
  std::vector<std::string> Keys() const;

  // True for keys whose values must never be logged (…_key, …_token, …_password, …_secret).
  static bool IsSecretKey(std::string_view key);
  static std::string EnvironmentName(std::string_view key);  // "HAYSTACK_DATABASE_URL"

 private:
  struct Entry {
    std::string value;
    std::string source;
  };
  absl::Status ValueError(std::string_view key, std::string_view expected) const;

  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace haystack

#endif  // HAYSTACK_CORE_SETTINGS_H_
