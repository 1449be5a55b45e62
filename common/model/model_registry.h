// Model builders by search-space name: turns a space (name + options, as
// plain data) and an architecture's text form into a LibTorch network.
// Workers and device agents build every model here, so adding a space's
// network means one new builder file plus one line in model_registry.cc.
#ifndef EDGENAS_COMMON_MODEL_MODEL_REGISTRY_H_
#define EDGENAS_COMMON_MODEL_MODEL_REGISTRY_H_

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/space_registry.h"

namespace edgenas {

// Builds the network for `arch_text` in `space`. Options missing from
// space.options take the space's defaults. INVALID_ARGUMENT naming
// task.space for a space without a builder, task.arch for an architecture
// that does not parse, space.options.<key> for a bad option; INTERNAL when
// LibTorch fails.
absl::StatusOr<torch::nn::AnyModule> BuildModel(const SpaceConfig& space,
                                                absl::string_view arch_text, int in_channels,
                                                int num_classes);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_MODEL_REGISTRY_H_
