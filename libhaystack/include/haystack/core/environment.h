// Read access to environment variables, so that code reading them can be tested with a map.
#ifndef HAYSTACK_CORE_ENVIRONMENT_H_
#define HAYSTACK_CORE_ENVIRONMENT_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace haystack {

class Environment {
 public:
  virtual ~Environment() = default;
  // The value of `name`, or nullopt if it is unset. An empty value counts as set.
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
  // Names of all variables that start with `prefix`.
  virtual std::vector<std::string> NamesWithPrefix(std::string_view prefix) const = 0;
};

// The process environment (getenv / environ).
class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::string> NamesWithPrefix(std::string_view prefix) const override;
};

// A fixed set of variables, for tests and for subprocess environments.
class MapEnvironment final : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  void Set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  std::optional<std::string> Get(std::string_view name) const override;
  std::vector<std::string> NamesWithPrefix(std::string_view prefix) const override;

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace haystack

#endif  // HAYSTACK_CORE_ENVIRONMENT_H_
