#include "haystack/core/settings.h"

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "haystack/core/error.h"
#include "haystack/core/json.h"
#include "haystack/core/text.h"

namespace haystack {
namespace {

constexpr std::string_view kPrefix = "HAYSTACK_";

std::string KeyFromEnvironmentName(std::string_view name) {
  std::string key(name.substr(kPrefix.size()));
  for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

absl::StatusOr<std::string> ReadFile(std::string_view path) {
  std::ifstream in{std::string(path), std::ios::binary};
  if (!in) {
    return ConfigurationError(fmt::format("cannot open config file '{}'", path));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<Settings> Settings::Load(const Environment& env, std::string_view config_path) {
  Settings settings;
  std::string path(config_path);
  if (path.empty()) path = env.Get("HAYSTACK_CONFIG").value_or("");
  if (!path.empty()) {
    HAYSTACK_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
    const std::string what = fmt::format("config file {}", path);
    HAYSTACK_ASSIGN_OR_RETURN(auto doc, ParseJsonDocument(text, what));
    if (!doc.IsObject()) {
      return ConfigurationError(fmt::format("{}: expected a JSON object of settings", what));
    }
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      const std::string key(it->name.GetString(), it->name.GetStringLength());
      const auto& v = it->value;
      std::string value;
      if (v.IsString()) {
        value.assign(v.GetString(), v.GetStringLength());
      } else if (v.IsBool()) {
        value = v.GetBool() ? "true" : "false";
      } else if (v.IsInt64()) {
        value = std::to_string(v.GetInt64());
      } else if (v.IsNumber()) {
        value = fmt::format("{}", v.GetDouble());
      } else if (v.IsNull()) {
        continue;
      } else {
        return ConfigurationError(fmt::format(
            "{}: '{}' must be a string, number or boolean, got {}", what, key, JsonTypeName(v)));
      }
      settings.entries_[key] = Entry{std::move(value), what};
    }
  }
  for (const std::string& name : env.NamesWithPrefix(kPrefix)) {
    if (name == "HAYSTACK_CONFIG") continue;
    settings.entries_[KeyFromEnvironmentName(name)] =
        Entry{env.Get(name).value_or(""), fmt::format("environment ({})", name)};
  }
  return settings;
}

void Settings::Set(std::string_view key, std::string value, std::string_view source) {
  entries_[std::string(key)] = Entry{std::move(value), std::string(source)};
}

bool Settings::Has(std::string_view key) const { return entries_.find(key) != entries_.end(); }

std::optional<std::string> Settings::Get(std::string_view key) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.value;
}

std::string Settings::GetString(std::string_view key, std::string_view default_value) const {
  auto value = Get(key);
  return value ? *value : std::string(default_value);
}

absl::Status Settings::ValueError(std::string_view key, std::string_view expected) const {
  const std::string shown = IsSecretKey(key)
                                ? std::string("<secret>")
                                : "'" + QuoteForMessage(entries_.find(key)->second.value, 60) + "'";
  return ConfigurationError(
      fmt::format("setting {} = {} from {}: expected {}", key, shown, SourceOf(key), expected));
}

absl::StatusOr<int64_t> Settings::GetInt(std::string_view key, int64_t default_value, int64_t min,
                                         int64_t max) const {
  auto value = Get(key);
  if (!value) return default_value;
  int64_t parsed = 0;
  size_t used = 0;
  try {
    parsed = std::stoll(*value, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != value->size() || parsed < min || parsed > max) {
    return ValueError(key, fmt::format("an integer between {} and {}", min, max));
  }
  return parsed;
}

absl::StatusOr<double> Settings::GetDouble(std::string_view key, double default_value) const {
  auto value = Get(key);
  if (!value) return default_value;
  double parsed = 0;
  size_t used = 0;
  try {
    parsed = std::stod(*value, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != value->size() || !std::isfinite(parsed)) {
    return ValueError(key, "a number");
  }
  return parsed;
}

absl::StatusOr<bool> Settings::GetBool(std::string_view key, bool default_value) const {
  auto value = Get(key);
  if (!value) return default_value;
  std::string lower = *value;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
  return ValueError(key, "true or false");
}

absl::StatusOr<absl::Duration> Settings::GetSeconds(std::string_view key,
                                                    absl::Duration default_value,
                                                    absl::Duration min, absl::Duration max) const {
  if (!Has(key)) return default_value;
  const std::string expected = fmt::format("a number of seconds between {} and {}",
                                           absl::ToDoubleSeconds(min), absl::ToDoubleSeconds(max));
  auto seconds = GetDouble(key, 0);
  if (!seconds.ok()) return ValueError(key, expected);
  // Compared as numbers first: absl::Seconds(1e300) saturates to an infinite duration.
  if (*seconds < absl::ToDoubleSeconds(min) || *seconds > absl::ToDoubleSeconds(max)) {
    return ValueError(key, expected);
  }
  return absl::Seconds(*seconds);
}

std::string Settings::SourceOf(std::string_view key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? "default" : it->second.source;
}

std::vector<std::string> Settings::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, entry] : entries_) keys.push_back(key);
  return keys;
}

bool Settings::IsSecretKey(std::string_view key) {
  for (std::string_view suffix : {"_key", "_token", "_password", "_secret", "_credentials"}) {
    if (key.size() >= suffix.size() && key.substr(key.size() - suffix.size()) == suffix) {
      return true;
    }
  }
  return false;
}

std::string Settings::EnvironmentName(std::string_view key) {
  std::string name(kPrefix);
  for (char c : key) name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}

}  // namespace haystack
