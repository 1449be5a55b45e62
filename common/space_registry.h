// The search-space registry: one entry per space name with the factory for
// its SearchSpace and the schema of its options (known keys, defaults,
// ranges). Coordinator, worker and device agent all resolve spaces here, so
// adding a space means one new SearchSpace file plus one registry line.
// Generated protobuf headers stay out of this header (the proto is only
// forward-declared) so that LibTorch translation units may include it.
#ifndef EDGENAS_COMMON_SPACE_REGISTRY_H_
#define EDGENAS_COMMON_SPACE_REGISTRY_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/search_space.h"

namespace edgenas {
namespace v1 {
class SearchSpaceSpec;
}  // namespace v1

// One integer option of a space: its key, default and inclusive range.
struct IntOptionSchema {
  std::string key;
  int default_value = 0;
  int min = 0;
  int max = 0;
};

// A registry entry.
struct SpaceRegistration {
  std::string name;
  std::function<std::unique_ptr<SearchSpace>()> factory;
  std::vector<IntOptionSchema> options;
};

// A space name with its options, as plain data (no proto), for the model
// builders. Options absent here take their defaults when read.
struct SpaceConfig {
  std::string name;
  std::map<std::string, std::string> options;
};

// The entry for `name`, or nullptr when no such space is registered.
const SpaceRegistration* FindSpace(absl::string_view name);

// Validates and completes `spec` in place: moves the deprecated nb201 fields
// (cells_per_stage, channels) into options and clears them, refuses unknown
// spaces, unknown options and bad values (INVALID_ARGUMENT naming the field,
// e.g. "space.options.channels: ..."), rewrites values in canonical form and
// fills the defaults of options not given.
absl::Status NormalizeSpaceSpec(v1::SearchSpaceSpec* spec);

// Reads integer option `key`: the given value or the schema's default.
// INVALID_ARGUMENT for an unknown space or key, or a bad value.
absl::StatusOr<int> SpaceIntOption(const v1::SearchSpaceSpec& spec, absl::string_view key);
absl::StatusOr<int> SpaceIntOption(const SpaceConfig& config, absl::string_view key);

// A normalized copy of `spec` as plain data. `task_space`, when not empty,
// replaces spec.name (a task's own space name wins over its spec's) and an
// unknown one is refused naming task.space.
absl::StatusOr<SpaceConfig> SpaceConfigFromSpec(const v1::SearchSpaceSpec& spec,
                                                absl::string_view task_space = "");

}  // namespace edgenas

#endif  // EDGENAS_COMMON_SPACE_REGISTRY_H_
