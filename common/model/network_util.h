// Helpers every space's LibTorch networks share: parameter counts and the
// batch-norm recalibration a subnet needs after inheriting a supernet's
// weights (the supernet's running statistics are meaningless for one path).
#ifndef EDGENAS_COMMON_MODEL_NETWORK_UTIL_H_
#define EDGENAS_COMMON_MODEL_NETWORK_UTIL_H_

#include <cstdint>

#include <torch/torch.h>

#include "absl/status/status.h"

namespace edgenas {

// Number of trainable parameters of `module`.
int64_t CountParameters(const torch::nn::Module& module);

// Resets every BatchNorm's running stats in `model` and re-estimates them as
// the cumulative average (momentum None) of the per-batch statistics over
// `images` (batches of `batch_size`, moved to the model's device), in train
// mode without gradients; leaves the model in eval mode with its BN momenta
// unchanged. INVALID_ARGUMENT for empty images or batch_size < 1; INTERNAL
// on a LibTorch failure.
absl::Status RecalibrateBatchNorm(torch::nn::AnyModule& model, const torch::Tensor& images,
                                  int batch_size);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_MODEL_NETWORK_UTIL_H_
