#include "spaces/nb201/nb201_profile.h"

#include <string>

#include <torch/torch.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spaces/nb201/nb201_blocks.h"
#include "spaces/nb201/nb201_latency_model.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas {
namespace {

torch::Tensor Input(int64_t batch, int64_t channels, int64_t resolution) {
  return torch::randn({batch, channels, resolution, resolution});
}

// The NB201 stem (as Nb201Network's stem_conv + stem_bn).
class StemImpl : public torch::nn::Module {
 public:
  StemImpl(int64_t in, int64_t out)
      : conv_(register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)))),
        bn_(register_module("bn", torch::nn::BatchNorm2d(out))) {}
  torch::Tensor forward(torch::Tensor x) { return bn_(conv_(x)); }

 private:
  torch::nn::Conv2d conv_;
  torch::nn::BatchNorm2d bn_;
};
TORCH_MODULE(Stem);

// The NB201 head (as Nb201Network::Head).
class HeadImpl : public torch::nn::Module {
 public:
  HeadImpl(int64_t in, int64_t classes)
      : bn_(register_module("bn", torch::nn::BatchNorm2d(in))),
        classifier_(register_module("classifier", torch::nn::Linear(in, classes))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = torch::relu(bn_(x));
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(/*start_dim=*/1);
    return classifier_(x);
  }

 private:
  torch::nn::BatchNorm2d bn_;
  torch::nn::Linear classifier_;
};
TORCH_MODULE(Head);

// A cell edge's module, wrapped in a Sequential as Nb201Cell builds it.
absl::StatusOr<torch::nn::Sequential> CellOp(const std::string& op, int64_t width) {
  torch::nn::Sequential seq;
  const auto& names = Nb201OpNames();
  if (op == names[static_cast<int>(Nb201Op::kSkipConnect)]) {
    seq->push_back(torch::nn::Identity());
  } else if (op == names[static_cast<int>(Nb201Op::kConv1x1)]) {
    seq->push_back(nb201::ReluConvBn(width, width, /*kernel=*/1, /*stride=*/1));
  } else if (op == names[static_cast<int>(Nb201Op::kConv3x3)]) {
    seq->push_back(nb201::ReluConvBn(width, width, /*kernel=*/3, /*stride=*/1));
  } else if (op == names[static_cast<int>(Nb201Op::kAvgPool3x3)]) {
    seq->push_back(torch::nn::AvgPool2d(
        torch::nn::AvgPool2dOptions(3).stride(1).padding(1).count_include_pad(false)));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("op: no module for \"", op, "\""));
  }
  return seq;
}

template <typename Module>
Module Eval(Module m) {
  m->eval();
  return m;
}

}  // namespace

absl::StatusOr<OpRun> Nb201ProfileOp(const OpShape& s, int batch) {
  if (s.op == kOpStem) {
    auto stem = Eval(Stem(s.in_channels, s.out_channels));
    auto x = Input(batch, s.in_channels, s.resolution);
    return OpRun([stem, x]() mutable { return stem->forward(x); });
  }
  if (s.op == kOpReduction) {
    auto block = Eval(nb201::ReductionBlock(s.in_channels, s.out_channels));
    auto x = Input(batch, s.in_channels, s.resolution);
    return OpRun([block, x]() mutable { return block->forward(x); });
  }
  if (s.op == kOpHead) {
    auto head = Eval(Head(s.in_channels, s.out_channels));
    auto x = Input(batch, s.in_channels, s.resolution);
    return OpRun([head, x]() mutable { return head->forward(x); });
  }
  if (s.op == kOpAdd) {
    auto a = Input(batch, s.in_channels, s.resolution);
    auto b = Input(batch, s.in_channels, s.resolution);
    return OpRun([a, b]() { return a + b; });
  }
  if (s.op == kOpZero) {
    auto x = Input(batch, s.in_channels, s.resolution);
    return OpRun([x]() { return torch::zeros_like(x); });
  }
  ASSIGN_OR_RETURN(torch::nn::Sequential seq, CellOp(s.op, s.in_channels));
  seq = Eval(seq);
  auto x = Input(batch, s.in_channels, s.resolution);
  return OpRun([seq, x]() mutable { return seq->forward(x); });
}


}  // namespace edgenas
