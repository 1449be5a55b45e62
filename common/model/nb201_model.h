// LibTorch network for an NB201 cell, sized for small images (28x28
// grayscale by default): stem conv, three stages of cells separated by
// residual reduction blocks, global pooling, linear classifier.
#ifndef EDGENAS_COMMON_MODEL_NB201_MODEL_H_
#define EDGENAS_COMMON_MODEL_NB201_MODEL_H_

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/search_space.h"

namespace edgenas {

struct Nb201ModelOptions {
  int cells_per_stage = 1;
  int channels = 16;  // first stage; doubled at each reduction
  int in_channels = 1;
  int num_classes = 10;
};

// Builds the network for a valid NB201 architecture; INVALID_ARGUMENT for a
// bad architecture or options (naming the field), INTERNAL when LibTorch fails.
absl::StatusOr<torch::nn::AnyModule> BuildNb201Network(const Architecture& arch,
                                                       const Nb201ModelOptions& options);

// A forward pass that also returns each stage's output (the three feature
// maps at the stage boundaries: before each reduction, and the last stage's
// before the head), for activation transfer.
struct StageForward {
  torch::Tensor logits;               // [B, num_classes]
  std::vector<torch::Tensor> stages;  // [B, C * 2^s, H_s, W_s], s = 0, 1, 2
};

// Runs `model`, which must come from BuildNb201Network (INVALID_ARGUMENT
// otherwise), on `x` and returns its logits (equal to model.forward(x)) and
// stage outputs. LibTorch errors propagate as exceptions, as forward's do.
absl::StatusOr<StageForward> ForwardStages(torch::nn::AnyModule& model, const torch::Tensor& x);

// Which of the 6 cell edges are built: an edge is live when its op is not
// none, its source carries a (structurally) non-zero value and its target
// reaches the output. Dead edges are not built, so parameters and compute
// match the function the cell computes. `arch` must be a valid NB201 cell.
std::vector<bool> Nb201LiveEdges(const Architecture& arch);

// Number of trainable parameters of `module`.
int64_t CountParameters(const torch::nn::Module& module);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_NB201_MODEL_H_
