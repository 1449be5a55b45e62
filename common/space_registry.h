// The search-space registry: one entry per space name with the factory for
// its SearchSpace, the schema of its options (known keys, defaults, ranges)
// and its optional capabilities. Coordinator, worker, device agent and CLI
// all resolve spaces here; a space registers itself from its own package
// (spaces/<name>/register_space.cc), so adding a space edits no file here.
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
#include "common/input_shape.h"
#include "common/search_space.h"

namespace edgenas {
namespace v1 {
class SearchSpaceSpec;
}  // namespace v1

class LatencyModel;    // common/latency_ops.h
class FeatureEncoder;  // common/encodings.h

// One integer option of a space: its key, default and inclusive range. A
// list option (max_items > 0) holds 1..max_items integers, each in
// [min, max], written "3,5,7" (spaces allowed, stored without); its default
// is default_list and, when `set` is true, it is a set of choices: stored
// sorted, duplicates refused.
struct IntOptionSchema {
  std::string key;
  int default_value = 0;
  int min = 0;
  int max = 0;
  int max_items = 0;
  std::vector<int> default_list = {};
  bool set = false;
};

// The teacher a space's flash distillation trains unless the job names one:
// an architecture and integer options that differ from the job's space
// (e.g. a wider, deeper network).
struct TeacherDefaults {
  std::string arch;  // "" when the space has no default teacher
  std::vector<std::pair<std::string, int>> options;
  // Optional, for spaces whose genes depend on their options: the default
  // teacher of the job's space (wins over `arch`).
  std::function<std::string(const SearchSpace& space)> arch_of = nullptr;
};

// A space's core record: what the coordinator, the CLI and every executor
// know of it without LibTorch. The LibTorch side (networks, supernet,
// exports, operator profiling) is common/model/space_networks.h. A space
// package (spaces/<name>/) fills both from its registration file.
struct SpaceConfig;

// A space's architectures for given options (the genes may depend on them,
// e.g. the number of stages). The options are normalized (every key present,
// values in range); INVALID_ARGUMENT naming space.options.<key> for options
// that are in range but do not fit together.
using SpaceFactory =
    std::function<absl::StatusOr<std::unique_ptr<SearchSpace>>(const SpaceConfig& config)>;

// The input a network of `arch` takes, given the dataset's shape (e.g. a
// space whose architectures choose their resolution). Requires a valid
// architecture of the space built from the same options.
using NetworkInputFn = std::function<InputShape(const SpaceConfig& config, const Architecture& arch,
                                                const InputShape& dataset)>;

struct SpaceRegistration {
  std::string name;
  SpaceFactory factory;
  std::vector<IntOptionSchema> options;
  // Optional capabilities; null when the space lacks one (asking for it is
  // answered by SpaceLacks).
  std::shared_ptr<const LatencyModel> latency_model;  // per-operator latency tables
  std::shared_ptr<const FeatureEncoder> encoder;      // predictor features beyond one-hot
  TeacherDefaults teacher;
  // Optional: checks options that are each in range but must fit together
  // (list lengths, feature maps that must not vanish), on the normalized
  // options; the error names space.options.<key>.
  std::function<absl::Status(const SpaceConfig& config)> check_options = nullptr;
  // Optional: the input its networks take when it differs from the dataset's.
  NetworkInputFn network_input = nullptr;
};

// A job's teacher with the space's defaults filled in.
struct ResolvedTeacher {
  std::string arch;
  // The teacher's widths by the job's TeacherSpec fields of the same names,
  // as options of the space; 0 when neither the job nor the space's teacher
  // sets them (the job's own space options then apply).
  int channels = 0;
  int cells_per_stage = 0;
};

// Resolves a job's teacher in `space` from what the job gives ("" / 0 for
// unset). INVALID_ARGUMENT naming evaluation.teacher.<field> when no
// architecture is given and the space has no default, or a width is given
// that the space has no option for or is out of the option's range.
absl::StatusOr<ResolvedTeacher> ResolveTeacher(const SpaceConfig& space, absl::string_view arch,
                                               int channels, int cells_per_stage);

// A space name with its options, as plain data (no proto), for the model
// builders. Options absent here take their defaults when read.
struct SpaceConfig {
  std::string name;
  std::map<std::string, std::string> options;
};

// Adds `registration` to the registry; call it from the space's
// EDGENAS_SPACE_CORE_REGISTRATION function. Two spaces with one name end the
// process with a message (a build error, not an input error).
bool RegisterSpace(SpaceRegistration registration);

// Defines the function that registers space `name`'s core record (inside
// namespace edgenas, in the space's folder). The build generates the one
// list that calls every space's function (edgenas_space in
// cmake/edgenas_helpers.cmake); the registry calls it on first use.
#define EDGENAS_SPACE_CORE_REGISTRATION(name) void EdgenasRegisterSpaceCore_##name()

// The one error for a capability a space lacks: INVALID_ARGUMENT
// "space \"x\" has no latency model" (capability as given).
absl::Status SpaceLacks(absl::string_view space, absl::string_view capability);

// The space's latency model, or SpaceLacks(space, "latency model");
// INVALID_ARGUMENT naming space.name for an unknown space.
absl::StatusOr<const LatencyModel*> SpaceLatencyModel(absl::string_view space);

// The space's feature encoder, or nullptr when it has none (one-hot only);
// INVALID_ARGUMENT naming space.name for an unknown space.
absl::StatusOr<const FeatureEncoder*> SpaceFeatureEncoder(absl::string_view space);

// The entry for `name`, or nullptr when no such space is registered.
const SpaceRegistration* FindSpace(absl::string_view name);

// Validates and completes `spec` in place: moves the deprecated spec fields
// cells_per_stage and channels into options of the same keys and clears them, refuses unknown
// spaces, unknown options and bad values (INVALID_ARGUMENT naming the field,
// e.g. "space.options.channels: ..."), rewrites values in canonical form and
// fills the defaults of options not given.
absl::Status NormalizeSpaceSpec(v1::SearchSpaceSpec* spec);

// Reads integer option `key`: the given value or the schema's default.
// INVALID_ARGUMENT for an unknown space or key, or a bad value.
absl::StatusOr<int> SpaceIntOption(const v1::SearchSpaceSpec& spec, absl::string_view key);
absl::StatusOr<int> SpaceIntOption(const SpaceConfig& config, absl::string_view key);

// Reads list option `key` (IntOptionSchema::max_items > 0): the given value
// or the schema's default. INVALID_ARGUMENT naming space.options.<key> for an
// unknown space or key, a scalar option or a bad value.
absl::StatusOr<std::vector<int>> SpaceIntListOption(const SpaceConfig& config,
                                                    absl::string_view key);

// The space of `config` (its options normalized first). INVALID_ARGUMENT
// naming space.name or space.options.<key>.
absl::StatusOr<std::unique_ptr<SearchSpace>> CreateSearchSpace(const SpaceConfig& config);

// The input shape a network of `arch` takes: the space's network_input, or
// `dataset` when the space has none. Requires a valid architecture.
InputShape NetworkInputShape(const SpaceConfig& config, const Architecture& arch,
                             const InputShape& dataset);

// A normalized copy of `spec` as plain data. `task_space`, when not empty,
// replaces spec.name (a task's own space name wins over its spec's) and an
// unknown one is refused naming task.space.
absl::StatusOr<SpaceConfig> SpaceConfigFromSpec(const v1::SearchSpaceSpec& spec,
                                                absl::string_view task_space = "");

}  // namespace edgenas

#endif  // EDGENAS_COMMON_SPACE_REGISTRY_H_
