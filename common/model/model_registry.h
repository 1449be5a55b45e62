// Builds networks by search-space name: turns a space (name + options, as
// plain data), an architecture's text form and the job's input shape into a
// LibTorch network through the space's registered record
// (common/model/space_networks.h). Workers, agents and exporters build every
// model here.
#ifndef EDGENAS_COMMON_MODEL_MODEL_REGISTRY_H_
#define EDGENAS_COMMON_MODEL_MODEL_REGISTRY_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/input_shape.h"
#include "common/model/space_networks.h"
#include "common/space_registry.h"

namespace edgenas {

// Builds the network for `arch_text` in `space` for `input`. Options missing
// from space.options take the space's defaults. INVALID_ARGUMENT naming
// task.space for an unknown space or one without networks, task.arch for an
// architecture that does not parse, space.options.<key> for a bad option;
// INTERNAL when LibTorch fails.
absl::StatusOr<torch::nn::AnyModule> BuildModel(const SpaceConfig& space,
                                                absl::string_view arch_text,
                                                const InputShape& input);

// Parses `arch_text` in `space`; INVALID_ARGUMENT naming task.arch.
absl::StatusOr<Architecture> ParseArchitecture(const SpaceConfig& space,
                                               absl::string_view arch_text);

// Logits and stage outputs of `model` (built by BuildModel for `space`), for
// activation transfer; SpaceLacks(space, "stage features") when the space
// gives none. LibTorch errors propagate as exceptions, as forward's do.
absl::StatusOr<StageForward> ForwardStages(const SpaceConfig& space, torch::nn::AnyModule& model,
                                           const torch::Tensor& x);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_MODEL_REGISTRY_H_
