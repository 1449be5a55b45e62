// OnnxRunner end to end on a tiny NB201 network with small
// measurement settings: real OpenCV DNN timing, labelled as such.
#include "device_agent/runners/onnx_runner.h"

#include <atomic>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "common/metric_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kArch[] =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|";

v1::Task TinyTask(const std::string& arch) {
  v1::Task task;
  task.set_task_id("t1");
  task.set_kind(v1::TASK_LATENCY);
  task.set_space("nb201");
  task.set_arch(arch);
  v1::JobSpec* spec = task.mutable_spec();
  spec->mutable_space()->set_name("nb201");
  spec->mutable_space()->set_channels(4);
  spec->mutable_space()->set_cells_per_stage(1);
  v1::LatencySpec* ls = spec->mutable_latency();
  ls->set_warmup_ms(1);
  ls->set_min_runs(6);
  ls->set_max_runs(12);
  ls->set_blocks(2);
  ls->set_max_measure_ms(2000);
  ls->set_threads(1);
  ls->set_batch_size(2);
  return task;
}

// Latency figures with interval, method and device, labelled onnx-opencv.
TEST(OnnxRunner, MeasuresThroughOpenCvAndLabelsTheRunner) {
  OnnxRunnerOptions options;
  options.device_class = "test-board";
  options.device.set_cpu_model("test cpu");
  absl::StatusOr<TaskOutcome> outcome = OnnxRunner(options).Run(TinyTask(kArch), nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, v1::Metric> m;
  for (const v1::Metric& metric : outcome->metrics) m[metric.name()] = metric;
  for (const char* name :
       {kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv, kMetricLatencyRuns}) {
    ASSERT_TRUE(m.count(name)) << name;
    EXPECT_EQ(m[name].source(), "agent:onnx-opencv") << name;
    EXPECT_EQ(m[name].device_class(), "test-board") << name;
  }
  const v1::Metric& latency = m[kMetricLatencyMs];
  EXPECT_GT(latency.value(), 0.0);
  EXPECT_GE(m[kMetricLatencyRuns].value(), 6);
  EXPECT_LE(m[kMetricLatencyRuns].value(), 24);  // at most max_runs, twice if re-measured
  EXPECT_EQ(latency.device().runner(), "onnx-opencv");
  EXPECT_THAT(latency.device().runner_version(), StartsWith("opencv 4."));
  EXPECT_EQ(latency.device().cpu_model(), "test cpu");
  EXPECT_EQ(latency.device().threads(), 1);
  EXPECT_FALSE(latency.method().empty());
  if (latency.ci_high() > 0) {
    EXPECT_LE(latency.ci_low(), latency.value());
    EXPECT_GE(latency.ci_high(), latency.value());
  }
  ASSERT_TRUE(m.count(kMetricParams));
  EXPECT_GT(m[kMetricParams].value(), 0);
  bool energy_note = false;
  for (const std::string& note : outcome->notes) {
    if (absl::StrContains(note, "energy_mj unavailable")) energy_note = true;
  }
  EXPECT_TRUE(energy_note);
}

// A bad architecture is INVALID_ARGUMENT (not retried); a cancelled task CANCELLED.
TEST(OnnxRunner, RefusesBadArchitecturesAndStopsWhenCancelled) {
  OnnxRunnerOptions options;
  absl::StatusOr<TaskOutcome> bad = OnnxRunner(options).Run(TinyTask("|bogus~0|"), nullptr);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("task.arch"));
  std::atomic<bool> cancel{true};
  absl::StatusOr<TaskOutcome> cancelled = OnnxRunner(options).Run(TinyTask(kArch), &cancel);
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace edgenas
