// The LibTorch building blocks NB201 networks share: the standalone network
// (nb201_model.cc) and the weight-sharing supernet (nb201_supernet.cc) build
// their stems' successors, edges and reductions from these, so parameter
// names and arithmetic are the same in both (the supernet's inherited
// weights load into a standalone network by name).
#ifndef EDGENAS_SPACES_NB201_NB201_BLOCKS_H_
#define EDGENAS_SPACES_NB201_NB201_BLOCKS_H_

#include <cstdint>

#include <torch/torch.h>

namespace edgenas {
namespace nb201 {

// ReLU -> Conv (no bias) -> BatchNorm, the NB201 "nor_conv" operation
// (submodules "conv", "bn").
class ReluConvBnImpl : public torch::nn::Module {
 public:
  ReluConvBnImpl(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride)
      : conv_(register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
                                          .stride(stride)
                                          .padding(kernel / 2)
                                          .bias(false)))),
        bn_(register_module("bn", torch::nn::BatchNorm2d(out_channels))) {}

  torch::Tensor forward(torch::Tensor x) { return bn_(conv_(torch::relu(x))); }

 private:
  torch::nn::Conv2d conv_;
  torch::nn::BatchNorm2d bn_;
};
TORCH_MODULE(ReluConvBn);

// NB201's residual reduction block: halves the resolution, changes width
// (submodules "conv_a", "conv_b", "shortcut_pool", "shortcut_conv").
class ReductionBlockImpl : public torch::nn::Module {
 public:
  ReductionBlockImpl(int64_t in_channels, int64_t out_channels)
      : conv_a_(register_module("conv_a", ReluConvBn(in_channels, out_channels, 3, 2))),
        conv_b_(register_module("conv_b", ReluConvBn(out_channels, out_channels, 3, 1))),
        shortcut_pool_(register_module(
            "shortcut_pool", torch::nn::AvgPool2d(torch::nn::AvgPool2dOptions(2).stride(2)))),
        shortcut_conv_(register_module(
            "shortcut_conv",
            torch::nn::Conv2d(
                torch::nn::Conv2dOptions(in_channels, out_channels, 1).bias(false)))) {}

  torch::Tensor forward(torch::Tensor x) {
    return conv_b_(conv_a_(x)) + shortcut_conv_(shortcut_pool_(x));
  }

 private:
  ReluConvBn conv_a_;
  ReluConvBn conv_b_;
  torch::nn::AvgPool2d shortcut_pool_;
  torch::nn::Conv2d shortcut_conv_;
};
TORCH_MODULE(ReductionBlock);

// The NB201 body in order: three stages of `cells_per_stage` cells of
// make_cell(width), a ReductionBlock doubling the width between stages.
// `Body` is a module container with push_back (Sequential, ModuleList).
template <typename Body, typename MakeCell>
Body MakeStages(int64_t channels, int cells_per_stage, MakeCell make_cell) {
  Body body;
  int64_t width = channels;
  for (int stage = 0; stage < 3; ++stage) {
    if (stage > 0) {
      body->push_back(ReductionBlock(width, width * 2));
      width *= 2;
    }
    for (int cell = 0; cell < cells_per_stage; ++cell) body->push_back(make_cell(width));
  }
  return body;
}

}  // namespace nb201
}  // namespace edgenas

#endif  // EDGENAS_SPACES_NB201_NB201_BLOCKS_H_
