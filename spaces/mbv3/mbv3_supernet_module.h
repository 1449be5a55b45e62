// The weights of the mbv3 Once-for-All supernet and the forward pass of any
// subnet through them. One set of weights sized by the space's largest
// architecture (Mbv3Space::Largest(): every stage at its largest depth, the
// largest kernel, expansion and width, SE in every block); a subnet uses
//   - width: the first channels of the stem, stage and head outputs, and the
//     first columns of each layer's input;
//   - expansion: the first mid channels of a block (sort them by importance
//     with mbv3_channel_sort.h so that the first are the ones that matter);
//   - kernel: the elastic kernels of mbv3_elastic_kernel.h;
//   - depth: the first blocks of each stage;
//   - SE: the first squeeze channels (as many as the subnet's plan says);
//   - batch norm: the first channels of the shared affine parameters and
//     running statistics (the latter meaningful only for the largest path:
//     evaluation recalibrates them per subnet).
// Submodules "stem", "s<stage>b<block>" (every block up to the largest
// depth) and "head" are the mbv3_blocks.h modules at the largest shapes, so
// their tensor names are the standalone network's; "kernel_transform" holds
// the elastic kernels' matrices.
#ifndef EDGENAS_SPACES_MBV3_MBV3_SUPERNET_MODULE_H_
#define EDGENAS_SPACES_MBV3_MBV3_SUPERNET_MODULE_H_

#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/input_shape.h"
#include "common/search_space.h"
#include "spaces/mbv3/mbv3_blocks.h"
#include "spaces/mbv3/mbv3_elastic_kernel.h"
#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {

class Mbv3SupernetModuleImpl : public torch::nn::Module {
 public:
  // Weights for the largest architecture of `space` on `input` (channels
  // and classes; the resolution is each architecture's). Requires input
  // channels and classes > 0 (CreateMbv3Supernet checks them).
  Mbv3SupernetModuleImpl(Mbv3Space space, const InputShape& input);

  // Logits [B, classes] of `x` ([B, channels, H, W], resized bilinearly to
  // the architecture's resolution when H or W differ) through `arch`'s
  // subnet, in this module's train/eval mode (train mode updates the first
  // channels of the shared BN running statistics). Throws c10::Error for an
  // invalid architecture.
  torch::Tensor forward(torch::Tensor x, const Architecture& arch);

  // The depthwise kernel a subnet's block (stage, index) uses: the first
  // `channels` channels at side `kernel`.
  torch::Tensor DepthwiseKernel(int stage, int index, int64_t channels, int kernel);

  // The module of block (stage, index) at its largest shape; its name is
  // BlockName(stage, index).
  mbv3::BlockImpl& block(int stage, int index);
  static std::string BlockName(int stage, int index);

  const Mbv3Space& space() const { return space_; }
  const InputShape& input() const { return input_; }
  // The plan of the largest architecture: the shapes of every tensor.
  const Mbv3Plan& largest() const { return largest_; }

  mbv3::Stem stem{nullptr};
  mbv3::Head head{nullptr};
  mbv3::KernelTransforms kernel_transform{nullptr};

 private:
  torch::Tensor Stem(const torch::Tensor& x, const Mbv3Plan& plan);
  torch::Tensor Block(const torch::Tensor& x, const Mbv3Block& shape);
  torch::Tensor Head(const torch::Tensor& x, const Mbv3Plan& plan);

  Mbv3Space space_;
  InputShape input_;
  Mbv3Plan largest_;
  std::vector<std::vector<mbv3::Block>> blocks_;  // [stage][index], up to the largest depth
};
TORCH_MODULE(Mbv3SupernetModule);

namespace mbv3 {

// `t` narrowed to its first sizes[d] entries along each dimension d (a
// view). Throws c10::Error when the ranks differ or a size exceeds t's.
torch::Tensor TakeFirst(const torch::Tensor& t, at::IntArrayRef sizes);

}  // namespace mbv3
}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_SUPERNET_MODULE_H_
