// LibTorch network for an NB201 cell, for the job's input shape: stem conv, three stages of cells separated by
// residual reduction blocks, global pooling, linear classifier.
#ifndef EDGENAS_SPACES_NB201_NB201_MODEL_H_
#define EDGENAS_SPACES_NB201_NB201_MODEL_H_

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "common/model/space_networks.h"
#include "common/search_space.h"
#include "common/space_registry.h"

namespace edgenas {

struct Nb201ModelOptions {
  int cells_per_stage = 1;
  int channels = 16;  // first stage; doubled at each reduction
  int in_channels = 0;  // the job's input channels and class count
  int num_classes = 0;
};

// The options of `space` (cells_per_stage, channels) for `input`.
// INVALID_ARGUMENT naming space.options.<key> for a bad option.
absl::StatusOr<Nb201ModelOptions> Nb201Options(const SpaceConfig& space, const InputShape& input);

// Builds the network for a valid NB201 architecture; INVALID_ARGUMENT for a
// bad architecture or options (naming the field), INTERNAL when LibTorch fails.
absl::StatusOr<torch::nn::AnyModule> BuildNb201Network(const Architecture& arch,
                                                       const Nb201ModelOptions& options);

// Runs `model`, which must come from BuildNb201Network (INVALID_ARGUMENT
// otherwise), on `x` and returns its logits (equal to model.forward(x)) and
// the three stage outputs (before each reduction, and the last stage's
// before the head), [B, C * 2^s, H_s, W_s]. LibTorch errors propagate as exceptions, as forward's do.
absl::StatusOr<StageForward> ForwardStages(torch::nn::AnyModule& model, const torch::Tensor& x);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_MODEL_H_
