// onnx_runner_bench: the same networks measured by the device agent's
// LibTorch runner and by its ONNX runner (the exported model through OpenCV
// DNN), both through the agent's own task functions and so through the
// shared measurement (latency.h): median, its 95% interval and runs for
// each, and the OpenCV/LibTorch ratio. Then the same networks in Python
// (pytorch_latency.py, see pytorch_side.h): the TorchScript export loaded
// with torch.jit.load and, for mbv3, the network rebuilt in eager PyTorch
// from its architecture string, each checked against LibTorch's logits and
// timed (median). Ends with the median of each column and the ratios of
// those medians. Prints figures; never passes or fails on time.
//
//   onnx_runner_bench [--space nb201|mbv3] [--count 5] [--seed 1]
//       [--channels 16] [--cells_per_stage 1] [--threads 1] [--batch 1]
//       [--python /usr/bin/python3] [--pytorch_script PATH]
// nb201: three fixed cells, then --count seeded random ones; mbv3 (default
// options): --count seeded random subnets, each timed at its own resolution.
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
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
#include "bench/onnx_runner/pytorch_side.h"
#include "common/latency_ops.h"
#include "common/metric_names.h"
#include "common/random.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "device_agent/runners/torch_runner.h"
#include "device_agent/runners/onnx_runner.h"
#include "device_agent/runners/onnx_net.h"
#include "device_agent/torch_version.h"

ABSL_FLAG(std::string, space, "nb201", "nb201 or mbv3 (its default options)");
ABSL_FLAG(int, count, 5, "seeded random architectures to measure (nb201: after the fixed cells)");
ABSL_FLAG(uint64_t, seed, 1, "seed of the random architectures");
ABSL_FLAG(int, channels, 16, "nb201: space.channels");
ABSL_FLAG(int, cells_per_stage, 1, "nb201: space.cells_per_stage");
ABSL_FLAG(int, threads, 1, "latency.threads for every side");
ABSL_FLAG(int, batch, 1, "latency.batch_size for every side");
ABSL_FLAG(std::string, python, "/usr/bin/python3",
          "Python with torch for the PyTorch columns; empty: leave them out");
ABSL_FLAG(std::string, pytorch_script, EDGENAS_SOURCE_DIR "/bench/onnx_runner/pytorch_latency.py",
          "the PyTorch side's script");

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

// The space the tasks name, as plain data (nb201 with the width flags,
// mbv3 with its defaults).
SpaceConfig BenchSpace() {
  SpaceConfig space;
  space.name = absl::GetFlag(FLAGS_space);
  if (space.name == "nb201") {
    space.options = {{"channels", absl::StrCat(absl::GetFlag(FLAGS_channels))},
                     {"cells_per_stage", absl::StrCat(absl::GetFlag(FLAGS_cells_per_stage))}};
  }
  return space;
}

v1::Task MakeTask(const SpaceConfig& space, const std::string& arch) {
  v1::Task task;
  task.set_task_id("bench");
  task.set_kind(v1::TASK_LATENCY);
  task.set_space(space.name);
  task.set_arch(arch);
  v1::JobSpec* spec = task.mutable_spec();
  spec->mutable_space()->set_name(space.name);
  for (const auto& [key, value] : space.options) (*spec->mutable_space()->mutable_options())[key] = value;
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

double Median(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !(v > 0); }),
               values.end());
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Geometric mean of num[i] / den[i] over the pairs where both are figures.
double GeoMeanRatio(const std::vector<double>& num, const std::vector<double>& den) {
  double log_sum = 0;
  int n = 0;
  for (size_t i = 0; i < num.size() && i < den.size(); ++i) {
    if (num[i] > 0 && den[i] > 0) {
      log_sum += std::log(num[i] / den[i]);
      ++n;
    }
  }
  return n == 0 ? NAN : std::exp(log_sum / n);
}

// The architectures to measure: nb201's fixed cells and then --count seeded
// random ones.
std::vector<std::string> Architectures(const SpaceConfig& config, const SearchSpace& space) {
  std::vector<std::string> archs;
  if (config.name == "nb201") {
    archs = {
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|"
        "nor_conv_3x3~2|",
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_3x3~1|"
        "skip_connect~2|",
        "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|nor_conv_1x1~0|none~1|skip_connect~2|",
    };
  }
  Rng rng(absl::GetFlag(FLAGS_seed));
  for (int i = 0; i < absl::GetFlag(FLAGS_count); ++i) archs.push_back(space.Print(space.Sample(rng)));
  return archs;
}

// The Python columns, or an empty list (said why) when they are left out.
std::vector<PytorchFigure> PythonColumns(const SpaceConfig& config,
                                         const std::vector<std::string>& archs,
                                         const InputShape& input) {
  if (absl::GetFlag(FLAGS_python).empty()) return {};
  std::string dir = (std::filesystem::temp_directory_path() / "onnx_runner_bench_XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    std::printf("# pytorch columns left out: cannot create a scratch folder\n");
    return {};
  }
  PytorchSideOptions options;
  options.python = absl::GetFlag(FLAGS_python);
  options.script = absl::GetFlag(FLAGS_pytorch_script);
  options.dir = dir;
  options.batch = absl::GetFlag(FLAGS_batch);
  options.threads = absl::GetFlag(FLAGS_threads);
  absl::StatusOr<std::vector<PytorchFigure>> figures = TimeInPytorch(config, archs, input, options);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (!figures.ok()) {
    std::printf("# pytorch columns left out: %s\n", figures.status().ToString().c_str());
    return {};
  }
  return *figures;
}

int Main() {
  const SpaceConfig config = BenchSpace();
  absl::StatusOr<std::unique_ptr<SearchSpace>> space = CreateSearchSpace(config);
  if (!space.ok()) {
    std::fprintf(stderr, "--space: %s\n", space.status().ToString().c_str());
    return 2;
  }
  const std::vector<std::string> archs = Architectures(config, **space);

  // The tasks carry the default dataset, so the runners build for its shape
  // (an mbv3 network takes its own resolution: see each row's input).
  const InputShape input = DefaultInputShape();
  std::printf("# onnx_runner_bench: cpu \"%s\", LibTorch %s, OpenCV %s; space %s%s, threads %d, "
              "batch %d, dataset input %dx%dx%d, seed %llu\n",
              CpuModel().c_str(), LibTorchVersion().c_str(), OnnxNet::Version().c_str(),
              config.name.c_str(),
              config.name == "nb201"
                  ? absl::StrFormat(" (channels %d, cells_per_stage %d)",
                                    absl::GetFlag(FLAGS_channels),
                                    absl::GetFlag(FLAGS_cells_per_stage))
                        .c_str()
                  : " (default options)",
              absl::GetFlag(FLAGS_threads), absl::GetFlag(FLAGS_batch), input.channels,
              input.height, input.width, static_cast<unsigned long long>(absl::GetFlag(FLAGS_seed)));
  TorchRunnerOptions torch_options;
  torch_options.powercap_root = "/nonexistent";  // latency only
  TorchRunner torch_runner(torch_options);
  OnnxRunner onnx_runner{OnnxRunnerOptions()};
  std::vector<double> torch_ms(archs.size(), NAN), cv_ms(archs.size(), NAN);
  std::printf("%3s %-8s %28s %28s %8s  %s\n", "#", "input", "libtorch ms [95% CI] runs",
              "opencv ms [95% CI] runs", "cv/torch", "arch");
  for (size_t i = 0; i < archs.size(); ++i) {
    const v1::Task task = MakeTask(config, archs[i]);
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
      std::printf("%3zu error: %s  %s\n", i,
                  (!torch_fig.ok() ? torch_fig.status() : cv_fig.status()).ToString().c_str(),
                  archs[i].c_str());
      continue;
    }
    torch_ms[i] = torch_fig->median;
    cv_ms[i] = cv_fig->median;
    absl::StatusOr<Architecture> arch = (*space)->Parse(archs[i]);
    const InputShape fed = arch.ok() ? NetworkInputShape(config, *arch, input) : input;
    auto cell = [](const Figure& f) {
      return absl::StrFormat("%.4f [%.4f, %.4f] %d%s", f.median, f.low, f.high, f.runs,
                             f.unstable ? " U" : "");
    };
    std::printf("%3zu %-8s %28s %28s %8.3f  %s\n", i,
                absl::StrFormat("%dx%dx%d", fed.channels, fed.height, fed.width).c_str(),
                cell(*torch_fig).c_str(), cell(*cv_fig).c_str(), cv_fig->median / torch_fig->median,
                archs[i].c_str());
    std::fflush(stdout);
  }
  std::printf("# U: unstable (95%% CI wider than the target after re-measurement)\n");

  // The same networks in Python, after the C++ runners (one process for all).
  const std::vector<PytorchFigure> py = PythonColumns(config, archs, input);
  std::vector<double> script_ms, eager_ms;
  if (!py.empty()) {
    std::printf("# python: median of single forward passes after 1 s of warm-up, at least 20 runs "
                "and 2 s; max |logits - LibTorch's| per network\n");
    std::printf("%3s %14s %14s %10s %10s %12s %12s\n", "#", "torchscript ms", "eager ms",
                "script err", "eager err", "script/torch", "eager/torch");
    for (size_t i = 0; i < py.size(); ++i) {
      script_ms.push_back(py[i].script_ms);
      eager_ms.push_back(py[i].eager_ms);
      std::printf("%3zu %14.4f %14.4f %10.2g %10.2g %12.3f %12.3f\n", i, py[i].script_ms,
                  py[i].eager_ms, py[i].script_err, py[i].eager_err,
                  py[i].script_ms / torch_ms[i], py[i].eager_ms / torch_ms[i]);
    }
  }
  const double torch_median = Median(torch_ms);
  std::printf("# medians over %zu networks: libtorch %.4f ms, opencv %.4f ms", archs.size(),
              torch_median, Median(cv_ms));
  if (!py.empty()) {
    std::printf(", torchscript in python %.4f ms, eager pytorch %.4f ms", Median(script_ms),
                Median(eager_ms));
  }
  std::printf("\n# ratio of medians to libtorch: opencv %.3f", Median(cv_ms) / torch_median);
  if (!py.empty()) {
    std::printf(", torchscript in python %.3f, eager pytorch %.3f", Median(script_ms) / torch_median,
                Median(eager_ms) / torch_median);
  }
  std::printf("\n# geometric mean of per-network ratios to libtorch: opencv %.3f",
              GeoMeanRatio(cv_ms, torch_ms));
  if (!py.empty()) {
    std::printf(", torchscript in python %.3f, eager pytorch %.3f",
                GeoMeanRatio(script_ms, torch_ms), GeoMeanRatio(eager_ms, torch_ms));
  }
  std::printf("\n");
  return 0;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "LibTorch vs OpenCV DNN (ONNX) vs PyTorch latency of the same nb201 or mbv3 networks");
  absl::ParseCommandLine(argc, argv);
  return edgenas::Main();
}
