#include "spaces/mbv3/mbv3_supernet_module.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace edgenas {
namespace mbv3 {

torch::Tensor TakeFirst(const torch::Tensor& t, at::IntArrayRef sizes) {
  TORCH_CHECK(t.dim() == static_cast<int64_t>(sizes.size()), "supernet: tensor of rank ", t.dim(),
              " sliced to ", sizes);
  torch::Tensor out = t;
  for (int64_t d = 0; d < t.dim(); ++d) {
    TORCH_CHECK(sizes[d] >= 0 && sizes[d] <= t.size(d), "supernet: cannot take ", sizes,
                " of a tensor of shape ", t.sizes());
    if (sizes[d] < t.size(d)) out = out.narrow(d, 0, sizes[d]);
  }
  return out;
}

}  // namespace mbv3

namespace {

using mbv3::TakeFirst;

// The standalone BatchNorm2d's arithmetic on the first x.size(1) channels of
// `bn`'s affine parameters and running statistics.
torch::Tensor SlicedBatchNorm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                              bool training) {
  const int64_t c = x.size(1);
  if (training) bn.num_batches_tracked += 1;
  return torch::batch_norm(x, bn.weight.narrow(0, 0, c), bn.bias.narrow(0, 0, c),
                           bn.running_mean.narrow(0, 0, c), bn.running_var.narrow(0, 0, c),
                           training, bn.options.momentum().value_or(0.1), bn.options.eps(),
                           /*cudnn_enabled=*/true);
}

// A bias-free convolution with "same" padding, as mbv3::Conv builds them.
torch::Tensor Conv(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                   int64_t groups = 1, const torch::Tensor& bias = {}) {
  const int64_t pad = weight.size(2) / 2;
  return torch::conv2d(x, weight, bias, {stride, stride}, {pad, pad}, {1, 1}, groups);
}

std::vector<std::string> BlockNames(const Mbv3Plan& largest) {
  std::vector<std::string> names;
  for (const Mbv3Block& b : largest.blocks) {
    names.push_back(Mbv3SupernetModuleImpl::BlockName(b.stage, b.index));
  }
  return names;
}

}  // namespace

Mbv3SupernetModuleImpl::Mbv3SupernetModuleImpl(Mbv3Space space, const InputShape& input)
    : space_(std::move(space)), input_(input), largest_(space_.Plan(space_.Largest(), input)) {
  stem = register_module("stem", mbv3::Stem(largest_));
  blocks_.resize(space_.options().stages);
  for (const Mbv3Block& b : largest_.blocks) {
    blocks_[b.stage].push_back(register_module(BlockName(b.stage, b.index), mbv3::Block(b)));
  }
  head = register_module("head", mbv3::Head(largest_));
  kernel_transform = register_module(
      "kernel_transform", mbv3::KernelTransforms(BlockNames(largest_), space_.options().kernels));
}

std::string Mbv3SupernetModuleImpl::BlockName(int stage, int index) {
  return absl::StrCat("s", stage, "b", index);
}

mbv3::BlockImpl& Mbv3SupernetModuleImpl::block(int stage, int index) {
  TORCH_CHECK(stage >= 0 && stage < static_cast<int>(blocks_.size()) && index >= 0 &&
                  index < static_cast<int>(blocks_[stage].size()),
              "supernet: no block ", index, " in stage ", stage);
  return *blocks_[stage][index];
}

torch::Tensor Mbv3SupernetModuleImpl::DepthwiseKernel(int stage, int index, int64_t channels,
                                                      int kernel) {
  const int64_t side = space_.options().kernels.back();
  const torch::Tensor weight = TakeFirst(block(stage, index).dw->weight, {channels, 1, side, side});
  return kernel_transform->Kernel(BlockName(stage, index), weight, kernel);
}

torch::Tensor Mbv3SupernetModuleImpl::Stem(const torch::Tensor& x, const Mbv3Plan& plan) {
  const int64_t c = plan.stem_channels;
  const bool training = is_training();
  torch::Tensor y = mbv3::HardSwish(SlicedBatchNorm(
      *stem->bn, Conv(x, TakeFirst(stem->conv->weight, {c, plan.in_channels, 3, 3}),
                      plan.stem_stride),
      training));
  torch::Tensor z = Conv(y, TakeFirst(stem->dw->weight, {c, 1, 3, 3}), 1, /*groups=*/c);
  z = torch::relu(SlicedBatchNorm(*stem->dw_bn, z, training));
  z = SlicedBatchNorm(*stem->pw_bn, Conv(z, TakeFirst(stem->pw->weight, {c, c, 1, 1}), 1),
                      training);
  return y + z;
}

torch::Tensor Mbv3SupernetModuleImpl::Block(const torch::Tensor& x, const Mbv3Block& shape) {
  mbv3::BlockImpl& weights = block(shape.stage, shape.index);
  const bool training = is_training();
  const int64_t in = shape.in_channels;
  const int64_t mid = shape.mid_channels;
  torch::Tensor y = x;
  if (shape.expand != 1) {
    TORCH_CHECK(!weights.expand.is_empty(), "supernet: block ", shape.stage, ".", shape.index,
                " has no expansion");
    y = Conv(y, TakeFirst(weights.expand->weight, {mid, in, 1, 1}), 1);
    y = mbv3::Activate(SlicedBatchNorm(*weights.expand_bn, y, training), shape.hswish);
  } else {
    TORCH_CHECK(mid == in, "supernet: expansion 1 with ", mid, " mid channels for ", in);
  }
  y = Conv(y, DepthwiseKernel(shape.stage, shape.index, mid, shape.kernel), shape.stride,
           /*groups=*/mid);
  y = mbv3::Activate(SlicedBatchNorm(*weights.dw_bn, y, training), shape.hswish);
  if (shape.se) {
    const int64_t se = shape.se_channels;
    torch::Tensor s = torch::adaptive_avg_pool2d(y, {1, 1});
    s = torch::relu(Conv(s, TakeFirst(weights.se_reduce->weight, {se, mid, 1, 1}), 1, 1,
                         TakeFirst(weights.se_reduce->bias, {se})));
    s = mbv3::HardSigmoid(Conv(s, TakeFirst(weights.se_expand->weight, {mid, se, 1, 1}), 1, 1,
                               TakeFirst(weights.se_expand->bias, {mid})));
    y = y * s;
  }
  y = Conv(y, TakeFirst(weights.project->weight, {shape.out_channels, mid, 1, 1}), 1);
  y = SlicedBatchNorm(*weights.project_bn, y, training);
  return shape.residual ? y + x : y;
}

torch::Tensor Mbv3SupernetModuleImpl::Head(const torch::Tensor& x, const Mbv3Plan& plan) {
  const int64_t c = plan.head_channels;
  const int64_t f = plan.feature_channels;
  torch::Tensor y = Conv(x, TakeFirst(head->conv->weight, {c, plan.head_in_channels, 1, 1}), 1);
  y = mbv3::HardSwish(SlicedBatchNorm(*head->bn, y, is_training()));
  y = torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
  y = mbv3::HardSwish(torch::linear(y, TakeFirst(head->feature->weight, {f, c}),
                                    TakeFirst(head->feature->bias, {f})));
  return torch::linear(y, TakeFirst(head->classifier->weight, {plan.num_classes, f}),
                       head->classifier->bias);
}

torch::Tensor Mbv3SupernetModuleImpl::forward(torch::Tensor x, const Architecture& arch) {
  const absl::Status valid = space_.Validate(arch);
  TORCH_CHECK(valid.ok(), "supernet: ", std::string(valid.message()));
  TORCH_CHECK(x.dim() == 4 && x.size(1) == input_.channels, "supernet: expected [B, ",
              input_.channels, ", H, W] images, got ", x.sizes());
  const Mbv3Plan plan = space_.Plan(arch, input_);
  if (x.size(2) != plan.resolution || x.size(3) != plan.resolution) {
    x = torch::nn::functional::interpolate(
        x, torch::nn::functional::InterpolateFuncOptions()
               .size(std::vector<int64_t>{plan.resolution, plan.resolution})
               .mode(torch::kBilinear)
               .align_corners(false));
  }
  x = Stem(x, plan);
  for (const Mbv3Block& shape : plan.blocks) x = Block(x, shape);
  return Head(x, plan);
}

}  // namespace edgenas
