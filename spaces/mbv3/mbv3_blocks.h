// The LibTorch building blocks of mbv3 networks, shared by the standalone
// network (mbv3_model.cc), the operator profiler (mbv3_profile.cc) and the
// Once-for-All supernet's subnet extraction (mbv3_supernet.cc), so that
// parameter names and arithmetic are the same everywhere:
//   stem:   "conv" (3x3, stride), "bn", h-swish; then the fixed first block
//           "dw" (3x3 depthwise), "dw_bn", ReLU, "pw" (1x1), "pw_bn", + input
//   block:  ["expand" (1x1), "expand_bn", act] (absent for expansion 1),
//           "dw" (kxk depthwise, stride), "dw_bn", act,
//           ["se_reduce" (1x1, bias), ReLU, "se_expand" (1x1, bias),
//            hard-sigmoid, multiply], "project" (1x1), "project_bn",
//           [+ input when residual]
//   head:   "conv" (1x1), "bn", h-swish, global average pool,
//           "feature" (linear), h-swish, "classifier" (linear)
// Convolutions have no bias except SE's; batch norm eps 1e-5.
#ifndef EDGENAS_SPACES_MBV3_MBV3_BLOCKS_H_
#define EDGENAS_SPACES_MBV3_MBV3_BLOCKS_H_

#include <cstdint>

#include <torch/torch.h>

#include "spaces/mbv3/mbv3_space.h"

namespace edgenas {
namespace mbv3 {

// relu6(x + 3) / 6 and x * hard_sigmoid(x), as MobileNetV3 defines them.
inline torch::Tensor HardSigmoid(const torch::Tensor& x) {
  return torch::clamp(x + 3.0, 0.0, 6.0) / 6.0;
}
inline torch::Tensor HardSwish(const torch::Tensor& x) { return x * HardSigmoid(x); }
inline torch::Tensor Activate(const torch::Tensor& x, bool hswish) {
  return hswish ? HardSwish(x) : torch::relu(x);
}

inline torch::nn::Conv2d Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                              int64_t groups = 1, bool bias = false) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, kernel)
                               .stride(stride)
                               .padding(kernel / 2)
                               .groups(groups)
                               .bias(bias));
}

// The stem conv and the fixed first block (plan.stem_*).
class StemImpl : public torch::nn::Module {
 public:
  explicit StemImpl(const Mbv3Plan& plan);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Conv2d conv{nullptr}, dw{nullptr}, pw{nullptr};
  torch::nn::BatchNorm2d bn{nullptr}, dw_bn{nullptr}, pw_bn{nullptr};
};
TORCH_MODULE(Stem);

// One inverted-residual block of the plan.
class BlockImpl : public torch::nn::Module {
 public:
  explicit BlockImpl(const Mbv3Block& block);
  torch::Tensor forward(const torch::Tensor& x);

  Mbv3Block shape;
  torch::nn::Conv2d expand{nullptr}, dw{nullptr}, se_reduce{nullptr}, se_expand{nullptr},
      project{nullptr};
  torch::nn::BatchNorm2d expand_bn{nullptr}, dw_bn{nullptr}, project_bn{nullptr};
};
TORCH_MODULE(Block);

// The head: 1x1 expansion, pooling, feature layer and classifier.
class HeadImpl : public torch::nn::Module {
 public:
  explicit HeadImpl(const Mbv3Plan& plan);
  torch::Tensor forward(const torch::Tensor& x);
  // Up to the pooled features (before "feature"), for stage outputs.
  torch::Tensor Pooled(const torch::Tensor& x);

  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
  torch::nn::Linear feature{nullptr}, classifier{nullptr};
};
TORCH_MODULE(Head);

}  // namespace mbv3
}  // namespace edgenas

#endif  // EDGENAS_SPACES_MBV3_MBV3_BLOCKS_H_
