// Training the mbv3 supernet: the generic trainer runs the supernet's step
// plans (several paths, gradients summed, in-place distillation), the
// checkpoint round-trips, and the worker's supernet mode (and the
// multi-fidelity supernet rung) runs end to end on Fashion-MNIST through
// RunAccuracyPlan.
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/metric_names.h"
#include "common/model/space_networks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/worker/memory_artifacts.h"
#include "spaces/mbv3/mbv3_space.h"
#include "spaces/mbv3/mbv3_supernet.h"
#include "worker/accuracy_methods.h"
#include "worker/distill_loss.h"
#include "worker/supernet_trainer.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

using testing::MemoryArtifacts;

constexpr int kClasses = 10;
constexpr char kDatasetDir[] = "/usr/share/datasets/fashion-mnist";
const InputShape kInput{1, 28, 28, kClasses};

// A small mbv3 skeleton: two stages, every choice kept elastic but depth.
SpaceConfig TinySpace() {
  return SpaceConfig{"mbv3",
                     {{"stages", "2"},
                      {"channels", "16,24"},
                      {"strides", "1,2"},
                      {"head_channels", "64"},
                      {"feature_channels", "128"},
                      {"depths", "1,2"},
                      {"resolutions", "28"}}};
}

// Images are a per-class template plus noise: learnable in a few steps.
LabeledData Synthetic(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  const torch::Tensor templates = torch::randn({kClasses, 1, 28, 28});
  LabeledData data;
  data.labels = torch::randint(kClasses, {n}, torch::kInt64);
  data.images = templates.index_select(0, data.labels) + 0.5 * torch::randn({n, 1, 28, 28});
  return data;
}

TrainOptions CpuOptions(int steps) {
  TrainOptions options;
  options.steps = steps;
  options.batch_size = 16;
  options.learning_rate = 0.05;
  options.seed = 11;
  options.allow_cuda = false;
  return options;
}

std::unique_ptr<Mbv3Supernet> MakeTiny(uint64_t seed) {
  SeedTorch(seed);
  auto supernet = CreateMbv3Supernet(TinySpace(), kInput);
  EXPECT_TRUE(supernet.ok()) << supernet.status();
  return std::move(supernet).value();
}

double Mean(const std::vector<double>& v, size_t begin, size_t end) {
  double sum = 0.0;
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return sum / static_cast<double>(end - begin);
}

// The sandwich rule through the generic trainer: one warm-up path, then
// four per step (largest, smallest, two draws), and the summed loss falls.
TEST(Mbv3SupernetTraining, SandwichTrainingLowersTheLoss) {
  const LabeledData train = Synthetic(256, /*seed=*/1);
  std::unique_ptr<Mbv3Supernet> supernet = MakeTiny(/*seed=*/2);
  auto space = CreateMbv3Space(TinySpace());
  ASSERT_TRUE(space.ok()) << space.status();
  auto result = TrainSupernet(*supernet, *space, train, CpuOptions(/*steps=*/20), nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 20);
  EXPECT_EQ(supernet->WarmupSteps(20), 2);
  EXPECT_EQ(result->paths, 2 * 1 + 18 * 4);
  EXPECT_EQ(result->distilled_steps, 18);
  EXPECT_LT(Mean(result->losses, 16, 20), Mean(result->losses, 2, 6));
}

TEST(Mbv3SupernetTraining, IsDeterministicForAFixedSeed) {
  const LabeledData train = Synthetic(128, /*seed=*/1);
  auto space = CreateMbv3Space(TinySpace());
  ASSERT_TRUE(space.ok()) << space.status();
  std::unique_ptr<Mbv3Supernet> a = MakeTiny(/*seed=*/5);
  std::unique_ptr<Mbv3Supernet> b = MakeTiny(/*seed=*/5);
  auto ra = TrainSupernet(*a, *space, train, CpuOptions(/*steps=*/6), nullptr);
  auto rb = TrainSupernet(*b, *space, train, CpuOptions(/*steps=*/6), nullptr);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->losses, rb->losses);
}

// A test double of the seam: a linear classifier whose logits scale with
// gene 0; it plans two paths per step and records what the trainer does.
class RecordingSupernet : public Supernet {
 public:
  explicit RecordingSupernet(bool empty_plan = false)
      : linear_(torch::nn::Linear(28 * 28, kClasses)), empty_plan_(empty_plan) {}
  torch::nn::Module& module() override { return *linear_; }
  torch::Tensor Forward(const torch::Tensor& x, const Architecture& arch) override {
    torch::Tensor logits = linear_(x.flatten(1)) * (1.0 + arch.genes[0]);
    seen.push_back(arch.genes[0]);
    logits_.push_back(logits.detach().clone());
    return logits;
  }
  absl::StatusOr<torch::nn::AnyModule> ExtractSubnet(const Architecture&) override {
    return absl::UnimplementedError("test double");
  }
  SupernetStep PlanStep(const SearchSpace&, int, int, Rng&) override {
    SupernetStep plan;
    if (empty_plan_) return plan;
    plan.paths = {Architecture{{0}}, Architecture{{1}}};
    plan.distill = true;
    plan.temperature = 2.0;
    return plan;
  }
  bool BeforeStep(int step, int) override {
    before.push_back(step);
    return false;
  }
  std::vector<int> seen;
  std::vector<int> before;
  std::vector<torch::Tensor> logits_;

 private:
  torch::nn::Linear linear_;
  bool empty_plan_;
};

// Every planned path runs on the step's batch in order; the first learns
// from the labels, the second from the first's soft targets (T^2 * KL), and
// the step's loss is their sum.
TEST(Mbv3SupernetTraining, TrainerRunsEveryPlannedPathWithInPlaceDistillation) {
  LabeledData train = Synthetic(64, /*seed=*/3);
  train.labels = torch::zeros({64}, torch::kInt64);  // the loss needs no batch index
  SeedTorch(4);
  RecordingSupernet supernet;
  const Mbv3Space space = CreateMbv3Space(SpaceConfig{"mbv3", {}}).value();
  auto result = TrainSupernet(supernet, space, train, CpuOptions(/*steps=*/3), nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(supernet.seen, (std::vector<int>{0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(supernet.before, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(result->paths, 6);
  EXPECT_EQ(result->distilled_steps, 3);
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor& teacher = supernet.logits_[2 * step];
    const torch::Tensor& student = supernet.logits_[2 * step + 1];
    const torch::Tensor labels = torch::zeros({teacher.size(0)}, torch::kInt64);
    const double expected =
        torch::cross_entropy_loss(teacher, labels).item<double>() +
        DistillationLoss(student, teacher, labels, /*alpha=*/1.0, /*temperature=*/2.0)
            .item<double>();
    EXPECT_NEAR(result->losses[step], expected, 1e-5) << "step " << step;
  }
}

TEST(Mbv3SupernetTraining, TrainerRefusesAStepWithoutPaths) {
  const LabeledData train = Synthetic(32, /*seed=*/3);
  RecordingSupernet supernet(/*empty_plan=*/true);
  const Mbv3Space space = CreateMbv3Space(SpaceConfig{"mbv3", {}}).value();
  auto result = TrainSupernet(supernet, space, train, CpuOptions(/*steps=*/2), nullptr);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInternal) << result.status();
}

// The checkpoint the worker uploads loads back into an equal supernet.
TEST(Mbv3SupernetTraining, CheckpointRoundTrips) {
  std::unique_ptr<Mbv3Supernet> supernet = MakeTiny(/*seed=*/6);
  supernet->SortChannels();
  auto bytes = SaveSupernet(*supernet);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto loaded = LoadSupernet(*bytes, TinySpace(), kInput);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  supernet->module().eval();
  (*loaded)->module().eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 1, 28, 28});
  const Architecture arch = supernet->weights().space().Smallest();
  EXPECT_TRUE(torch::equal(supernet->Forward(x, arch), (*loaded)->Forward(x, arch)));
  // Another space's options do not fit the checkpoint's shapes.
  SpaceConfig wider = TinySpace();
  wider.options["channels"] = "16,32";
  EXPECT_EQ(LoadSupernet(*bytes, wider, kInput).status().code(),
            absl::StatusCode::kInvalidArgument);
}

AccuracyPlan TinyPlan(const std::string& operation, const std::string& mode) {
  AccuracyPlan plan;
  plan.operation = operation;
  plan.mode = mode;
  plan.job_id = "job-mbv3";
  plan.candidate_id = "job-mbv3-0001";
  plan.arch = "r28-w75|d1-se-hs:k3e4|d2-nose-relu:k5e6,k7e3";
  plan.space = TinySpace();
  plan.job_seed = 3;
  plan.dataset_dir = kDatasetDir;
  plan.input = kInput;
  plan.validation_examples = 300;
  plan.batch_size = 16;
  plan.learning_rate = 0.05;
  plan.supernet_steps = 10;
  plan.calibration_examples = 64;
  return plan;
}

const ReportedMetric* Find(const AccuracyReport& r, const std::string& name) {
  for (const auto& m : r.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

// The worker's supernet mode on mbv3, through its real entry point: the
// job-level training (sandwich steps with distillation, checkpoint
// uploaded), then a candidate's evaluation with inherited weights and
// recalibrated batch norm, the same as a multi-fidelity supernet rung.
TEST(Mbv3SupernetTraining, WorkerSupernetModeRunsEndToEnd) {
  if (!std::filesystem::exists(kDatasetDir)) GTEST_SKIP() << kDatasetDir << " not installed";
  MemoryArtifacts store;
  MethodOptions options;
  options.allow_cuda = false;
  options.threads = 1;
  options.artifacts = store.Access();

  auto trained = RunAccuracyPlan(TinyPlan(kOpTrainSupernet, "supernet"), options, nullptr);
  ASSERT_TRUE(trained.ok()) << trained.status();
  ASSERT_NE(Find(*trained, kMetricTrainSeconds), nullptr);
  EXPECT_EQ(Find(*trained, kMetricTrainSeconds)->steps, 10);
  ASSERT_EQ(store.blobs.count("job-mbv3/supernet"), 1u);
  // 1 warm-up step of the largest, then 9 sandwiches of 4 paths.
  EXPECT_THAT(::testing::PrintToString(trained->notes),
              ::testing::HasSubstr("10 steps training 37 paths (several paths per step; 9 steps "
                                 "with in-place distillation)"));

  auto subnet = RunAccuracyPlan(TinyPlan(kOpEvaluate, "supernet"), options, nullptr);
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  const ReportedMetric* acc = Find(*subnet, kMetricAccuracy);
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->source, "worker:supernet:cpu");
  EXPECT_EQ(acc->steps, 0);
  EXPECT_GE(acc->value, 0.0);
  EXPECT_LE(acc->value, 1.0);
  EXPECT_GE(acc->std_error, 0.0);
  ASSERT_NE(Find(*subnet, kMetricParams), nullptr);
  EXPECT_GT(Find(*subnet, kMetricParams)->value, 0.0);

  auto rung = RunAccuracyPlan(TinyPlan(kOpSupernet, "multi_fidelity"), options, nullptr);
  ASSERT_TRUE(rung.ok()) << rung.status();
  ASSERT_NE(Find(*rung, kMetricAccuracy), nullptr);
  EXPECT_EQ(Find(*rung, kMetricAccuracy)->value, acc->value);

  AccuracyPlan bad = TinyPlan(kOpEvaluate, "supernet");
  bad.arch = "r32-w75|d1-se-hs:k3e4|d2-nose-relu:k5e6,k7e3";  // 32 is not a choice here
  EXPECT_EQ(RunAccuracyPlan(bad, options, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgenas
