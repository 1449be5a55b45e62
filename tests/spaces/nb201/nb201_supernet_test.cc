#include "spaces/nb201/nb201_supernet.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "common/model/network_util.h"
#include "spaces/nb201/nb201_model.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

constexpr int kNone = 0;
constexpr int kSkip = 1;
constexpr int kConv1 = 2;
constexpr int kConv3 = 3;
constexpr int kPool = 4;

Architecture Arch(std::vector<int> genes) { return Architecture{std::move(genes)}; }

Nb201ModelOptions SmallOptions() {
  Nb201ModelOptions options;
  options.cells_per_stage = 2;
  options.channels = 4;
  options.in_channels = 1;
  options.num_classes = 5;
  return options;
}

// Gives every BN non-trivial affine parameters and running stats, so that a
// copy that missed a buffer would show in eval-mode outputs.
void Perturb(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) {
    if (item.key().find("bn.") != std::string::npos || item.key().find("_bn.") != std::string::npos) {
      item.value().copy_(torch::rand_like(item.value()) + 0.5);
    }
  }
  for (auto& item : module.named_buffers()) {
    const std::string& name = item.key();
    if (name.find("running_mean") != std::string::npos) {
      item.value().copy_(torch::randn_like(item.value()) * 0.3);
    } else if (name.find("running_var") != std::string::npos) {
      item.value().copy_(torch::rand_like(item.value()) + 0.5);
    }
  }
}

// Archs covering every op, dead edges (unreachable or useless nodes) and the
// all-none cell.
std::vector<Architecture> TestArchitectures() {
  return {
      Arch({kConv3, kConv3, kConv3, kConv3, kConv3, kConv3}),
      Arch({kSkip, kConv1, kPool, kNone, kSkip, kConv3}),
      Arch({kNone, kNone, kNone, kNone, kNone, kNone}),
      Arch({kNone, kNone, kConv3, kNone, kNone, kConv3}),  // node 1, 2 dead: zero output
      Arch({kNone, kConv1, kConv3, kConv1, kNone, kNone}),  // node 2 useless, node 1 empty
      Arch({kConv1, kConv3, kPool, kSkip, kConv3, kConv1}),
      Arch({kPool, kPool, kPool, kPool, kPool, kPool}),
  };
}

// A subnet extracted from the supernet computes exactly the supernet's path.
TEST(Nb201Supernet, ExtractedSubnetMatchesSupernetPath) {
  SeedTorch(3);
  auto supernet = CreateNb201Supernet(SmallOptions());
  ASSERT_TRUE(supernet.ok()) << supernet.status();
  Perturb(**supernet);
  (*supernet)->eval();
  const torch::Tensor x = torch::randn({3, 1, 12, 12});
  torch::NoGradGuard no_grad;
  for (const Architecture& arch : TestArchitectures()) {
    auto subnet = ExtractSubnet(**supernet, arch);
    ASSERT_TRUE(subnet.ok()) << subnet.status();
    EXPECT_FALSE(subnet->ptr()->is_training());
    const torch::Tensor expected = (*supernet)->forward(x, arch);
    const torch::Tensor actual = subnet->forward(x);
    EXPECT_TRUE(torch::allclose(actual, expected, /*rtol=*/1e-6, /*atol=*/1e-6))
        << "max diff " << (actual - expected).abs().max().item<double>();
  }
}

// The subnet is a copy: training it leaves the supernet's weights alone, and
// it has exactly the standalone network's parameters.
TEST(Nb201Supernet, SubnetIsAnIndependentStandaloneNetwork) {
  SeedTorch(4);
  auto supernet = CreateNb201Supernet(SmallOptions());
  ASSERT_TRUE(supernet.ok()) << supernet.status();
  const Architecture arch = Arch({kConv3, kSkip, kConv1, kPool, kNone, kConv3});
  auto subnet = ExtractSubnet(**supernet, arch);
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  auto standalone = BuildNb201Network(arch, SmallOptions());
  ASSERT_TRUE(standalone.ok());
  EXPECT_EQ(CountParameters(*subnet->ptr()), CountParameters(*standalone->ptr()));
  EXPECT_LT(CountParameters(*subnet->ptr()), CountParameters(**supernet));

  const torch::Tensor before = (*supernet)->named_parameters()["stem_conv.weight"].clone();
  {
    torch::NoGradGuard no_grad;
    subnet->ptr()->named_parameters()["stem_conv.weight"].add_(1.0);
  }
  EXPECT_TRUE(torch::equal((*supernet)->named_parameters()["stem_conv.weight"], before));
}

// Bad architectures and options are statuses, not exceptions.
TEST(Nb201Supernet, RejectsBadArchitecturesAndOptions) {
  auto supernet = CreateNb201Supernet(SmallOptions());
  ASSERT_TRUE(supernet.ok());
  EXPECT_EQ(ExtractSubnet(**supernet, Arch({kConv3, kConv3})).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExtractSubnet(**supernet, Arch({0, 1, 2, 3, 4, 5})).status().code(),
            absl::StatusCode::kInvalidArgument);
  Nb201ModelOptions bad = SmallOptions();
  bad.channels = 0;
  const absl::Status status = CreateNb201Supernet(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("space.channels"), std::string::npos) << status;
  EXPECT_THROW((*supernet)->forward(torch::randn({1, 1, 8, 8}), Arch({7, 0, 0, 0, 0, 0})),
               c10::Error);
}

// Recalibration sets the first BN's running stats to the statistics of the
// stem conv outputs over the calibration images (cumulative average over
// equal batches), restores momentum and leaves eval mode.
TEST(Nb201Supernet, RecalibrationEstimatesBatchStatistics) {
  SeedTorch(5);
  auto supernet = CreateNb201Supernet(SmallOptions());
  ASSERT_TRUE(supernet.ok());
  Perturb(**supernet);
  auto subnet = ExtractSubnet(**supernet, Arch({kConv3, kSkip, kConv1, kPool, kNone, kConv3}));
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  torch::nn::Module& module = *subnet->ptr();
  const torch::Tensor images = torch::randn({40, 1, 12, 12}) * 2.0 + 0.7;
  const torch::Tensor stem =
      torch::conv2d(images, module.named_parameters()["stem_conv.weight"], /*bias=*/{},
                    /*stride=*/1, /*padding=*/1)
          .detach();

  // One batch: exactly the batch mean and unbiased variance.
  const absl::Status status = RecalibrateBatchNorm(*subnet, images, /*batch_size=*/64);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_FALSE(module.is_training());
  auto buffers = module.named_buffers();
  EXPECT_TRUE(torch::allclose(buffers["stem_bn.running_mean"], stem.mean({0, 2, 3}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(buffers["stem_bn.running_var"],
                              stem.var({0, 2, 3}, /*unbiased=*/true), 1e-5, 1e-5));
  EXPECT_EQ(buffers["stem_bn.num_batches_tracked"].item<int64_t>(), 1);

  // Two equal batches: the mean of the two batches' statistics.
  ASSERT_TRUE(RecalibrateBatchNorm(*subnet, images, /*batch_size=*/20).ok());
  buffers = module.named_buffers();
  const torch::Tensor var_a = stem.narrow(0, 0, 20).var({0, 2, 3}, /*unbiased=*/true);
  const torch::Tensor var_b = stem.narrow(0, 20, 20).var({0, 2, 3}, /*unbiased=*/true);
  EXPECT_TRUE(torch::allclose(buffers["stem_bn.running_mean"], stem.mean({0, 2, 3}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(buffers["stem_bn.running_var"], (var_a + var_b) / 2, 1e-5, 1e-5));
  EXPECT_EQ(buffers["stem_bn.num_batches_tracked"].item<int64_t>(), 2);

  for (const auto& m : module.modules()) {
    if (auto* bn = m->as<torch::nn::BatchNorm2dImpl>()) {
      ASSERT_TRUE(bn->options.momentum().has_value());
      EXPECT_DOUBLE_EQ(*bn->options.momentum(), 0.1);
    }
  }
}

// Recalibration errors are statuses and still leave eval mode.
TEST(Nb201Supernet, RecalibrationRejectsBadInput) {
  auto model = BuildNb201Network(Arch({kConv3, kSkip, kConv1, kPool, kNone, kConv3}),
                                 SmallOptions());
  ASSERT_TRUE(model.ok());
  EXPECT_EQ(RecalibrateBatchNorm(*model, torch::Tensor(), 8).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecalibrateBatchNorm(*model, torch::randn({4, 1, 8, 8}), 0).code(),
            absl::StatusCode::kInvalidArgument);
  model->ptr()->train();
  EXPECT_EQ(RecalibrateBatchNorm(*model, torch::randn({4, 3, 8, 8}), 4).code(),
            absl::StatusCode::kInternal);  // wrong channel count
  EXPECT_FALSE(model->ptr()->is_training());
}

}  // namespace
}  // namespace edgenas
