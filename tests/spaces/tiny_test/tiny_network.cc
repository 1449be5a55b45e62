// The tiny_test space's LibTorch network and its registration.
#include <memory>

#include <torch/torch.h>

#include "common/model/space_networks.h"
#include "tests/spaces/tiny_test/tiny_space.h"

namespace edgenas {
namespace tiny_test {
namespace {

class TinyNetImpl : public torch::nn::Module {
 public:
  TinyNetImpl(const Architecture& arch, const InputShape& input)
      : body_(register_module("body", torch::nn::Sequential())),
        classifier_(register_module(
            "classifier", torch::nn::Linear(kWidths[arch.genes[0]], input.classes))) {
    const int width = kWidths[arch.genes[0]];
    const int kernel = kKernels[arch.genes[1]];
    int in = input.channels;
    for (int d = 0; d < kDepths[arch.genes[2]]; ++d) {
      body_->push_back(torch::nn::Conv2d(
          torch::nn::Conv2dOptions(in, width, kernel).padding(kernel / 2).bias(false)));
      body_->push_back(torch::nn::BatchNorm2d(width));
      body_->push_back(torch::nn::ReLU());
      in = width;
    }
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::adaptive_avg_pool2d(body_->forward(x), {1, 1}).flatten(/*start_dim=*/1);
    return classifier_(x);
  }

 private:
  torch::nn::Sequential body_;
  torch::nn::Linear classifier_;
};
TORCH_MODULE(TinyNet);

absl::StatusOr<torch::nn::AnyModule> Build(const Architecture& arch, const SpaceConfig& space,
                                           const InputShape& input) {
  if (input.channels < 1 || input.classes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("input: channels and classes must be >= 1, got ", input.ToString()));
  }
  return torch::nn::AnyModule(TinyNet(arch, input));
}

}  // namespace
}  // namespace tiny_test

EDGENAS_SPACE_NETWORKS_REGISTRATION(tiny_test) {
  SpaceNetworks networks;
  networks.space = "tiny_test";
  networks.build = &tiny_test::Build;
  RegisterSpaceNetworks(std::move(networks));
}

}  // namespace edgenas
