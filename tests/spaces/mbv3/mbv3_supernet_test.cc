// The mbv3 Once-for-All supernet: extracted subnets compute the supernet's
// forward, elastic kernels, channel sorting, shared batch norm and the
// training plan (warm-up, then the sandwich rule).
#include "spaces/mbv3/mbv3_supernet.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/model/network_util.h"
#include "common/random.h"
#include "spaces/mbv3/mbv3_channel_sort.h"
#include "spaces/mbv3/mbv3_model.h"
#include "spaces/mbv3/mbv3_space.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

const InputShape kInput{1, 28, 28, 10};  // Fashion-MNIST's

SpaceConfig DefaultSpace() { return SpaceConfig{"mbv3", {}}; }

// Covers expansion 1 (no expand conv), widths above 100% (a scaled feature
// layer) and two kernel sides, on a small skeleton.
SpaceConfig VariedSpace() {
  return SpaceConfig{"mbv3",
                     {{"stages", "3"},
                      {"channels", "16,24,32"},
                      {"strides", "1,2,2"},
                      {"head_channels", "64"},
                      {"feature_channels", "96"},
                      {"kernels", "3,5"},
                      {"expands", "1,3"},
                      {"depths", "1,2"},
                      {"resolutions", "24,28"},
                      {"widths", "50,100,150"}}};
}

std::unique_ptr<Mbv3Supernet> Make(const SpaceConfig& config, uint64_t seed,
                                   Mbv3SupernetOptions options = {}) {
  SeedTorch(seed);
  auto supernet = CreateMbv3Supernet(config, kInput, options);
  EXPECT_TRUE(supernet.ok()) << supernet.status();
  return std::move(supernet).value();
}

// Non-trivial BN affine parameters and running stats, and kernel transforms
// away from the identity, so that a copy that missed a tensor (or a kernel
// taken without its transform) shows in eval-mode outputs.
void Perturb(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters()) {
    const std::string& name = item.key();
    if (name.find("bn.") != std::string::npos) {
      item.value().copy_(torch::rand_like(item.value()) + 0.5);
    } else if (name.rfind("kernel_transform.", 0) == 0) {
      item.value().add_(0.2 * torch::randn_like(item.value()));
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

// The smallest, the largest and seeded uniform draws.
std::vector<Architecture> TestArchitectures(const Mbv3Space& space, int draws, uint64_t seed) {
  std::vector<Architecture> archs = {space.Smallest(), space.Largest()};
  Rng rng(seed);
  for (int i = 0; i < draws; ++i) archs.push_back(space.Sample(rng));
  return archs;
}

double MaxAbsDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

void ExpectExtractionMatches(const SpaceConfig& config, uint64_t seed) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(config, seed);
  Perturb(supernet->module());
  supernet->module().eval();
  const Mbv3Space& space = supernet->weights().space();
  const torch::Tensor x = torch::randn({3, 1, 28, 28});
  torch::NoGradGuard no_grad;
  for (const Architecture& arch : TestArchitectures(space, /*draws=*/6, seed)) {
    SCOPED_TRACE(space.Print(arch));
    auto subnet = supernet->ExtractSubnet(arch);
    ASSERT_TRUE(subnet.ok()) << subnet.status();
    EXPECT_FALSE(subnet->ptr()->is_training());
    const torch::Tensor expected = supernet->Forward(x, arch);
    const torch::Tensor actual = subnet->forward(x);
    ASSERT_EQ(actual.sizes(), expected.sizes());
    EXPECT_LE(MaxAbsDiff(actual, expected), 1e-5);
    // The subnet is the space's own network of that architecture.
    auto network = AsMbv3Network(*subnet->ptr());
    ASSERT_TRUE(network.ok()) << network.status();
    EXPECT_EQ((*network)->plan().blocks.size(), space.Plan(arch, kInput).blocks.size());
  }
}

TEST(Mbv3Supernet, ExtractedSubnetsComputeTheSupernetsForward) {
  ExpectExtractionMatches(DefaultSpace(), /*seed=*/3);
}

TEST(Mbv3Supernet, ExtractionMatchesWithExpansionOneAndWideWidths) {
  ExpectExtractionMatches(VariedSpace(), /*seed=*/4);
}

// The largest subnet holds every weight as it is (no slicing): its tensors
// equal the supernet's by name, except the transforms it does not hold.
TEST(Mbv3Supernet, LargestSubnetHoldsTheSupernetsTensorsByName) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 5);
  const Mbv3Space& space = supernet->weights().space();
  auto subnet = supernet->ExtractSubnet(space.Largest());
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  const auto source = supernet->module().named_parameters();
  int matched = 0;
  for (const auto& item : subnet->ptr()->named_parameters()) {
    const torch::Tensor* s = source.find(item.key());
    ASSERT_NE(s, nullptr) << item.key();
    EXPECT_TRUE(torch::equal(*s, item.value())) << item.key();
    ++matched;
  }
  EXPECT_EQ(matched + static_cast<int>(
                          supernet->weights().kernel_transform->parameters().size()),
            static_cast<int>(source.size()));
}

TEST(Mbv3Supernet, FreshSmallKernelsAreCentreCropsOfTheLargest) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 6);
  torch::NoGradGuard no_grad;
  Mbv3SupernetModuleImpl& weights = supernet->weights();
  const torch::Tensor full = weights.block(2, 1).dw->weight.narrow(0, 0, 40);
  EXPECT_TRUE(torch::equal(weights.DepthwiseKernel(2, 1, 40, 7), full));
  EXPECT_TRUE(torch::allclose(weights.DepthwiseKernel(2, 1, 40, 5),
                              full.narrow(2, 1, 5).narrow(3, 1, 5)));
  EXPECT_TRUE(torch::allclose(weights.DepthwiseKernel(2, 1, 40, 3),
                              full.narrow(2, 2, 3).narrow(3, 2, 3)));
}

// A 3x3 path trains both transforms of its blocks (7 -> 5 -> 3); a 7x7
// path trains none.
TEST(Mbv3Supernet, KernelTransformsLearnFromTheirPaths) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 7);
  const Mbv3Space& space = supernet->weights().space();
  const torch::Tensor x = torch::randn({4, 1, 28, 28});
  const auto transforms = supernet->weights().kernel_transform->named_parameters();

  supernet->Forward(x, space.Largest()).sum().backward();
  for (const auto& item : transforms) {
    EXPECT_FALSE(item.value().grad().defined() && item.value().grad().abs().sum().item<double>() > 0)
        << item.key();
  }
  Architecture small = space.Largest();
  small.genes[space.KernelGene(0, 0)] = 0;  // 3x3 in stage 0, block 0
  supernet->Forward(x, small).sum().backward();
  for (const char* name : {"s0b0_k3", "s0b0_k5"}) {
    const torch::Tensor* t = transforms.find(name);
    ASSERT_NE(t, nullptr) << name;
    ASSERT_TRUE(t->grad().defined()) << name;
    EXPECT_GT(t->grad().abs().sum().item<double>(), 0.0) << name;
  }
}

// Sorting keeps the largest subnet's function, puts each block's channels
// in descending importance and changes smaller subnets.
TEST(Mbv3Supernet, SortingChannelsKeepsTheLargestSubnet) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 8);
  Perturb(supernet->module());
  supernet->module().eval();
  const Mbv3Space& space = supernet->weights().space();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  const torch::Tensor largest_before = supernet->Forward(x, space.Largest());
  const torch::Tensor smallest_before = supernet->Forward(x, space.Smallest());
  supernet->SortChannels();
  EXPECT_LE(MaxAbsDiff(supernet->Forward(x, space.Largest()), largest_before), 1e-5);
  EXPECT_GT(MaxAbsDiff(supernet->Forward(x, space.Smallest()), smallest_before), 1e-4);
  for (const Mbv3Block& b : supernet->weights().largest().blocks) {
    const mbv3::BlockImpl& block = supernet->weights().block(b.stage, b.index);
    for (const torch::Tensor& importance :
         {mbv3::MidChannelImportance(block), mbv3::SqueezeChannelImportance(block)}) {
      const torch::Tensor steps = importance.narrow(0, 1, importance.size(0) - 1) -
                                  importance.narrow(0, 0, importance.size(0) - 1);
      EXPECT_LE(steps.max().item<double>(), 0.0) << b.stage << "." << b.index;
    }
  }
}

// A training-mode pass updates the running statistics of the channels the
// path uses and no others.
TEST(Mbv3Supernet, TrainingPassUpdatesOnlyItsBatchNormChannels) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 9);
  const Mbv3Space& space = supernet->weights().space();
  const Mbv3Plan plan = space.Plan(space.Smallest(), kInput);
  torch::nn::BatchNorm2dImpl& bn = *supernet->weights().head->bn;
  const torch::Tensor before = bn.running_mean.clone();
  supernet->module().train();
  supernet->Forward(torch::randn({4, 1, 28, 28}) + 1.0, space.Smallest());
  const int64_t used = plan.head_channels;
  ASSERT_LT(used, before.size(0));
  EXPECT_FALSE(torch::equal(bn.running_mean.narrow(0, 0, used), before.narrow(0, 0, used)));
  EXPECT_TRUE(torch::equal(bn.running_mean.narrow(0, used, before.size(0) - used),
                           before.narrow(0, used, before.size(0) - used)));
}

// What the worker's supernet evaluation does with a candidate: the extracted
// subnet's batch norms are re-estimated on images of the dataset's size
// (the subnet resizes them to its resolution), leaving the supernet's alone.
TEST(Mbv3Supernet, ExtractedSubnetRecalibratesItsBatchNorm) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 12);
  Perturb(supernet->module());
  const Mbv3Space& space = supernet->weights().space();
  Rng rng(12);
  const Architecture arch = space.Sample(rng);
  auto subnet = supernet->ExtractSubnet(arch);
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  const torch::Tensor shared = supernet->weights().head->bn->running_var.clone();
  const auto before = subnet->ptr()->named_buffers();
  const torch::Tensor head_var = before["head.bn.running_var"].clone();
  ASSERT_TRUE(RecalibrateBatchNorm(*subnet, torch::randn({64, 1, 28, 28}), 16).ok());
  EXPECT_FALSE(subnet->ptr()->is_training());
  EXPECT_FALSE(torch::allclose(subnet->ptr()->named_buffers()["head.bn.running_var"], head_var));
  EXPECT_TRUE(torch::equal(supernet->weights().head->bn->running_var, shared));
}

TEST(Mbv3Supernet, ForwardRefusesAnInvalidArchitecture) {
  std::unique_ptr<Mbv3Supernet> supernet = Make(VariedSpace(), 10);
  Architecture bad = supernet->weights().space().Largest();
  bad.genes.pop_back();
  EXPECT_THROW(supernet->Forward(torch::randn({1, 1, 28, 28}), bad), c10::Error);
  EXPECT_EQ(supernet->ExtractSubnet(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Mbv3Supernet, RefusesBadOptionsNamingTheField) {
  auto bad_space = CreateMbv3Supernet(SpaceConfig{"mbv3", {{"kernels", "3,4"}}}, kInput);
  EXPECT_EQ(bad_space.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_space.status().message()), testing::HasSubstr("space.options.kernels"));
  auto no_classes = CreateMbv3Supernet(DefaultSpace(), InputShape{1, 28, 28, 0});
  EXPECT_THAT(std::string(no_classes.status().message()), testing::HasSubstr("dataset"));
  Mbv3SupernetOptions options;
  options.warmup_fraction = 1.0;
  auto bad_warmup = CreateMbv3Supernet(DefaultSpace(), kInput, options);
  EXPECT_EQ(bad_warmup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_warmup.status().message()),
              testing::HasSubstr("supernet.warmup_fraction"));
  options = Mbv3SupernetOptions();
  options.random_paths = -1;
  EXPECT_THAT(std::string(CreateMbv3Supernet(DefaultSpace(), kInput, options).status().message()),
              testing::HasSubstr("supernet.random_paths"));
}

// Warm-up trains the largest alone; the channels are sorted once, at its
// end; then every step is a distilled sandwich.
TEST(Mbv3Supernet, PlansWarmupThenTheSandwichRule) {
  Mbv3SupernetOptions options;
  options.random_paths = 3;
  options.warmup_fraction = 0.2;
  options.temperature = 2.0;
  std::unique_ptr<Mbv3Supernet> supernet = Make(DefaultSpace(), 11, options);
  const Mbv3Space& space = supernet->weights().space();
  Rng rng(1);
  const int steps = 10;
  int sorts = 0;
  for (int step = 0; step < steps; ++step) {
    if (supernet->BeforeStep(step, steps)) {
      ++sorts;
      EXPECT_EQ(step, 2);
    }
    const SupernetStep plan = supernet->PlanStep(space, step, steps, rng);
    ASSERT_FALSE(plan.paths.empty());
    EXPECT_EQ(plan.paths[0], space.Largest());
    if (step < 2) {
      EXPECT_EQ(plan.paths.size(), 1u);
      EXPECT_FALSE(plan.distill);
      continue;
    }
    ASSERT_EQ(plan.paths.size(), 5u);
    EXPECT_EQ(plan.paths[1], space.Smallest());
    EXPECT_TRUE(plan.distill);
    EXPECT_EQ(plan.temperature, 2.0);
    for (const Architecture& arch : plan.paths) EXPECT_TRUE(space.Validate(arch).ok());
    EXPECT_NE(plan.paths[2], plan.paths[3]);
  }
  EXPECT_EQ(sorts, 1);
  // No warm-up: no sort, a sandwich from the first step.
  options.warmup_fraction = 0.0;
  std::unique_ptr<Mbv3Supernet> direct = Make(DefaultSpace(), 11, options);
  EXPECT_FALSE(direct->BeforeStep(0, steps));
  EXPECT_EQ(direct->PlanStep(space, 0, steps, rng).paths.size(), 5u);
}

}  // namespace
}  // namespace edgenas
