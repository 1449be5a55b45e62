// The NB201 weight-sharing supernet: the skeleton of Nb201Network (stem,
// three stages of cells separated by residual reduction blocks, head) where
// every cell edge holds all parametric candidate ops (nor_conv_1x1 and
// nor_conv_3x3) with weights shared by every architecture that selects them.
// A forward pass runs the single path one architecture selects; ExtractSubnet
// turns that path into a standalone network computing the same function, and
// RecalibrateBatchNorm re-estimates its BN statistics (the shared running
// stats of a supernet are meaningless for any one path).
#ifndef EDGENAS_SPACES_NB201_NB201_SUPERNET_H_
#define EDGENAS_SPACES_NB201_NB201_SUPERNET_H_

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "spaces/nb201/nb201_model.h"
#include "common/search_space.h"

namespace edgenas {

// Parameter names mirror Nb201Network's, except that a cell edge
// `body.<i>.edge_<to>_<from>` holds `nor_conv_1x1` and `nor_conv_3x3`
// (each a ReLU-Conv-BN with `conv` and `bn`) where the standalone network
// holds the single op at index `0`.
class Nb201SupernetImpl : public torch::nn::Module {
 public:
  // Requires valid options (use CreateNb201Supernet to get a status instead).
  explicit Nb201SupernetImpl(const Nb201ModelOptions& options);

  // x: [B, in_channels, H, W] -> logits [B, num_classes] through the path of
  // `arch`, with the standalone network's live-edge rule. Throws c10::Error
  // for an invalid architecture (a LibTorch forward contract).
  torch::Tensor forward(torch::Tensor x, const Architecture& arch);

  const Nb201ModelOptions& options() const { return options_; }

 private:
  Nb201ModelOptions options_;
  torch::nn::Conv2d stem_conv_;
  torch::nn::BatchNorm2d stem_bn_;
  torch::nn::ModuleList body_;  // cells and reduction blocks, in order
  torch::nn::BatchNorm2d head_bn_;
  torch::nn::Linear classifier_;
};
TORCH_MODULE(Nb201Supernet);

// Builds a randomly initialised supernet (seed with SeedTorch first for
// reproducibility). INVALID_ARGUMENT naming the bad option, INTERNAL when
// LibTorch fails.
absl::StatusOr<Nb201Supernet> CreateNb201Supernet(const Nb201ModelOptions& options);

// A standalone Nb201Network for `arch` (same options, on the supernet's
// device, in the supernet's train/eval mode) holding copies of the
// supernet's parameters and buffers (BN running stats included) along the
// path. INVALID_ARGUMENT for a bad architecture; INTERNAL naming the tensor
// when a name or shape does not match.
absl::StatusOr<torch::nn::AnyModule> ExtractSubnet(Nb201SupernetImpl& supernet,
                                                   const Architecture& arch);

}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_SUPERNET_H_
