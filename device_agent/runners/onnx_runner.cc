#include "device_agent/runners/onnx_runner.h"

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/model/onnx_export.h"
#include "common/status_macros.h"
#include "device_agent/latency.h"
#include "device_agent/runners/onnx_net.h"

namespace edgenas {
namespace {

constexpr char kSource[] = "agent:onnx-opencv";

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

OnnxRunner::OnnxRunner(OnnxRunnerOptions options) : options_(std::move(options)) {
  info_.name = "onnx";
  info_.capabilities.push_back(absl::StrCat("latency:", kOnnxRunnerName));
  info_.device = options_.device;
}

absl::StatusOr<TaskOutcome> OnnxRunner::Run(const v1::Task& task,
                                            const std::atomic<bool>* stop) {
  RETURN_IF_ERROR(CheckNotStopped(stop, "onnx latency task"));
  ASSIGN_OR_RETURN(const Candidate c, CandidateOf(task, options_.default_threads));

  OnnxExportOptions export_options;
  export_options.batch = c.batch;
  export_options.in_channels = c.shape.channels;
  export_options.height = c.shape.height;
  export_options.width = c.shape.width;
  export_options.num_classes = c.shape.classes;
  ASSIGN_OR_RETURN(const OnnxModel model,
                   ExportOnnx(c.space, c.arch, /*checkpoint=*/"", export_options));

  OnnxNet::SetThreads(c.threads);
  absl::StatusOr<std::unique_ptr<OnnxNet>> net_or = OnnxNet::Create(model.bytes);
  if (!net_or.ok()) {
    // The exporter's output must import; a refusal is a bug here, not a bad task.
    return absl::InternalError(net_or.status().message());
  }
  RETURN_IF_ERROR((*net_or)->SetInput(MakeInput(model.input_dims)));
  OnnxNet& net = **net_or;
  ASSIGN_OR_RETURN(const LatencyStats stats,
                   MeasureLatency([&net]() { return net.RunOnce(); }, c.latency, stop));

  TaskOutcome outcome;
  AddLatencyMetrics(stats, c.latency, options_.device_class, kSource, &outcome);
  v1::Metric params;
  params.set_name(kMetricParams);
  params.set_value(static_cast<double>(model.params));
  params.set_source(kSource);
  outcome.metrics.push_back(std::move(params));
  AddAnalyticFlops(c, &outcome);
  outcome.notes.push_back(absl::StrFormat(
      "latency: OpenCV DNN %s (CPU backend) on the exported ONNX model; mean %.4f ms, min %.4f "
      "ms, threads %d, batch %d, input %s",
      OnnxNet::Version(), stats.mean_ms, stats.min_ms, c.threads, c.batch,
      absl::StrJoin(model.input_dims, "x")));
  outcome.notes.push_back("energy_mj unavailable: the onnx runner does not read an energy meter");
  if (c.batch > 1) {
    outcome.notes.push_back(absl::StrCat("latency_ms is per forward pass of a batch of ", c.batch));
  }
  v1::DeviceDescriptor device = options_.device;
  device.set_runner(kOnnxRunnerName);
  device.set_runner_version(absl::StrCat("opencv ", OnnxNet::Version()));
  device.set_threads(c.threads);
  if (device.device_class().empty()) device.set_device_class(options_.device_class);
  StampDevice(device, &outcome);
  EDGENAS_LOG(kInfo, "agent", "onnx latency task=", task.task_id(), " median_ms=",
              stats.median_ms, " runs=", stats.runs, " unstable=", stats.unstable);
  return outcome;
}

absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateOnnxRunnerFromFlags(
    const RunnerContext& context) {
  OnnxRunnerOptions options;
  options.device_class = context.device_class;
  options.default_threads = context.default_threads;
  options.device = context.Describe(kOnnxRunnerName, absl::StrCat("opencv ", OnnxNet::Version()),
                                    /*energy_meter=*/"");
  EDGENAS_LOG(kInfo, "agent", "onnx runner: OpenCV DNN ", OnnxNet::Version(),
              " (CPU backend); energy_mj unavailable with this runner");
  return std::make_unique<OnnxRunner>(std::move(options));
}

}  // namespace edgenas
