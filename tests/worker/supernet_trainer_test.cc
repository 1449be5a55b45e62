#include "worker/supernet_trainer.h"

#include <atomic>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "spaces/nb201/nb201_space.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

constexpr int kClasses = 4;

Architecture Arch(std::vector<int> genes) { return Architecture{std::move(genes)}; }

SpaceConfig SmallSpace(int channels = 6) {
  return SpaceConfig{"nb201", {{"channels", std::to_string(channels)}}};
}
const InputShape kInput{1, 8, 8, kClasses};
const Nb201Space kSpace;

// Images are a per-class template plus noise: learnable in a few steps.
LabeledData Synthetic(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor templates = torch::randn({kClasses, 1, 8, 8});
  LabeledData data;
  data.labels = torch::randint(kClasses, {n}, torch::kInt64);
  data.images = templates.index_select(0, data.labels) + 0.5 * torch::randn({n, 1, 8, 8});
  return data;
}

TrainOptions CpuOptions(int steps) {
  TrainOptions options;
  options.steps = steps;
  options.batch_size = 32;
  options.learning_rate = 0.05;
  options.seed = 11;
  options.allow_cuda = false;
  return options;
}

double Mean(const std::vector<double>& v, size_t begin, size_t end) {
  return std::accumulate(v.begin() + begin, v.begin() + end, 0.0) / (end - begin);
}

std::unique_ptr<Supernet> MakeSupernet(uint64_t seed) {
  SeedTorch(seed);
  auto networks = FindSpaceNetworks("nb201");
  EXPECT_TRUE(networks.ok()) << networks.status();
  auto supernet = (*networks)->build_supernet(SmallSpace(), kInput);
  EXPECT_TRUE(supernet.ok()) << supernet.status();
  return std::move(supernet).value();
}

// SPOS training on a learnable task lowers the loss and reports its steps.
TEST(SupernetTrainer, TrainingLowersTheLoss) {
  const LabeledData train = Synthetic(256, /*seed=*/1);
  std::unique_ptr<Supernet> supernet = MakeSupernet(/*seed=*/2);
  auto result =
      TrainSupernet(*supernet, kSpace, train, CpuOptions(/*steps=*/30), /*cancel=*/nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 30);
  EXPECT_EQ(result->device, "cpu");
  ASSERT_EQ(result->losses.size(), 30u);
  EXPECT_LT(Mean(result->losses, 25, 30), Mean(result->losses, 0, 5));
  EXPECT_DOUBLE_EQ(result->final_loss, Mean(result->losses, 0, 30));  // window > steps
}

// The same seeds give the same losses and weights on the CPU.
TEST(SupernetTrainer, IsDeterministicForAFixedSeed) {
  const LabeledData train = Synthetic(128, /*seed=*/1);
  std::unique_ptr<Supernet> a = MakeSupernet(/*seed=*/5);
  std::unique_ptr<Supernet> b = MakeSupernet(/*seed=*/5);
  auto ra = TrainSupernet(*a, kSpace, train, CpuOptions(/*steps=*/12), /*cancel=*/nullptr);
  auto rb = TrainSupernet(*b, kSpace, train, CpuOptions(/*steps=*/12), /*cancel=*/nullptr);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->losses, rb->losses);
  const auto pa = a->module().named_parameters();
  const auto pb = b->module().named_parameters();
  for (const auto& item : pa) {
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  }
}

// Bad options are rejected up front; a raised cancel flag stops training.
TEST(SupernetTrainer, RejectsBadOptionsAndHonoursCancel) {
  const LabeledData train = Synthetic(64, /*seed=*/1);
  std::unique_ptr<Supernet> supernet = MakeSupernet(/*seed=*/1);
  TrainOptions options = CpuOptions(/*steps=*/5);
  options.batch_size = 65;
  EXPECT_EQ(TrainSupernet(*supernet, kSpace, train, options, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  std::atomic<bool> cancel{true};
  EXPECT_EQ(TrainSupernet(*supernet, kSpace, train, CpuOptions(5), &cancel).status().code(),
            absl::StatusCode::kCancelled);
}

// Evaluation reports accuracy over all examples with a batch standard error;
// after training, inherited weights beat chance on the synthetic task.
TEST(SupernetTrainer, EvaluatesSubnetsWithInheritedWeights) {
  const LabeledData train = Synthetic(512, /*seed=*/1);
  std::unique_ptr<Supernet> supernet = MakeSupernet(/*seed=*/3);
  ASSERT_TRUE(TrainSupernet(*supernet, kSpace, train, CpuOptions(/*steps=*/60), nullptr).ok());
  const LabeledData calibration{train.images.narrow(0, 0, 128), train.labels.narrow(0, 0, 128)};
  const LabeledData validation{train.images.narrow(0, 256, 256),
                               train.labels.narrow(0, 256, 256)};
  const Architecture arch = Arch({3, 3, 3, 3, 3, 3});
  auto eval = EvaluateSubnet(*supernet, arch, calibration, validation, /*batch_size=*/64);
  ASSERT_TRUE(eval.ok()) << eval.status();
  EXPECT_EQ(eval->examples, 256);
  EXPECT_GT(eval->accuracy, 1.0 / kClasses + 0.1);
  EXPECT_LE(eval->accuracy, 1.0);
  EXPECT_GE(eval->standard_error, 0.0);
  EXPECT_LT(eval->standard_error, 0.5);

  auto one_batch = EvaluateSubnet(*supernet, arch, calibration, validation, /*batch_size=*/256);
  ASSERT_TRUE(one_batch.ok());
  EXPECT_EQ(one_batch->standard_error, 0.0);
  EXPECT_EQ(EvaluateSubnet(*supernet, Arch({9, 9}), calibration, validation, 64).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A saved supernet loads into an identical one; bad bytes are errors.
TEST(SupernetTrainer, SaveLoadRoundTripsAndRejectsGarbage) {
  std::unique_ptr<Supernet> supernet = MakeSupernet(/*seed=*/9);
  ASSERT_TRUE(TrainSupernet(*supernet, kSpace, Synthetic(64, 1), CpuOptions(/*steps=*/3), nullptr).ok());
  auto bytes = SaveSupernet(*supernet);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto loaded = LoadSupernet(*bytes, SmallSpace(), kInput);
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  supernet->module().eval();
  (*loaded)->module().eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({4, 1, 8, 8});
  for (const Architecture& arch :
       {Arch({3, 3, 3, 3, 3, 3}), Arch({2, 1, 4, 0, 3, 2}), Arch({0, 0, 0, 0, 0, 0})}) {
    EXPECT_TRUE(torch::equal(supernet->Forward(x, arch), (*loaded)->Forward(x, arch)));
  }
  for (const auto& item : supernet->module().named_buffers()) {
    EXPECT_TRUE(torch::equal(item.value(), (*loaded)->module().named_buffers()[item.key()]))
        << item.key();
  }

  EXPECT_EQ(LoadSupernet("not a supernet", SmallSpace(), kInput).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(LoadSupernet(bytes->substr(0, bytes->size() / 2), SmallSpace(), kInput).ok());
  const absl::Status mismatch = LoadSupernet(*bytes, SmallSpace(/*channels=*/8), kInput).status();
  EXPECT_EQ(mismatch.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(mismatch.message().find("shape"), std::string::npos) << mismatch;
}

// A supernet that plans nothing of its own (NB201) trains one uniform path
// per step from the labels, and never asks for its momentum to be reset.
TEST(SupernetTrainer, DefaultStepPlanIsOneUniformPath) {
  std::unique_ptr<Supernet> supernet = MakeSupernet(/*seed=*/7);
  Rng rng(3);
  std::set<std::string> seen;
  for (int step = 0; step < 50; ++step) {
    EXPECT_FALSE(supernet->BeforeStep(step, 50));
    const SupernetStep plan = supernet->PlanStep(kSpace, step, 50, rng);
    ASSERT_EQ(plan.paths.size(), 1u);
    EXPECT_FALSE(plan.distill);
    ASSERT_TRUE(kSpace.Validate(plan.paths[0]).ok());
    seen.insert(kSpace.Print(plan.paths[0]));
  }
  EXPECT_GT(seen.size(), 40u);  // 15,625 architectures: repeats are rare
  const LabeledData train = Synthetic(64, /*seed=*/1);
  auto result = TrainSupernet(*supernet, kSpace, train, CpuOptions(/*steps=*/4), nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->paths, 4);
  EXPECT_EQ(result->distilled_steps, 0);
}

}  // namespace
}  // namespace edgenas
