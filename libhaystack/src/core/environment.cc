#include "haystack/core/environment.h"

#include <cstdlib>
#include <cstring>

extern char** environ;

namespace haystack {

std::optional<std::string> ProcessEnvironment::Get(std::string_view name) const {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::vector<std::string> ProcessEnvironment::NamesWithPrefix(std::string_view prefix) const {
  std::vector<std::string> names;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view item(*entry);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = item.substr(0, eq);
    if (name.substr(0, prefix.size()) == prefix) names.emplace_back(name);
  }
  return names;
}

std::optional<std::string> MapEnvironment::Get(std::string_view name) const {
  auto it = vars_.find(std::string(name));
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> MapEnvironment::NamesWithPrefix(std::string_view prefix) const {
  std::vector<std::string> names;
  for (const auto& [name, value] : vars_) {
    if (std::string_view(name).substr(0, prefix.size()) == prefix) names.push_back(name);
  }
  return names;
}

}  // namespace haystack
