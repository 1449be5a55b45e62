#include "spaces/mbv3/mbv3_blocks.h"

namespace edgenas {
namespace mbv3 {

StemImpl::StemImpl(const Mbv3Plan& plan) {
  const int64_t c = plan.stem_channels;
  conv = register_module("conv", Conv(plan.in_channels, c, 3, plan.stem_stride));
  bn = register_module("bn", torch::nn::BatchNorm2d(c));
  dw = register_module("dw", Conv(c, c, 3, 1, /*groups=*/c));
  dw_bn = register_module("dw_bn", torch::nn::BatchNorm2d(c));
  pw = register_module("pw", Conv(c, c, 1, 1));
  pw_bn = register_module("pw_bn", torch::nn::BatchNorm2d(c));
}

torch::Tensor StemImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = HardSwish(bn(conv(x)));
  return y + pw_bn(pw(torch::relu(dw_bn(dw(y)))));
}

BlockImpl::BlockImpl(const Mbv3Block& block) : shape(block) {
  if (block.expand != 1) {
    expand = register_module("expand", Conv(block.in_channels, block.mid_channels, 1, 1));
    expand_bn = register_module("expand_bn", torch::nn::BatchNorm2d(block.mid_channels));
  }
  dw = register_module("dw", Conv(block.mid_channels, block.mid_channels, block.kernel,
                                  block.stride, /*groups=*/block.mid_channels));
  dw_bn = register_module("dw_bn", torch::nn::BatchNorm2d(block.mid_channels));
  if (block.se) {
    se_reduce = register_module(
        "se_reduce", Conv(block.mid_channels, block.se_channels, 1, 1, 1, /*bias=*/true));
    se_expand = register_module(
        "se_expand", Conv(block.se_channels, block.mid_channels, 1, 1, 1, /*bias=*/true));
  }
  project = register_module("project", Conv(block.mid_channels, block.out_channels, 1, 1));
  project_bn = register_module("project_bn", torch::nn::BatchNorm2d(block.out_channels));
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = x;
  if (expand) y = Activate(expand_bn(expand(y)), shape.hswish);
  y = Activate(dw_bn(dw(y)), shape.hswish);
  if (se_reduce) {
    torch::Tensor s = torch::adaptive_avg_pool2d(y, {1, 1});
    s = HardSigmoid(se_expand(torch::relu(se_reduce(s))));
    y = y * s;
  }
  y = project_bn(project(y));
  return shape.residual ? y + x : y;
}

HeadImpl::HeadImpl(const Mbv3Plan& plan) {
  conv = register_module("conv", Conv(plan.head_in_channels, plan.head_channels, 1, 1));
  bn = register_module("bn", torch::nn::BatchNorm2d(plan.head_channels));
  feature = register_module("feature", torch::nn::Linear(plan.head_channels, plan.feature_channels));
  classifier =
      register_module("classifier", torch::nn::Linear(plan.feature_channels, plan.num_classes));
}

torch::Tensor HeadImpl::Pooled(const torch::Tensor& x) {
  return torch::adaptive_avg_pool2d(HardSwish(bn(conv(x))), {1, 1}).flatten(1);
}

torch::Tensor HeadImpl::forward(const torch::Tensor& x) {
  return classifier(HardSwish(feature(Pooled(x))));
}

}  // namespace mbv3
}  // namespace edgenas
