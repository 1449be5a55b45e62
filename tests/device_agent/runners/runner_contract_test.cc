// The LatencyRunner contract (device_agent/runners/latency_runner.h), run
// against every runner in the registry, each built by name from its flags
// exactly as the agent builds it: a small real network at the task's input
// shape is answered with labelled metrics, a stop ends a run with CANCELLED
// and nothing reported, and a candidate that cannot be run is a clear error.
// Runners that need outside things get them here: the replay runner a CSV
// table, the external runner a shell script printing a trtexec-like line.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/datasets.h"
#include "common/datasets/fashion_mnist_info.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/model/network_util.h"
#include "common/network_cost.h"
#include "common/space_registry.h"
#include "device_agent/runners/latency_runner.h"
#include "device_agent/runners/runner_registry.h"
#include "edgenas/v1/job.pb.h"
#include "gtest/gtest.h"

ABSL_DECLARE_FLAG(std::string, powercap_root);
ABSL_DECLARE_FLAG(std::string, energy_meter);
ABSL_DECLARE_FLAG(std::string, replay_table);
ABSL_DECLARE_FLAG(std::string, replay_latency_column);
ABSL_DECLARE_FLAG(std::string, external_command);
ABSL_DECLARE_FLAG(std::string, external_latency_pattern);
ABSL_DECLARE_FLAG(std::string, external_name);
ABSL_DECLARE_FLAG(int, external_timeout_s);

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr char kArch[] =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|";
// Parses nowhere: the operation does not exist.
constexpr char kBadArch[] = "|nor_conv_9x9~0|+|none~0|none~1|+|none~0|none~1|none~2|";
constexpr char kDeviceClass[] = "test-board";
constexpr double kReplayedMs = 1.25;
// Tasks give their input through the job's dataset block; the registry
// holds only Fashion-MNIST so far (1x28x28, 10 classes), so the cases time
// that shape with batch 2 and a tiny network, and a shape the dataset cannot
// give must be refused by every runner that builds a network: a runner that
// ignored the task's shape would answer it.
constexpr int kBatch = 2;
InputShape DatasetShape() {
  const DatasetInfo* info = FindDataset(kFashionMnistName);
  return info != nullptr ? info->shape : InputShape();
}

// How a runner is set up for one case.
enum class Mode {
  kAnswers,  // answers the small network
  kHangs,    // would run (nearly) forever unless stopped
  kFails,    // its measuring step fails (where the runner has one)
};

// A tiny network at the dataset's shape, batch 2; few runs and a short warm-up.
v1::Task SmallTask(const std::string& arch) {
  v1::Task task;
  task.set_task_id("contract-1");
  task.set_kind(v1::TASK_LATENCY);
  task.set_space("nb201");
  task.set_arch(arch);
  v1::JobSpec* spec = task.mutable_spec();
  spec->mutable_space()->set_name("nb201");
  spec->mutable_space()->set_channels(4);
  spec->mutable_space()->set_cells_per_stage(1);
  const InputShape shape = DatasetShape();
  v1::DatasetSpec* dataset = spec->mutable_dataset();
  dataset->set_name(kFashionMnistName);
  dataset->set_channels(shape.channels);
  dataset->set_height(shape.height);
  dataset->set_width(shape.width);
  dataset->set_num_classes(shape.classes);
  v1::LatencySpec* ls = spec->mutable_latency();
  ls->set_batch_size(kBatch);
  ls->set_warmup_ms(1);
  ls->set_min_runs(3);
  ls->set_max_runs(6);
  ls->set_threads(1);
  return task;
}

// An mbv3 candidate whose architecture chooses resolution 32 (the dataset's
// images are 28x28): a small skeleton, one SE/h-swish stage and one
// ReLU stage.
constexpr char kMbv3Arch[] = "r32-w100|d1-se-hs:k3e4|d2-nose-relu:k5e3,k3e6";
constexpr int kMbv3Resolution = 32;
v1::Task Mbv3Task() {
  v1::Task task = SmallTask(kMbv3Arch);
  task.set_space("mbv3");
  v1::SearchSpaceSpec* space = task.mutable_spec()->mutable_space();
  space->Clear();
  space->set_name("mbv3");
  auto& options = *space->mutable_options();
  options["stages"] = "2";
  options["channels"] = "16,24";
  options["strides"] = "1,2";
  options["depths"] = "1,2";
  options["head_channels"] = "64";
  options["feature_channels"] = "64";
  return task;
}

// The same network with an hour of warm-up: only a stop ends it early.
v1::Task EndlessTask() {
  v1::Task task = SmallTask(kArch);
  task.mutable_spec()->mutable_latency()->set_warmup_ms(3600 * 1000);
  task.mutable_spec()->mutable_latency()->set_max_measure_ms(3600 * 1000);
  return task;
}

class RunnerContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/runner_contract_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string WriteFile(const std::string& name, const std::string& text, bool executable) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    if (executable) chmod(path.c_str(), 0755);
    return path;
  }

  // Sets the flags of runner `name` for `mode`. False when the runner has no
  // such mode (its case is skipped, saying why); fails the test for a
  // registered runner this test does not know: every runner must keep the
  // contract.
  bool Configure(const std::string& name, Mode mode) {
    if (name == "libtorch") {
      absl::SetFlag(&FLAGS_powercap_root, dir_ + "/no-powercap");
      absl::SetFlag(&FLAGS_energy_meter, "none");
      return mode != Mode::kFails;  // the bad architecture is its failing case
    }
    if (name == "onnx") return mode != Mode::kFails;
    if (name == "replay") {
      absl::SetFlag(&FLAGS_replay_table,
                    WriteFile("table.csv", absl::StrCat("arch,lat_ms\n", kArch, ",", kReplayedMs,
                                                        "\n"),
                              /*executable=*/false));
      absl::SetFlag(&FLAGS_replay_latency_column, "lat_ms");
      return mode == Mode::kAnswers;  // a lookup has nothing to interrupt or to fail
    }
    if (name == "external") {
      // Prints the shape it was given and a trtexec-like latency line;
      // "hang" sleeps (exec: the kill reaches the sleep), "fail" exits 3.
      const std::string script = WriteFile("fake_tool.sh", R"(#!/bin/sh
echo "shape $2"
case "$1" in
  hang) exec sleep 3600 ;;
  fail) echo "engine build failed" >&2; exit 3 ;;
esac
echo "[I] Latency: min = 0.5 ms, max = 0.9 ms, mean = 0.61 ms, median = 0.6 ms"
)",
                                           /*executable=*/true);
      const char* how = mode == Mode::kHangs ? "hang" : mode == Mode::kFails ? "fail" : "answer";
      absl::SetFlag(&FLAGS_external_command,
                    absl::StrCat(script, " ", how, " {input_shape} {model}"));
      absl::SetFlag(&FLAGS_external_latency_pattern, "median = ([0-9.]+) ms");
      absl::SetFlag(&FLAGS_external_name, "faketool");
      absl::SetFlag(&FLAGS_external_timeout_s, 3600);
      return true;
    }
    ADD_FAILURE() << "runner \"" << name << "\" is registered but has no contract setup here";
    return false;
  }

  absl::StatusOr<std::unique_ptr<LatencyRunner>> Build(const std::string& name) {
    RunnerContext context;
    context.device_class = kDeviceClass;
    context.default_threads = 1;
    context.describe_device = [](const std::string& runner, const std::string& version,
                                 const std::string& energy_meter) {
      v1::DeviceDescriptor d;
      d.set_device_class(kDeviceClass);
      d.set_cpu_model("contract cpu");
      d.set_runner(runner);
      d.set_runner_version(version);
      return d;
    };
    return CreateRunner(name, context);
  }

  absl::FlagSaver flags_;  // every case leaves the flags as it found them
  std::string dir_;
};

const v1::Metric* Find(const TaskOutcome& outcome, const std::string& name) {
  for (const v1::Metric& m : outcome.metrics) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

// Registered runners build, say who they are and register a latency
// capability naming their runner.
TEST_P(RunnerContractTest, BuildsFromItsFlagsAndDescribesItself) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  const RunnerInfo& info = (*runner)->info();
  EXPECT_EQ(info.name, GetParam());
  ASSERT_FALSE(info.capabilities.empty());
  EXPECT_TRUE(absl::StartsWith(info.capabilities[0], "latency:")) << info.capabilities[0];
  EXPECT_EQ(info.device.device_class(), kDeviceClass);
  EXPECT_EQ(info.capabilities[0], absl::StrCat("latency:", info.device.runner()));
}

// A small real network: latency_ms with a source, a method line and the
// device; the network is the one built for the task's shape and batch.
TEST_P(RunnerContractTest, AnswersASmallNetworkAtTheTasksInputShape) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  const v1::Task task = SmallTask(kArch);
  absl::StatusOr<TaskOutcome> outcome = (*runner)->Run(task, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();

  const v1::Metric* latency = Find(*outcome, kMetricLatencyMs);
  ASSERT_NE(latency, nullptr);
  EXPECT_GT(latency->value(), 0);
  EXPECT_FALSE(latency->source().empty());
  if (GetParam() == "replay") {
    // Replayed figures carry no method of their own; a note names the table.
    bool table_named = false;
    for (const std::string& note : outcome->notes) {
      table_named |= absl::StrContains(note, absl::GetFlag(FLAGS_replay_table));
    }
    EXPECT_TRUE(table_named);
  } else {
    EXPECT_FALSE(latency->method().empty());
  }
  EXPECT_EQ(latency->device_class(), kDeviceClass);
  EXPECT_EQ(latency->device().device_class(), kDeviceClass);
  EXPECT_EQ(latency->device().runner(), (*runner)->info().device.runner());
  for (const v1::Metric& m : outcome->metrics) {
    EXPECT_FALSE(m.source().empty()) << m.name();
    EXPECT_TRUE(std::isfinite(m.value())) << m.name();
  }
  // The parameter count says which network ran: the one built for the
  // task's space, channels and classes.
  if (const v1::Metric* params = Find(*outcome, kMetricParams); params != nullptr) {
    const InputShape shape = DatasetShape();
    absl::StatusOr<SpaceConfig> space = SpaceConfigFromSpec(task.spec().space(), task.space());
    ASSERT_TRUE(space.ok()) << space.status();
    absl::StatusOr<torch::nn::AnyModule> expected =
        BuildModel(*space, kArch, shape);
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_EQ(params->value(), static_cast<double>(CountParameters(*expected->ptr())));
    // Beside params, flops: the analytic MAC count of the same network.
    const v1::Metric* flops = Find(*outcome, kMetricFlops);
    ASSERT_NE(flops, nullptr);
    EXPECT_EQ(flops->source(), kAnalyticSource);
    absl::StatusOr<NetworkCost> cost = NetworkCostOf(*space, kArch, shape);
    ASSERT_TRUE(cost.ok()) << cost.status();
    EXPECT_EQ(flops->value(), static_cast<double>(cost->macs));
    EXPECT_EQ(params->value(), static_cast<double>(cost->params));
  }
  if (GetParam() == "replay") {
    EXPECT_DOUBLE_EQ(latency->value(), kReplayedMs);
  }
  if (GetParam() == "external") {
    // The {input_shape} placeholder printed the real shape and batch.
    const InputShape shape = DatasetShape();
    const std::string printed =
        absl::StrCat(kBatch, "x", shape.channels, "x", shape.height, "x", shape.width);
    bool shape_seen = false;
    for (const std::string& note : outcome->notes) shape_seen |= absl::StrContains(note, printed);
    EXPECT_TRUE(shape_seen) << printed;
  }
}

// A candidate of a space whose architectures choose their resolution is
// timed at that resolution, not the dataset's: the network that runs is
// the one built for the task, fed [batch, channels, 32, 32].
TEST_P(RunnerContractTest, TimesAnMbv3CandidateAtItsOwnResolution) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  if (GetParam() == "replay") GTEST_SKIP() << "replay builds no network: it looks the arch up";
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  const v1::Task task = Mbv3Task();
  absl::StatusOr<TaskOutcome> outcome = (*runner)->Run(task, nullptr);
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  const v1::Metric* latency = Find(*outcome, kMetricLatencyMs);
  ASSERT_NE(latency, nullptr);
  EXPECT_GT(latency->value(), 0);
  if (const v1::Metric* params = Find(*outcome, kMetricParams); params != nullptr) {
    absl::StatusOr<SpaceConfig> space = SpaceConfigFromSpec(task.spec().space(), task.space());
    ASSERT_TRUE(space.ok()) << space.status();
    absl::StatusOr<torch::nn::AnyModule> expected = BuildModel(*space, kMbv3Arch, DatasetShape());
    ASSERT_TRUE(expected.ok()) << expected.status();
    EXPECT_EQ(params->value(), static_cast<double>(CountParameters(*expected->ptr())));
  }
  // Each runner says the input it fed (the external one through its
  // {input_shape} placeholder, the others in their latency note).
  const InputShape shape = DatasetShape();
  const std::string fed = absl::StrCat(shape.channels, "x", kMbv3Resolution, "x", kMbv3Resolution);
  const std::string dataset = absl::StrCat(shape.channels, "x", shape.height, "x", shape.width);
  bool fed_seen = false;
  for (const std::string& note : outcome->notes) {
    fed_seen |= absl::StrContains(note, fed);
    EXPECT_FALSE(absl::StrContains(note, dataset)) << note;
  }
  EXPECT_TRUE(fed_seen) << fed;
}

// The shape comes from the task: one its dataset cannot give is refused as
// INVALID_ARGUMENT naming the field, by every runner that builds a network.
TEST_P(RunnerContractTest, RefusesAShapeItsDatasetCannotGive) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  if (GetParam() == "replay") GTEST_SKIP() << "replay builds no network: it looks the arch up";
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  v1::Task task = SmallTask(kArch);
  task.mutable_spec()->mutable_dataset()->set_channels(DatasetShape().channels + 2);
  absl::StatusOr<TaskOutcome> outcome = (*runner)->Run(task, nullptr);
  EXPECT_TRUE(absl::IsInvalidArgument(outcome.status())) << outcome.status();
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "dataset.channels"))
      << outcome.status();
}

// A stop requested before the run starts: CANCELLED, nothing reported.
TEST_P(RunnerContractTest, StopRequestedBeforeTheRunIsCancelled) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  std::atomic<bool> stop{true};
  absl::StatusOr<TaskOutcome> outcome = (*runner)->Run(SmallTask(kArch), &stop);
  EXPECT_TRUE(absl::IsCancelled(outcome.status())) << outcome.status();
}

// A stop requested while the runner measures a run that would otherwise last
// an hour ends it with CANCELLED (the executor's lease-lost path).
TEST_P(RunnerContractTest, StopDuringTheMeasurementEndsItCancelled) {
  if (!Configure(GetParam(), Mode::kHangs)) {
    GTEST_SKIP() << GetParam() << " answers from memory: there is no measurement to interrupt";
  }
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  std::atomic<bool> stop{false};
  absl::StatusOr<TaskOutcome> outcome = absl::UnknownError("not run");
  std::thread measuring([&] { outcome = (*runner)->Run(EndlessTask(), &stop); });
  stop = true;  // whenever it lands, the run has an hour to go
  measuring.join();
  EXPECT_TRUE(absl::IsCancelled(outcome.status())) << outcome.status();
}

// An architecture that does not parse: INVALID_ARGUMENT (never retried)
// whose message names the architecture.
TEST_P(RunnerContractTest, BadArchitectureIsAClearError) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  absl::StatusOr<TaskOutcome> outcome = (*runner)->Run(SmallTask(kBadArch), nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(outcome.status())) << outcome.status();
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "arch") ||
              absl::StrContains(outcome.status().message(), "nor_conv_9x9"))
      << outcome.status();
}

// A measuring step that fails (where the runner has one, e.g. a tool that
// exits non-zero): an error, not CANCELLED, quoting what went wrong.
TEST_P(RunnerContractTest, FailingMeasurementIsAClearError) {
  if (!Configure(GetParam(), Mode::kFails)) {
    GTEST_SKIP() << GetParam() << " has no measuring step of its own to fail";
  }
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  absl::StatusOr<TaskOutcome> outcome = (*runner)->Run(SmallTask(kArch), nullptr);
  ASSERT_FALSE(outcome.ok());
  EXPECT_FALSE(absl::IsCancelled(outcome.status()));
  EXPECT_TRUE(absl::StrContains(outcome.status().message(), "engine build failed"))
      << outcome.status();
}

// A task of another kind is refused as not retryable.
TEST_P(RunnerContractTest, RefusesTasksOtherThanLatency) {
  if (!Configure(GetParam(), Mode::kAnswers)) return;
  absl::StatusOr<std::unique_ptr<LatencyRunner>> runner = Build(GetParam());
  ASSERT_TRUE(runner.ok()) << runner.status();
  v1::Task task = SmallTask(kArch);
  task.set_kind(v1::TASK_ACCURACY);
  EXPECT_TRUE(absl::IsInvalidArgument((*runner)->Run(task, nullptr).status()));
}

INSTANTIATE_TEST_SUITE_P(EveryRegisteredRunner, RunnerContractTest,
                         ::testing::ValuesIn(RunnerNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// The registry refuses an unknown name, listing the known ones, and a flag
// of another runner (a forgotten --runner must not go unnoticed).
TEST(RunnerRegistry, UnknownNameAndForeignFlagsAreRefused) {
  absl::FlagSaver saver;
  absl::StatusOr<std::unique_ptr<LatencyRunner>> unknown = CreateRunner("tflite", RunnerContext());
  EXPECT_TRUE(absl::IsInvalidArgument(unknown.status()));
  EXPECT_EQ(unknown.status().message(),
            "--runner: unknown runner \"tflite\"; known: libtorch, onnx, external, replay");
  absl::SetFlag(&FLAGS_external_name, "trtexec");
  absl::StatusOr<std::unique_ptr<LatencyRunner>> onnx = CreateRunner("onnx", RunnerContext());
  EXPECT_EQ(onnx.status().message(),
            "--external_name: only used with --runner=external (got --runner=onnx)");
  absl::SetFlag(&FLAGS_external_name, "");
  absl::SetFlag(&FLAGS_replay_table, "t.csv");
  absl::StatusOr<std::unique_ptr<LatencyRunner>> torch = CreateRunner("libtorch", RunnerContext());
  EXPECT_EQ(torch.status().message(), "--replay_table: only used with --runner=replay");
}

}  // namespace
}  // namespace edgenas
