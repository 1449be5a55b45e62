#include "device_agent/runners/torch_runner.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_spec.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/model/nb201_model.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "device_agent/energy/energy_measure.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/latency.h"
#include "device_agent/speed_reference.h"

namespace edgenas {
namespace {

constexpr char kSource[] = "agent:libtorch-cpu";
// Models are built for Fashion-MNIST's 28x28 grayscale images in 10 classes.
constexpr int kImageSize = 28;
constexpr int kInChannels = 1;
constexpr int kNumClasses = 10;

int OrDefault(int value, int fallback) { return value > 0 ? value : fallback; }

v1::Metric MakeMetric(const char* name, double value, const std::string& device_class) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_source(kSource);
  m.set_device_class(device_class);
  return m;
}

absl::StatusOr<TaskOutcome> RunLatencyTaskUnsafe(const v1::Task& task,
                                                 const LatencyTaskOptions& options,
                                                 const std::atomic<bool>* cancel) {
  const v1::JobSpec& spec = task.spec();
  const v1::LatencySpec& ls = spec.latency();
  ASSIGN_OR_RETURN(const SpaceConfig space, SpaceConfigFromSpec(spec.space(), task.space()));
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(space, task.arch(), kInChannels, kNumClasses));

  // Warm-up by time, blocks, CI-based stopping, one re-measurement when
  // imprecise (device_agent/latency.h).
  LatencyOptions latency_options = LatencyOptionsFromSpec(ls);
  const int threads = OrDefault(ls.threads(), OrDefault(options.default_threads, kDefaultLatencyThreads));
  const int batch = OrDefault(ls.batch_size(), kDefaultLatencyBatchSize);
  RETURN_IF_ERROR(ValidateLatencyOptions(latency_options));

  // Latency depends on the thread count: pin it (process-wide; the agent
  // runs one task at a time).
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  model.ptr()->eval();
  torch::manual_seed(0);
  const torch::Tensor input =
      torch::randn({batch, kInChannels, kImageSize, kImageSize});

  const std::function<absl::Status()> run_once = [&model, &input]() -> absl::Status {
    torch::Tensor out = model.forward(input);
    if (out.numel() == 0) return absl::InternalError("model produced an empty output");
    return absl::OkStatus();
  };
  SpeedReference* const reference = options.speed_reference;
  double baseline_ms = 0;
  if (reference != nullptr) {
    // Calibrated once per thread count, before the first measurement.
    ASSIGN_OR_RETURN(baseline_ms, reference->BaselineMs(threads, latency_options, cancel));
    latency_options.reference_run = [reference]() { return reference->RunOnce(); };
    latency_options.reference_baseline_ms = baseline_ms;
  }
  ASSIGN_OR_RETURN(const LatencyStats stats, MeasureLatency(run_once, latency_options, cancel));

  TaskOutcome outcome;
  const std::string& dc = options.device_class;
  AddLatencyMetrics(stats, latency_options, dc, kSource, &outcome);
  if (reference != nullptr) {
    const std::string normalised = absl::StrCat(
        DescribeSpeedNormalization(stats.raw_median_ms, stats.median_ms,
                                   stats.reference_median_ms, baseline_ms, reference->name()),
        "; baseline: ", reference->baseline_note());
    for (v1::Metric& m : outcome.metrics) {
      std::string method = absl::StrCat(m.method(), "; ", normalised);
      // The coordinator refuses longer lines; the note below has it whole.
      if (method.size() > kMaxMetricMethodChars) {
        method.resize(kMaxMetricMethodChars - 3);
        method += "...";
      }
      m.set_method(std::move(method));
    }
    outcome.notes.push_back(absl::StrCat("latency_ms ", normalised));
    if (!reference->record_error().empty()) {
      outcome.notes.push_back(absl::StrCat("speed record ", reference->record_path(),
                                           " not kept: ", reference->record_error()));
    }
  }
  outcome.metrics.push_back(
      MakeMetric(kMetricParams, static_cast<double>(CountParameters(*model.ptr())), ""));
  outcome.metrics.back().set_method("trainable parameters of the built model");
  outcome.notes.push_back(absl::StrFormat(
      "latency: %d runs in %d blocks, mean %.4f ms, min %.4f ms, stddev %.4f ms, threads %d, "
      "batch %d%s",
      stats.runs, stats.blocks, stats.mean_ms, stats.min_ms, stats.stddev_ms, threads, batch,
      stats.unstable ? "; UNSTABLE: the 95% CI stayed wider than the target after a re-measurement"
                     : ""));

  // Energy: the meter is opened for this task only (a sampler thread or a
  // child process runs while it is open), then closed before reporting.
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter =
      options.open_energy_meter ? options.open_energy_meter()
                                : DetectEnergyMeter(options.powercap_root);
  if (!meter.ok()) {
    outcome.notes.push_back(absl::StrCat("energy_mj unavailable: ", meter.status().message()));
  } else {
    EnergyMeasureOptions energy_options;
    energy_options.window_ms = std::max(options.energy_window_ms, 1);
    energy_options.min_runs = std::max(latency_options.min_runs, 1);
    absl::StatusOr<EnergyMeasurement> energy =
        MeasureEnergyPerRun(**meter, run_once, stats.median_ms, energy_options, cancel);
    meter->reset();
    if (absl::IsCancelled(energy.status())) return energy.status();
    if (!energy.ok()) {
      outcome.notes.push_back(absl::StrCat("energy_mj unavailable: ", energy.status().message()));
    } else {
      v1::Metric m = MakeMetric(kMetricEnergyMj, energy->energy_mj, dc);
      m.set_method(energy->method);
      m.set_ci_low(energy->ci_low_mj);
      m.set_ci_high(energy->ci_high_mj);
      m.set_unstable(energy->unstable);
      outcome.metrics.push_back(std::move(m));
      outcome.notes.push_back(absl::StrCat(
          "energy_mj: ", energy->method,
          "; the meter sees the whole board or package, so the idle baseline removes other "
          "load only while it stays steady"));
    }
  }
  if (batch > 1) {
    outcome.notes.push_back(
        absl::StrCat("latency_ms and energy_mj are per forward pass of a batch of ", batch));
  }
  EDGENAS_LOG(kInfo, "agent", "latency task=", task.task_id(), " median_ms=", stats.median_ms,
              " runs=", stats.runs, " cv=", stats.cv);
  return outcome;
}

}  // namespace

void AddLatencyMetrics(const LatencyStats& stats, const LatencyOptions& latency_options,
                       const std::string& device_class, const std::string& source,
                       TaskOutcome* outcome) {
  const std::string method = DescribeMeasurement(stats, latency_options);
  auto add = [&](const char* name, double value) -> v1::Metric& {
    v1::Metric m;
    m.set_name(name);
    m.set_value(value);
    m.set_source(source);
    m.set_device_class(device_class);
    m.set_unstable(stats.unstable);
    m.set_method(method);
    outcome->metrics.push_back(std::move(m));
    return outcome->metrics.back();
  };
  v1::Metric& median = add(kMetricLatencyMs, stats.median_ms);
  median.set_ci_low(stats.ci_low_ms);
  median.set_ci_high(stats.ci_high_ms);
  add(kMetricLatencyP90Ms, stats.p90_ms);
  add(kMetricLatencyCv, stats.cv);
  add(kMetricLatencyRuns, stats.runs);
}

void StampDevice(const v1::DeviceDescriptor& device, TaskOutcome* outcome) {
  if (device.ByteSizeLong() == 0) return;
  for (v1::Metric& m : outcome->metrics) *m.mutable_device() = device;
}

absl::StatusOr<TaskOutcome> RunLatencyTask(const v1::Task& task, const LatencyTaskOptions& options,
                                           const std::atomic<bool>* cancel) {
  // LibTorch reports failures by throwing; nothing may escape this boundary.
  try {
    absl::StatusOr<TaskOutcome> outcome = RunLatencyTaskUnsafe(task, options, cancel);
    if (outcome.ok() && options.device.ByteSizeLong() > 0) {
      v1::DeviceDescriptor device = options.device;  // the job's thread count wins
      device.set_threads(OrDefault(task.spec().latency().threads(),
                                   OrDefault(options.default_threads, kDefaultLatencyThreads)));
      StampDevice(device, &*outcome);
    }
    return outcome;
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("libtorch: ", std::string(e.what_without_backtrace()).substr(0, 1024)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("latency task: ", e.what()));
  }
}

}  // namespace edgenas
