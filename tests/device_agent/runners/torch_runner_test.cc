// TorchRunner end to end on a tiny NB201 network with small settings,
// fake powercap trees and a stand-in meter (so the energy outcome is known).
#include "device_agent/runners/torch_runner.h"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "common/metric_names.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

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
  ls->set_min_runs(3);
  ls->set_max_runs(5);
  ls->set_threads(1);
  return task;
}

std::map<std::string, v1::Metric> ByName(const TaskOutcome& outcome) {
  std::map<std::string, v1::Metric> out;
  for (const v1::Metric& m : outcome.metrics) out[m.name()] = m;
  return out;
}

bool HasNoteContaining(const TaskOutcome& outcome, const std::string& text) {
  for (const std::string& n : outcome.notes) {
    if (absl::StrContains(n, text)) return true;
  }
  return false;
}

class TorchRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/powercap_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    options_.device_class = "test-board";
    options_.powercap_root = root_;  // empty: no meter
    options_.energy_window_ms = 1;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string root_;
  TorchRunnerOptions options_;
};

// Without a meter: latency metrics and params, no energy, and a note why.
TEST_F(TorchRunnerTest, MeasuresLatencyAndExplainsMissingEnergy) {
  absl::StatusOr<TaskOutcome> outcome = TorchRunner(options_).Run(TinyTask(kArch), nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, v1::Metric> m = ByName(*outcome);
  ASSERT_TRUE(m.count(kMetricLatencyMs));
  EXPECT_GT(m[kMetricLatencyMs].value(), 0);
  EXPECT_EQ(m[kMetricLatencyMs].source(), "agent:libtorch-cpu");
  EXPECT_EQ(m[kMetricLatencyMs].device_class(), "test-board");
  EXPECT_GE(m[kMetricLatencyP90Ms].value(), m[kMetricLatencyMs].value());
  EXPECT_GE(m[kMetricLatencyCv].value(), 0);
  EXPECT_GE(m[kMetricLatencyRuns].value(), 3);
  EXPECT_LE(m[kMetricLatencyRuns].value(), 5);
  EXPECT_GT(m[kMetricParams].value(), 0);
  // flops beside params: the analytic count of the task's network.
  ASSERT_TRUE(m.count(kMetricFlops));
  EXPECT_EQ(m[kMetricFlops].source(), "analytic");
  EXPECT_GT(m[kMetricFlops].value(), m[kMetricParams].value());
  EXPECT_EQ(m.count(kMetricEnergyMj), 0u);
  EXPECT_TRUE(HasNoteContaining(*outcome, "energy_mj unavailable: no powercap RAPL zones under " +
                                              root_));
}

// A RAPL counter that never moves shows no power above idle: energy_mj is
// unavailable with the reason, never reported as 0.
TEST_F(TorchRunnerTest, StillCounterGivesNoEnergy) {
  fs::create_directories(root_ + "/intel-rapl:0");
  std::ofstream(root_ + "/intel-rapl:0/energy_uj") << "12345\n";
  std::ofstream(root_ + "/intel-rapl:0/max_energy_range_uj") << "262143328850\n";
  absl::StatusOr<TaskOutcome> outcome = TorchRunner(options_).Run(TinyTask(kArch), nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_EQ(ByName(*outcome).count(kMetricEnergyMj), 0u);
  EXPECT_TRUE(HasNoteContaining(*outcome, "energy_mj unavailable: rapl(1 package): power while "
                                          "running (0.0 mW) not above the idle baseline"));
}

// A stand-in meter whose "energy" is this process's CPU time (1 W per busy
// core): nothing while the baseline sleeps, something while the model runs,
// so energy_mj is reported, positive, with the meter and method named.
class CpuTimeMeter : public EnergyMeter {
 public:
  std::string Name() const override { return "cputime-fake"; }
  absl::StatusOr<uint64_t> Read() override {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_nsec) / 1000;
  }
};

TEST_F(TorchRunnerTest, ReportsEnergyAboveIdleFromTheConfiguredMeter) {
  options_.energy_window_ms = 50;
  options_.open_energy_meter = []() -> absl::StatusOr<std::unique_ptr<EnergyMeter>> {
    return std::make_unique<CpuTimeMeter>();
  };
  absl::StatusOr<TaskOutcome> outcome = TorchRunner(options_).Run(TinyTask(kArch), nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, v1::Metric> m = ByName(*outcome);
  ASSERT_TRUE(m.count(kMetricEnergyMj));
  const v1::Metric& e = m[kMetricEnergyMj];
  EXPECT_GT(e.value(), 0);
  EXPECT_TRUE(absl::StartsWith(e.method(), "cputime-fake: (active - idle baseline) over "))
      << e.method();
  EXPECT_LE(e.ci_low(), e.value());
  EXPECT_GE(e.ci_high(), e.value());
  EXPECT_EQ(e.device_class(), "test-board");
  EXPECT_TRUE(HasNoteContaining(*outcome, "energy_mj: cputime-fake: (active - idle baseline)"));
}

// Space options build the same network as the deprecated fields; a spec
// without options or fields gets the defaults (a wider network).
TEST_F(TorchRunnerTest, BuildsFromSpaceOptions) {
  v1::Task with_options = TinyTask(kArch);
  v1::SearchSpaceSpec* space = with_options.mutable_spec()->mutable_space();
  space->clear_channels();
  space->clear_cells_per_stage();
  (*space->mutable_options())["channels"] = "4";
  (*space->mutable_options())["cells_per_stage"] = "1";
  absl::StatusOr<TaskOutcome> by_options = TorchRunner(options_).Run(with_options, nullptr);
  ASSERT_TRUE(by_options.ok()) << by_options.status();
  absl::StatusOr<TaskOutcome> by_fields = TorchRunner(options_).Run(TinyTask(kArch), nullptr);
  ASSERT_TRUE(by_fields.ok()) << by_fields.status();
  EXPECT_EQ(ByName(*by_options)[kMetricParams].value(), ByName(*by_fields)[kMetricParams].value());

  v1::Task defaults = TinyTask(kArch);
  defaults.mutable_spec()->mutable_space()->clear_channels();
  defaults.mutable_spec()->mutable_space()->clear_cells_per_stage();
  absl::StatusOr<TaskOutcome> by_defaults = TorchRunner(options_).Run(defaults, nullptr);
  ASSERT_TRUE(by_defaults.ok()) << by_defaults.status();
  EXPECT_GT(ByName(*by_defaults)[kMetricParams].value(),
            ByName(*by_fields)[kMetricParams].value());
}

// A bad space option is INVALID_ARGUMENT naming the option.
TEST_F(TorchRunnerTest, BadSpaceOptionIsInvalidArgument) {
  v1::Task task = TinyTask(kArch);
  task.mutable_spec()->mutable_space()->clear_channels();
  (*task.mutable_spec()->mutable_space()->mutable_options())["channels"] = "0";
  absl::StatusOr<TaskOutcome> outcome = TorchRunner(options_).Run(task, nullptr);
  ASSERT_TRUE(absl::IsInvalidArgument(outcome.status())) << outcome.status();
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "space.options.channels"));
}

// A malformed architecture cannot be run: INVALID_ARGUMENT naming task.arch.
TEST_F(TorchRunnerTest, MalformedArchIsInvalidArgument) {
  absl::StatusOr<TaskOutcome> outcome =
      TorchRunner(options_).Run(TinyTask("|nor_conv_9x9~0|"), nullptr);
  ASSERT_TRUE(absl::IsInvalidArgument(outcome.status())) << outcome.status();
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "task.arch"));
}

// An unknown space is INVALID_ARGUMENT too.
TEST_F(TorchRunnerTest, UnknownSpaceIsInvalidArgument) {
  v1::Task task = TinyTask(kArch);
  task.set_space("mbv9");
  EXPECT_TRUE(absl::IsInvalidArgument(TorchRunner(options_).Run(task, nullptr).status()));
}

// Every latency metric says how it was measured (method, unstable flag) and
// carries the agent's device descriptor, with the job's thread count; the
// median comes with its confidence interval around it.
TEST_F(TorchRunnerTest, MetricsCarryMethodIntervalAndDevice) {
  options_.device.set_device_class("test-board");
  options_.device.set_runner("libtorch-cpu");
  options_.device.set_affinity("0");
  options_.device.set_threads(4);
  v1::Task task = TinyTask(kArch);
  task.mutable_spec()->mutable_latency()->set_max_runs(200);
  task.mutable_spec()->mutable_latency()->set_target_ci_rel(0.5);  // easy to reach
  absl::StatusOr<TaskOutcome> outcome = TorchRunner(options_).Run(task, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, v1::Metric> m = ByName(*outcome);
  const v1::Metric& median = m[kMetricLatencyMs];
  EXPECT_TRUE(median.ci_low() > 0 && median.ci_low() <= median.value()) << median.DebugString();
  EXPECT_GE(median.ci_high(), median.value());
  EXPECT_TRUE(absl::StrContains(median.method(), "order-statistic 95% CI")) << median.method();
  for (const char* name : {kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv,
                           kMetricLatencyRuns, kMetricParams}) {
    EXPECT_EQ(m[name].device().runner(), "libtorch-cpu") << name;
    EXPECT_EQ(m[name].device().threads(), 1) << name;  // the job's latency.threads
    EXPECT_FALSE(m[name].method().empty()) << name;
  }
  EXPECT_EQ(m[kMetricLatencyMs].unstable(), m[kMetricLatencyCv].unstable());
}

// A raised cancel flag ends the task with CANCELLED.
// With a speed reference, every latency metric's method says it was
// normalised and keeps the raw median beside the value reported.
TEST_F(TorchRunnerTest, SpeedReferenceNormalisesAndKeepsTheRawMedian) {
  options_.speed_reference = true;  // no record file: calibrated in the test
  absl::StatusOr<TaskOutcome> outcome = TorchRunner(options_).Run(TinyTask(kArch), nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, v1::Metric> m = ByName(*outcome);
  for (const char* name : {kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv}) {
    EXPECT_TRUE(absl::StrContains(m[name].method(),
                                  "normalised block by block to the reference speed: raw median"))
        << name << ": " << m[name].method();
  }
  const std::string& method = m[kMetricLatencyMs].method();
  double raw = 0, normalised = 0;
  const size_t at = method.find("raw median ");
  ASSERT_NE(at, std::string::npos);
  ASSERT_EQ(std::sscanf(method.c_str() + at, "raw median %lf ms -> %lf ms", &raw, &normalised), 2)
      << method;
  EXPECT_GT(raw, 0);
  // The method prints 4 significant digits of the reported value.
  EXPECT_NEAR(m[kMetricLatencyMs].value(), normalised, 1e-3 * normalised);
  EXPECT_LE(m[kMetricLatencyMs].ci_low(), m[kMetricLatencyMs].value());
  EXPECT_GE(m[kMetricLatencyMs].ci_high(), m[kMetricLatencyMs].value());
  EXPECT_TRUE(HasNoteContaining(*outcome, "latency_ms normalised"));
}

TEST_F(TorchRunnerTest, CancelledBeforeMeasuring) {
  std::atomic<bool> cancel{true};
  EXPECT_TRUE(absl::IsCancelled(TorchRunner(options_).Run(TinyTask(kArch), &cancel).status()));
}

}  // namespace
}  // namespace edgenas
