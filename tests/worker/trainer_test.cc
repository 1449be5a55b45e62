#include "worker/trainer.h"

#include <atomic>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "common/metric_names.h"
#include "spaces/nb201/nb201_model.h"
#include "gtest/gtest.h"
#include "worker/accuracy_task.h"

namespace edgenas {
namespace {

constexpr int kClasses = 4;

// Noisy images around one fixed random pattern per class (the same patterns
// for every call; `seed` draws the noise): separable enough that a few dozen
// SGD steps reach far above chance (25%).
LabeledData Separable(int64_t n, uint64_t seed) {
  torch::manual_seed(/*seed=*/12345);
  const torch::Tensor patterns = torch::randn({kClasses, 1, 28, 28}).sign();
  torch::manual_seed(seed);
  LabeledData data;
  data.labels = torch::arange(n, torch::kInt64).remainder(kClasses);
  data.images = patterns.index_select(0, data.labels) + torch::randn({n, 1, 28, 28});
  return data;
}

torch::nn::AnyModule SmallNetwork(uint64_t seed) {
  Nb201ModelOptions options;
  options.channels = 4;
  options.in_channels = 1;
  options.num_classes = kClasses;
  SeedTorch(seed);
  // skip | conv1x1 skip | pool none conv1x1
  auto model = BuildNb201Network(Architecture{{1, 2, 1, 4, 0, 2}}, options);
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

TrainOptions SmallOptions() {
  TrainOptions options;
  options.steps = 40;
  options.batch_size = 32;
  options.learning_rate = 0.05;
  options.seed = 7;
  options.allow_cuda = false;
  return options;
}

// A few dozen steps on separable data lift accuracy well above chance, and
// the same seeds reproduce the same run exactly.
TEST(Trainer, LearnsSeparableDataReproducibly) {
  const LabeledData train = Separable(512, /*seed=*/1);
  const LabeledData validation = Separable(256, /*seed=*/2);
  torch::nn::AnyModule first = SmallNetwork(/*seed=*/3);
  auto a = TrainAndEvaluate(first, train, validation, SmallOptions(), /*cancel=*/nullptr);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_GT(a->accuracy, 0.7);
  EXPECT_EQ(a->steps, 40);
  EXPECT_EQ(a->device, "cpu");
  EXPECT_EQ(a->validation_examples, 256);

  torch::nn::AnyModule second = SmallNetwork(/*seed=*/3);
  auto b = TrainAndEvaluate(second, train, validation, SmallOptions(), /*cancel=*/nullptr);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->accuracy, b->accuracy);
  EXPECT_EQ(a->final_loss, b->final_loss);
}

// A raised cancel flag stops training with CANCELLED.
TEST(Trainer, CancelFlagStopsTraining) {
  const LabeledData data = Separable(64, /*seed=*/1);
  torch::nn::AnyModule model = SmallNetwork(/*seed=*/3);
  std::atomic<bool> cancel{true};
  auto r = TrainAndEvaluate(model, data, data, SmallOptions(), &cancel);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
}

// A non-finite loss is reported as divergence at the step where it appeared.
TEST(Trainer, NonFiniteLossIsDivergence) {
  LabeledData data = Separable(64, /*seed=*/1);
  data.images = data.images.clone().fill_(std::numeric_limits<float>::quiet_NaN());
  torch::nn::AnyModule model = SmallNetwork(/*seed=*/3);
  auto r = TrainAndEvaluate(model, data, data, SmallOptions(), /*cancel=*/nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("diverged at step 0"), absl::string_view::npos);
}

// Bad options are refused naming the spec field.
TEST(Trainer, RefusesBadOptions) {
  const LabeledData data = Separable(64, /*seed=*/1);
  torch::nn::AnyModule model = SmallNetwork(/*seed=*/3);
  TrainOptions options = SmallOptions();
  options.batch_size = 65;
  auto r = TrainAndEvaluate(model, data, data, options, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("evaluation.batch_size"), absl::string_view::npos);
  options = SmallOptions();
  options.learning_rate = -1;
  EXPECT_EQ(TrainAndEvaluate(model, data, data, options, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Seeds are stable and differ between candidates of a job.
TEST(Trainer, RunSeedDependsOnJobSeedAndCandidate) {
  EXPECT_EQ(DeriveRunSeed(42, "c-1"), DeriveRunSeed(42, "c-1"));
  EXPECT_NE(DeriveRunSeed(42, "c-1"), DeriveRunSeed(42, "c-2"));
  EXPECT_NE(DeriveRunSeed(42, "c-1"), DeriveRunSeed(43, "c-1"));
}

edgenas::v1::Task AccuracyTask(const std::string& arch) {
  edgenas::v1::Task task;
  task.set_task_id("t-1");
  task.set_candidate_id("c-1");
  task.set_kind(edgenas::v1::TASK_ACCURACY);
  task.set_space("nb201");
  task.set_arch(arch);
  task.mutable_spec()->set_seed(5);
  task.mutable_spec()->mutable_evaluation()->set_train_steps(20);
  task.mutable_spec()->mutable_evaluation()->set_validation_examples(500);
  return task;
}

constexpr char kConvArch[] =
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|"
    "nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|";

// Tasks that cannot run as given are INVALID_ARGUMENT naming the field; a
// missing dataset is NOT_FOUND.
TEST(AccuracyTask, RefusesTasksThatCannotRun) {
  AccuracyTaskOptions options;
  options.allow_cuda = false;
  edgenas::v1::Task task = AccuracyTask(kConvArch);
  task.set_space("darts");
  auto r = RunAccuracyTask(task, options, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("task.space"), absl::string_view::npos);

  task = AccuracyTask("|nor_conv_9x9~0|+|");
  r = RunAccuracyTask(task, options, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("task.arch"), absl::string_view::npos);

  task = AccuracyTask(kConvArch);
  task.mutable_spec()->mutable_space()->set_channels(-4);
  r = RunAccuracyTask(task, options, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("space.channels"), absl::string_view::npos);

  options.dataset_dir = "/nonexistent/edgenas-dataset";
  r = RunAccuracyTask(AccuracyTask(kConvArch), options, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
}

// On the installed dataset a tiny budget yields a sane accuracy and metrics.
TEST(AccuracyTask, TrainsOnRealDatasetWithTinyBudget) {
  if (!std::filesystem::exists(kDefaultFashionMnistDir)) {
    GTEST_SKIP() << kDefaultFashionMnistDir << " not installed";
  }
  AccuracyTaskOptions options;
  options.allow_cuda = false;
  // Small enough for a loaded 2-core test machine (about 2 s).
  edgenas::v1::Task task = AccuracyTask(kConvArch);
  task.mutable_spec()->mutable_space()->set_channels(8);
  task.mutable_spec()->mutable_evaluation()->set_batch_size(32);
  auto r = RunAccuracyTask(task, options, nullptr);
  ASSERT_TRUE(r.ok()) << r.status();
  double accuracy = -1, params = -1, seconds = -1, flops = -1;
  for (const auto& m : r->metrics) {
    if (m.name() == kMetricAccuracy) accuracy = m.value();
    if (m.name() == kMetricParams) params = m.value();
    if (m.name() == kMetricTrainSeconds) seconds = m.value();
    if (m.name() == kMetricFlops) flops = m.value();
    // flops is counted, not measured by the training run.
    EXPECT_EQ(m.source(), m.name() == kMetricFlops ? "analytic" : "worker:full_train:cpu");
  }
  EXPECT_GT(accuracy, 0.0);
  EXPECT_LE(accuracy, 1.0);
  EXPECT_GT(params, 0);
  EXPECT_GT(flops, params);
  EXPECT_GE(seconds, 0);
  EXPECT_FALSE(r->notes.empty());
  for (const std::string& note : r->notes) std::cout << "note: " << note << "\n";
}

}  // namespace
}  // namespace edgenas
