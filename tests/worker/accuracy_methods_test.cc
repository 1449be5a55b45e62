// The worker's accuracy methods end to end on real Fashion-MNIST with tiny
// schedules: teacher -> flash distillation -> finalist, supernet -> subnet,
// with checkpoints exchanged through an in-memory artifact store.
#include "worker/accuracy_methods.h"

#include <filesystem>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "common/metric_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/worker/memory_artifacts.h"

namespace edgenas {
namespace {

using testing::MemoryArtifacts;

constexpr char kDatasetDir[] = "/usr/share/datasets/fashion-mnist";
constexpr char kArch[] = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";

AccuracyPlan TinyPlan(const std::string& operation, const std::string& mode) {
  AccuracyPlan plan;
  plan.operation = operation;
  plan.mode = mode;
  plan.job_id = "job-t";
  plan.candidate_id = "job-t-0001";
  plan.arch = kArch;
  plan.space.name = "nb201";
  plan.space.options = {{"channels", "4"}, {"cells_per_stage", "1"}};
  plan.job_seed = 3;
  plan.dataset_dir = kDatasetDir;
  plan.input = InputShape{1, 28, 28, 10};  // Fashion-MNIST's
  plan.validation_examples = 500;
  plan.batch_size = 32;
  plan.learning_rate = 0.05;
  plan.train_steps = 20;
  plan.full_steps = 40;
  plan.teacher_arch = kArch;
  plan.teacher_channels = 6;
  plan.teacher_cells_per_stage = 1;
  plan.teacher_steps = 30;
  plan.distill_fraction = 0.25;
  plan.distill_alpha = 0.5;
  plan.distill_temperature = 4.0;
  plan.supernet_steps = 20;
  plan.calibration_examples = 128;
  return plan;
}

const ReportedMetric* Find(const AccuracyReport& r, const std::string& name) {
  for (const auto& m : r.metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

class AccuracyMethodsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kDatasetDir)) GTEST_SKIP() << kDatasetDir << " not installed";
    options_.allow_cuda = false;
    options_.threads = 1;
    options_.artifacts = store_.Access();
  }
  MemoryArtifacts store_;
  MethodOptions options_;
};

TEST_F(AccuracyMethodsTest, TeacherThenFlashDistillationThenFinalist) {
  auto teacher = RunAccuracyPlan(TinyPlan(kOpTrainTeacher, "flash_distill"), options_, nullptr);
  ASSERT_TRUE(teacher.ok()) << teacher.status();
  ASSERT_NE(Find(*teacher, kMetricAccuracy), nullptr);
  EXPECT_EQ(Find(*teacher, kMetricAccuracy)->source, "worker:teacher:cpu");
  EXPECT_EQ(Find(*teacher, kMetricAccuracy)->steps, 30);
  ASSERT_EQ(store_.blobs.count("job-t/teacher"), 1u);

  auto distilled = RunAccuracyPlan(TinyPlan(kOpEvaluate, "flash_distill"), options_, nullptr);
  ASSERT_TRUE(distilled.ok()) << distilled.status();
  const ReportedMetric* acc = Find(*distilled, kMetricAccuracy);
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->source, "worker:flash_distill:cpu");
  EXPECT_EQ(acc->steps, 10);  // 0.25 of the full 40
  EXPECT_GT(acc->value, 0.0);
  EXPECT_LE(acc->value, 1.0);
  EXPECT_GT(acc->cost_seconds, 0.0);
  EXPECT_GE(acc->std_error, 0.0);
  // Deterministic for a fixed plan: the cached teacher gives the same run.
  auto again = RunAccuracyPlan(TinyPlan(kOpEvaluate, "flash_distill"), options_, nullptr);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Find(*again, kMetricAccuracy)->value, acc->value);

  // With activation transfer (teacher 6 wide, student 4: three adapters)
  // the run differs from the logits-only one and says how it was made.
  AccuracyPlan transfer = TinyPlan(kOpEvaluate, "flash_distill");
  transfer.feature_weight = 10.0;
  auto transferred = RunAccuracyPlan(transfer, options_, nullptr);
  ASSERT_TRUE(transferred.ok()) << transferred.status();
  const ReportedMetric* with_features = Find(*transferred, kMetricAccuracy);
  ASSERT_NE(with_features, nullptr);
  EXPECT_EQ(with_features->steps, 10);
  EXPECT_NE(with_features->value, acc->value);
  EXPECT_THAT(::testing::PrintToString(transferred->notes),
              ::testing::HasSubstr("activation transfer weight 10 over 3 stage boundaries (3 1x1"));
  // A multi-fidelity rung names its method in the operation, whatever the mode.
  auto rung = RunAccuracyPlan(TinyPlan(kOpFlashDistill, "multi_fidelity"), options_, nullptr);
  ASSERT_TRUE(rung.ok()) << rung.status();
  EXPECT_EQ(Find(*rung, kMetricAccuracy)->value, acc->value);

  // A finalist: the full schedule, weights kept, and the test split's
  // accuracy beside the validation accuracy.
  auto finalist = RunAccuracyPlan(TinyPlan(kOpFinalize, "flash_distill"), options_, nullptr);
  ASSERT_TRUE(finalist.ok()) << finalist.status();
  EXPECT_EQ(Find(*finalist, kMetricAccuracy)->source, "worker:full_train:cpu");
  EXPECT_EQ(Find(*finalist, kMetricAccuracy)->steps, 40);
  EXPECT_EQ(store_.blobs.count("job-t/final.0001"), 1u);
  const ReportedMetric* test = Find(*finalist, kMetricTestAccuracy);
  ASSERT_NE(test, nullptr);
  EXPECT_EQ(test->source, "worker:full_train:cpu");
  EXPECT_GT(test->value, 0.1);  // trained: better than chance on 10 classes
  EXPECT_LE(test->value, 1.0);
  EXPECT_THAT(test->method, ::testing::HasSubstr("test split, 10000 images"));
  // A multi-fidelity full_train rung is part of the search: no test split.
  auto full_rung = RunAccuracyPlan(TinyPlan(kOpFullTrain, "multi_fidelity"), options_, nullptr);
  ASSERT_TRUE(full_rung.ok()) << full_rung.status();
  EXPECT_EQ(Find(*full_rung, kMetricTestAccuracy), nullptr);
}

// full_train mode keeps every candidate's weights; test_eval later reads
// them back and reports the test split's accuracy only, the same value the
// trained network gives (so the stored weights are the trained ones).
TEST_F(AccuracyMethodsTest, FullTrainKeepsWeightsAndTestEvalMeasuresThem) {
  auto trained = RunAccuracyPlan(TinyPlan(kOpEvaluate, "full_train"), options_, nullptr);
  ASSERT_TRUE(trained.ok()) << trained.status();
  EXPECT_EQ(Find(*trained, kMetricTestAccuracy), nullptr);  // the search never sees it
  ASSERT_EQ(store_.blobs.count("job-t/final.0001"), 1u);

  auto tested = RunAccuracyPlan(TinyPlan(kOpTestEval, "full_train"), options_, nullptr);
  ASSERT_TRUE(tested.ok()) << tested.status();
  ASSERT_EQ(tested->metrics.size(), 1u);
  const ReportedMetric& test = tested->metrics[0];
  EXPECT_EQ(test.name, kMetricTestAccuracy);
  EXPECT_EQ(test.source, "worker:test_eval:cpu");
  EXPECT_GT(test.value, 0.1);
  EXPECT_LE(test.value, 1.0);
  EXPECT_GT(test.std_error, 0.0);
  EXPECT_THAT(test.method, ::testing::HasSubstr("test split, 10000 images"));
  EXPECT_THAT(test.method, ::testing::HasSubstr("final.0001"));

  // The same weights through a finalist's path give the same test accuracy:
  // training is deterministic per architecture and seed.
  auto finalist = TinyPlan(kOpFinalize, "full_train");
  finalist.full_steps = finalist.train_steps;
  auto direct = RunAccuracyPlan(finalist, options_, nullptr);
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_NEAR(Find(*direct, kMetricTestAccuracy)->value, test.value, 1e-9);

  // Weights that do not fit the network are refused, not a crash.
  store_.blobs["job-t/final.0001"] = "not a checkpoint";
  auto bad = RunAccuracyPlan(TinyPlan(kOpTestEval, "full_train"), options_, nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << bad.status();
}

// test_eval of a candidate whose weights were never stored (or were let go)
// is NOT_FOUND naming the artifact.
TEST_F(AccuracyMethodsTest, TestEvalWithoutStoredWeightsIsNotFound) {
  auto r = RunAccuracyPlan(TinyPlan(kOpTestEval, "full_train"), options_, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("final.0001"));
}

TEST_F(AccuracyMethodsTest, FlashDistillationWithoutATeacherIsNotFound) {
  auto r = RunAccuracyPlan(TinyPlan(kOpEvaluate, "flash_distill"), options_, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  options_.artifacts = ArtifactAccess();
  r = RunAccuracyPlan(TinyPlan(kOpTrainTeacher, "flash_distill"), options_, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition) << r.status();
}

TEST_F(AccuracyMethodsTest, SupernetThenSubnetEvaluation) {
  auto trained = RunAccuracyPlan(TinyPlan(kOpTrainSupernet, "supernet"), options_, nullptr);
  ASSERT_TRUE(trained.ok()) << trained.status();
  ASSERT_NE(Find(*trained, kMetricTrainSeconds), nullptr);
  EXPECT_EQ(Find(*trained, kMetricTrainSeconds)->steps, 20);
  EXPECT_EQ(Find(*trained, kMetricAccuracy), nullptr);  // the supernet has no accuracy of its own
  ASSERT_EQ(store_.blobs.count("job-t/supernet"), 1u);

  auto subnet = RunAccuracyPlan(TinyPlan(kOpEvaluate, "supernet"), options_, nullptr);
  ASSERT_TRUE(subnet.ok()) << subnet.status();
  const ReportedMetric* acc = Find(*subnet, kMetricAccuracy);
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->source, "worker:supernet:cpu");
  EXPECT_EQ(acc->steps, 0);
  EXPECT_GE(acc->value, 0.0);
  EXPECT_LE(acc->value, 1.0);

  // A corrupted supernet checkpoint is refused, not a crash.
  store_.blobs["job-t/supernet"] = "not a checkpoint";
  auto bad = RunAccuracyPlan(TinyPlan(kOpEvaluate, "supernet"), options_, nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << bad.status();
}

TEST_F(AccuracyMethodsTest, RefusesUnknownOperationsAndModes) {
  auto r = RunAccuracyPlan(TinyPlan("dance", "flash_distill"), options_, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("task.operation"));
  r = RunAccuracyPlan(TinyPlan(kOpEvaluate, "oracle"), options_, nullptr);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("evaluation.mode"));
}

}  // namespace
}  // namespace edgenas
