#include "device_agent/runners/onnx_runner.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_defaults.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/model/onnx_export.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "device_agent/latency.h"
#include "device_agent/runners/torch_runner.h"
#include "device_agent/runners/onnx_net.h"

namespace edgenas {
namespace {

constexpr char kSource[] = "agent:onnx-opencv";
// The LibTorch runner's input: Fashion-MNIST's 28x28 grayscale, 10 classes.
constexpr int kImageSize = 28;
constexpr int kInChannels = 1;
constexpr int kNumClasses = 10;

int OrDefault(int value, int fallback) { return value > 0 ? value : fallback; }

// A fixed pseudo-random input (values do not change the work a CNN does,
// but zeros could hit special cases in some kernels).
FloatTensor MakeInput(const std::vector<int64_t>& dims) {
  FloatTensor input;
  input.dims = dims;
  int64_t count = 1;
  for (int64_t d : dims) count *= d;
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  input.values.resize(count);
  for (float& v : input.values) v = normal(rng);
  return input;
}

}  // namespace

absl::StatusOr<TaskOutcome> RunOnnxLatencyTask(const v1::Task& task,
                                               const OnnxTaskOptions& options,
                                               const std::atomic<bool>* cancel) {
  const v1::JobSpec& spec = task.spec();
  const v1::LatencySpec& ls = spec.latency();
  ASSIGN_OR_RETURN(const SpaceConfig space, SpaceConfigFromSpec(spec.space(), task.space()));
  const LatencyOptions latency_options = LatencyOptionsFromSpec(ls);
  RETURN_IF_ERROR(ValidateLatencyOptions(latency_options));
  const int threads =
      OrDefault(ls.threads(), OrDefault(options.default_threads, kDefaultLatencyThreads));
  const int batch = OrDefault(ls.batch_size(), kDefaultLatencyBatchSize);

  OnnxExportOptions export_options;
  export_options.batch = batch;
  export_options.in_channels = kInChannels;
  export_options.height = kImageSize;
  export_options.width = kImageSize;
  export_options.num_classes = kNumClasses;
  ASSIGN_OR_RETURN(const OnnxModel model,
                   ExportOnnx(space, task.arch(), /*checkpoint=*/"", export_options));

  OnnxNet::SetThreads(threads);
  absl::StatusOr<std::unique_ptr<OnnxNet>> runner = OnnxNet::Create(model.bytes);
  if (!runner.ok()) {
    // The exporter's output must import; a refusal is a bug here, not a bad task.
    return absl::InternalError(runner.status().message());
  }
  RETURN_IF_ERROR((*runner)->SetInput(MakeInput(model.input_dims)));
  OnnxNet& net = **runner;
  ASSIGN_OR_RETURN(const LatencyStats stats,
                   MeasureLatency([&net]() { return net.RunOnce(); }, latency_options, cancel));

  TaskOutcome outcome;
  AddLatencyMetrics(stats, latency_options, options.device_class, kSource, &outcome);
  v1::Metric params;
  params.set_name(kMetricParams);
  params.set_value(static_cast<double>(model.params));
  params.set_source(kSource);
  outcome.metrics.push_back(std::move(params));
  outcome.notes.push_back(absl::StrFormat(
      "latency: OpenCV DNN %s (CPU backend) on the exported ONNX model; mean %.4f ms, min %.4f "
      "ms, threads %d, batch %d",
      OnnxNet::Version(), stats.mean_ms, stats.min_ms, threads, batch));
  outcome.notes.push_back("energy_mj unavailable: the onnx runner does not read an energy meter");
  if (batch > 1) {
    outcome.notes.push_back(absl::StrCat("latency_ms is per forward pass of a batch of ", batch));
  }
  v1::DeviceDescriptor device = options.device;
  device.set_runner(kOnnxRunnerName);
  device.set_runner_version(absl::StrCat("opencv ", OnnxNet::Version()));
  device.set_threads(threads);
  if (device.device_class().empty()) device.set_device_class(options.device_class);
  StampDevice(device, &outcome);
  EDGENAS_LOG(kInfo, "agent", "onnx latency task=", task.task_id(), " median_ms=",
              stats.median_ms, " runs=", stats.runs, " unstable=", stats.unstable);
  return outcome;
}

}  // namespace edgenas
