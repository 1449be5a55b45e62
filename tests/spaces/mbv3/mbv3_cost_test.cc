// The analytic cost (common/network_cost.h) against the LibTorch networks:
// parameters equal CountParameters of the built network, and
// multiply-accumulates equal a count made here from the built network alone
// (each convolution's and linear layer's weight shape times the size of the
// output it produced in a forward pass). The forward pass is walked layer by
// layer through the network's own modules, and its logits must equal the
// network's forward, so no layer is skipped or invented. Also: each block
// op's module (as the profiler builds it) holds the same tensors as the
// network's block; NB201's parameter count agrees too.
#include <string>
#include <vector>

#include <torch/torch.h>

#include "common/model/model_registry.h"
#include "common/model/network_util.h"
#include "common/network_cost.h"
#include "common/random.h"
#include "gtest/gtest.h"
#include "spaces/mbv3/mbv3_blocks.h"
#include "spaces/mbv3/mbv3_latency_model.h"
#include "spaces/mbv3/mbv3_model.h"
#include "spaces/nb201/nb201_space.h"

namespace edgenas {
namespace {

const InputShape kFashion{1, 28, 28, 10};
const SpaceConfig kMbv3{"mbv3", {}};

// Counts MACs of the layers it is handed, from their weights and outputs.
struct MacCounter {
  int64_t macs = 0;
  int convolutions = 0;
  int linears = 0;

  torch::Tensor Conv(torch::nn::Conv2d& conv, const torch::Tensor& x) {
    torch::Tensor y = conv(x);
    const torch::Tensor& w = conv->weight;  // [out, in / groups, kh, kw]
    macs += y.size(1) * y.size(2) * y.size(3) * w.size(1) * w.size(2) * w.size(3);
    ++convolutions;
    return y;
  }
  torch::Tensor Linear(torch::nn::Linear& linear, const torch::Tensor& x) {
    torch::Tensor y = linear(x);
    macs += y.size(1) * linear->weight.size(1);
    ++linears;
    return y;
  }
};

// Network forward for one image, every conv and linear through `count`.
torch::Tensor CountedForward(Mbv3NetworkImpl& net, const torch::Tensor& image, MacCounter& count) {
  using mbv3::Activate;
  using mbv3::HardSigmoid;
  using mbv3::HardSwish;
  mbv3::StemImpl& stem = *net.stem;
  torch::Tensor x = HardSwish(stem.bn(count.Conv(stem.conv, image)));
  x = x + stem.pw_bn(count.Conv(stem.pw, torch::relu(stem.dw_bn(count.Conv(stem.dw, x)))));
  for (mbv3::Block& holder : net.blocks) {
    mbv3::BlockImpl& b = *holder;
    torch::Tensor y = x;
    if (b.expand) y = Activate(b.expand_bn(count.Conv(b.expand, y)), b.shape.hswish);
    y = Activate(b.dw_bn(count.Conv(b.dw, y)), b.shape.hswish);
    if (b.se_reduce) {
      torch::Tensor s = torch::adaptive_avg_pool2d(y, {1, 1});
      s = HardSigmoid(count.Conv(b.se_expand, torch::relu(count.Conv(b.se_reduce, s))));
      y = y * s;
    }
    y = b.project_bn(count.Conv(b.project, y));
    x = b.shape.residual ? y + x : y;
  }
  mbv3::HeadImpl& head = *net.head;
  x = torch::adaptive_avg_pool2d(HardSwish(head.bn(count.Conv(head.conv, x))), {1, 1}).flatten(1);
  return count.Linear(head.classifier, HardSwish(count.Linear(head.feature, x)));
}

std::vector<Architecture> SomeArchs(const Mbv3Space& space, uint64_t seed, int n) {
  Rng rng(seed);
  std::vector<Architecture> archs = {space.Largest(), space.Smallest()};
  for (int i = 0; i < n; ++i) archs.push_back(space.Sample(rng));
  return archs;
}

TEST(Mbv3Cost, ParamsAndMacsMatchTheBuiltNetwork) {
  const Mbv3Space space = CreateMbv3Space(kMbv3).value();
  torch::NoGradGuard no_grad;
  for (const Architecture& arch : SomeArchs(space, 3, 10)) {
    const std::string text = space.Print(arch);
    auto model = BuildModel(kMbv3, text, kFashion);
    ASSERT_TRUE(model.ok()) << model.status();
    model->ptr()->eval();
    auto* net = model->ptr()->as<Mbv3NetworkImpl>();
    ASSERT_NE(net, nullptr);
    auto cost = NetworkCostOf(kMbv3, arch, kFashion);
    ASSERT_TRUE(cost.ok()) << cost.status();
    EXPECT_EQ(cost->params, CountParameters(*model->ptr())) << text;

    const int side = space.Resolution(arch);
    const torch::Tensor image = torch::randn({1, 1, side, side});
    MacCounter count;
    const torch::Tensor logits = CountedForward(*net, image, count);
    EXPECT_TRUE(torch::allclose(logits, model->forward(image), 1e-5, 1e-6)) << text;
    int convolutions = 0, linears = 0;
    for (const auto& m : model->ptr()->modules(/*include_self=*/false)) {
      convolutions += m->as<torch::nn::Conv2dImpl>() != nullptr ? 1 : 0;
      linears += m->as<torch::nn::LinearImpl>() != nullptr ? 1 : 0;
    }
    EXPECT_EQ(count.convolutions, convolutions) << text;
    EXPECT_EQ(count.linears, linears) << text;
    EXPECT_EQ(cost->macs, count.macs) << text;
  }
}

// The profiler builds each block from its op shape alone: the module must
// hold the network block's tensors, by name and shape.
TEST(Mbv3Cost, BlockOpsBuildTheNetworksBlocks) {
  const Mbv3Space space = CreateMbv3Space(kMbv3).value();
  for (const Architecture& arch : SomeArchs(space, 5, 5)) {
    const Mbv3Plan plan = space.Plan(arch, kFashion);
    Mbv3Network net(plan);
    ASSERT_EQ(net->blocks.size(), plan.blocks.size());
    for (size_t i = 0; i < plan.blocks.size(); ++i) {
      auto block = Mbv3BlockOfOp(Mbv3BlockOp(plan.blocks[i]));
      ASSERT_TRUE(block.ok()) << block.status();
      mbv3::Block alone(*block);
      const auto want = net->blocks[i]->named_parameters();
      const auto got = alone->named_parameters();
      ASSERT_EQ(got.size(), want.size());
      for (const auto& p : want) {
        ASSERT_TRUE(got.contains(p.key())) << p.key();
        EXPECT_EQ(got[p.key()].sizes(), p.value().sizes()) << p.key();
      }
    }
  }
}

TEST(Nb201Cost, ParamsMatchTheBuiltNetwork) {
  const SpaceConfig nb201{"nb201", {{"channels", "8"}, {"cells_per_stage", "2"}}};
  Rng rng(9);
  const Nb201Space space;
  for (int i = 0; i < 20; ++i) {
    const Architecture arch = space.Sample(rng);
    auto model = BuildModel(nb201, space.Print(arch), kFashion);
    ASSERT_TRUE(model.ok()) << model.status();
    auto params = NetworkParams(nb201, arch, kFashion);
    ASSERT_TRUE(params.ok()) << params.status();
    EXPECT_EQ(*params, CountParameters(*model->ptr())) << space.Print(arch);
  }
  // Every edge a 3x3 conv, one cell per stage, 8 channels: stem, 6 convs per
  // stage, two reductions and the classifier, by hand.
  auto all_conv = space.Parse(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
      "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|");
  ASSERT_TRUE(all_conv.ok());
  const SpaceConfig one{"nb201", {{"channels", "8"}, {"cells_per_stage", "1"}}};
  const int64_t stem = 28 * 28 * 1 * 8 * 9;
  const int64_t cells = 6 * 9 * (28 * 28 * 8 * 8 + 14 * 14 * 16 * 16 + 7 * 7 * 32 * 32);
  const int64_t reductions = 14 * 14 * (8 * 16 * 9 + 16 * 16 * 9 + 8 * 16) +
                             7 * 7 * (16 * 32 * 9 + 32 * 32 * 9 + 16 * 32);
  EXPECT_EQ(NetworkMacs(one, *all_conv, kFashion).value(), stem + cells + reductions + 32 * 10);
}

}  // namespace
}  // namespace edgenas
