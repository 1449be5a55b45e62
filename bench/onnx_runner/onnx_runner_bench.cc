// onnx_runner_bench: the same NB201 cells measured by the device agent's
// LibTorch runner and by its ONNX runner (the exported model through OpenCV
// DNN), both through the agent's own task functions and so through the
// shared measurement (latency.h): median, its 95% interval and runs for
// each, and the OpenCV/LibTorch ratio of medians. Prints figures; never
// passes or fails on time.
//
//   onnx_runner_bench [--archs 5] [--seed 1] [--channels 16]
//       [--cells_per_stage 1] [--threads 1] [--batch 1]
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "common/latency_ops.h"
#include "common/metric_names.h"
#include "common/random.h"
#include "common/search_space.h"
#include "device_agent/runners/torch_runner.h"
#include "device_agent/runners/onnx_runner.h"
#include "device_agent/runners/onnx_net.h"
#include "device_agent/torch_version.h"

ABSL_FLAG(int, archs, 5, "random NB201 cells to measure (after the fixed ones)");
ABSL_FLAG(uint64_t, seed, 1, "seed of the random cells");
ABSL_FLAG(int, channels, 16, "space.channels");
ABSL_FLAG(int, cells_per_stage, 1, "space.cells_per_stage");
ABSL_FLAG(int, threads, 1, "latency.threads for both runners");
ABSL_FLAG(int, batch, 1, "latency.batch_size for both runners");

namespace edgenas {
namespace {

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "model name")) return line.substr(line.find(':') + 2);
  }
  return "unknown";
}

v1::Task MakeTask(const std::string& arch) {
  v1::Task task;
  task.set_task_id("bench");
  task.set_kind(v1::TASK_LATENCY);
  task.set_space("nb201");
  task.set_arch(arch);
  v1::JobSpec* spec = task.mutable_spec();
  spec->mutable_space()->set_name("nb201");
  spec->mutable_space()->set_channels(absl::GetFlag(FLAGS_channels));
  spec->mutable_space()->set_cells_per_stage(absl::GetFlag(FLAGS_cells_per_stage));
  spec->mutable_latency()->set_threads(absl::GetFlag(FLAGS_threads));
  spec->mutable_latency()->set_batch_size(absl::GetFlag(FLAGS_batch));
  return task;  // other latency settings: the job defaults
}

struct Figure {
  double median = 0, low = 0, high = 0;
  int runs = 0;
  bool unstable = false;
};

absl::StatusOr<Figure> Read(const absl::StatusOr<TaskOutcome>& outcome) {
  if (!outcome.ok()) return outcome.status();
  Figure f;
  for (const v1::Metric& m : outcome->metrics) {
    if (m.name() == kMetricLatencyMs) {
      f.median = m.value();
      f.low = m.ci_low();
      f.high = m.ci_high();
      f.unstable = m.unstable();
    }
    if (m.name() == kMetricLatencyRuns) f.runs = static_cast<int>(m.value());
  }
  return f;
}

int Main() {
  std::vector<std::string> archs = {
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
      "nor_conv_3x3~2|",
      "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|"
      "skip_connect~2|",
      "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|",
  };
  std::unique_ptr<SearchSpace> space = *CreateSearchSpace("nb201");
  Rng rng(absl::GetFlag(FLAGS_seed));
  for (int i = 0; i < absl::GetFlag(FLAGS_archs); ++i) archs.push_back(space->Print(space->Sample(rng)));

  // The tasks carry the default dataset, so the runners build for its shape.
  const InputShape input = DefaultInputShape();
  std::printf("# onnx_runner_bench: cpu \"%s\", LibTorch %s, OpenCV %s; channels %d, "
              "cells_per_stage %d, threads %d, batch %d, input %dx%dx%dx%d, seed %llu\n",
              CpuModel().c_str(), LibTorchVersion().c_str(), OnnxNet::Version().c_str(),
              absl::GetFlag(FLAGS_channels), absl::GetFlag(FLAGS_cells_per_stage),
              absl::GetFlag(FLAGS_threads), absl::GetFlag(FLAGS_batch), absl::GetFlag(FLAGS_batch),
              input.channels, input.height, input.width,
              static_cast<unsigned long long>(absl::GetFlag(FLAGS_seed)));
  std::printf("%-100s %28s %28s %8s\n", "arch", "libtorch ms [95% CI] runs",
              "opencv ms [95% CI] runs", "cv/torch");
  TorchRunnerOptions torch_options;
  torch_options.powercap_root = "/nonexistent";  // latency only
  TorchRunner torch_runner(torch_options);
  OnnxRunner onnx_runner{OnnxRunnerOptions()};
  for (size_t i = 0; i < archs.size(); ++i) {
    const v1::Task task = MakeTask(archs[i]);
    // Alternate which runner goes first, so slow drift does not favour one.
    absl::StatusOr<Figure> torch_fig, cv_fig;
    if (i % 2 == 0) {
      torch_fig = Read(torch_runner.Run(task, nullptr));
      cv_fig = Read(onnx_runner.Run(task, nullptr));
    } else {
      cv_fig = Read(onnx_runner.Run(task, nullptr));
      torch_fig = Read(torch_runner.Run(task, nullptr));
    }
    if (!torch_fig.ok() || !cv_fig.ok()) {
      std::printf("%-100s error: %s\n", archs[i].c_str(),
                  (!torch_fig.ok() ? torch_fig.status() : cv_fig.status()).ToString().c_str());
      continue;
    }
    auto cell = [](const Figure& f) {
      return absl::StrFormat("%.4f [%.4f, %.4f] %d%s", f.median, f.low, f.high, f.runs,
                             f.unstable ? " U" : "");
    };
    std::printf("%-100s %28s %28s %8.3f\n", archs[i].c_str(), cell(*torch_fig).c_str(),
                cell(*cv_fig).c_str(), cv_fig->median / torch_fig->median);
    std::fflush(stdout);
  }
  std::printf("# U: unstable (95%% CI wider than the target after re-measurement)\n");
  return 0;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("LibTorch vs OpenCV DNN (ONNX) latency of the same NB201 cells");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Main();
}
