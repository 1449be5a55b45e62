#include "device_agent/runners/torch_runner.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "device_agent/energy/energy_flags.h"
#include "device_agent/energy/energy_measure.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/energy/energy_meter_registry.h"
#include "device_agent/latency.h"
#include "device_agent/speed_reference.h"
#include "device_agent/torch_version.h"

ABSL_FLAG(std::string, powercap_root, "/sys/class/powercap", "Root of the powercap tree");

namespace edgenas {
namespace {

constexpr char kSource[] = "agent:libtorch-cpu";

v1::Metric MakeMetric(const char* name, double value, const std::string& device_class) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_source(kSource);
  m.set_device_class(device_class);
  return m;
}

// Trainable parameters of the built network (any space's).
int64_t TrainableParameters(const torch::nn::Module& module) {
  int64_t total = 0;
  for (const torch::Tensor& p : module.parameters(/*recurse=*/true)) {
    if (p.requires_grad()) total += p.numel();
  }
  return total;
}

}  // namespace

TorchRunner::TorchRunner(TorchRunnerOptions options) : options_(std::move(options)) {
  info_.name = "libtorch";
  info_.capabilities.push_back(absl::StrCat("latency:", kTorchRunnerName));
  if (!options_.energy_meter_kind.empty()) {
    info_.capabilities.push_back("energy_meter");  // routes energy tasks here
    info_.capabilities.push_back(EnergyCapability(options_.energy_meter_kind));
  }
  info_.energy_meter_kind = options_.energy_meter_kind;
  info_.device = options_.device;
}

TorchRunner::~TorchRunner() = default;

absl::StatusOr<SpeedReference*> TorchRunner::ReferenceFor(int height, int width) {
  std::unique_ptr<SpeedReference>& slot = references_[{height, width}];
  if (slot == nullptr) {
    ASSIGN_OR_RETURN(slot, SpeedReference::Create(options_.speed_reference_file,
                                                  options_.device.cpu_model(), height, width));
    EDGENAS_LOG(kInfo, "agent", "latency normalised to the reference kernel ", slot->name(),
                "; fastest calibrations kept in ",
                slot->record_path().empty() ? "(none)" : slot->record_path());
  }
  return slot.get();
}

absl::StatusOr<TaskOutcome> TorchRunner::RunUnsafe(const v1::Task& task,
                                                   const std::atomic<bool>* stop) {
  RETURN_IF_ERROR(CheckNotStopped(stop, "latency task"));
  ASSIGN_OR_RETURN(Candidate c, CandidateOf(task, options_.default_threads));
  ASSIGN_OR_RETURN(const Architecture arch, ParseArchitecture(c.space, c.arch));
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(c.space, c.arch, c.shape));
  // The input the network takes: the dataset's, or the candidate's own
  // resolution in a space whose architectures choose one (timing a resize
  // from the dataset's size would add work the deployed network never does).
  const InputShape input_shape = NetworkInputShape(c.space, arch, c.shape);
  LatencyOptions& latency_options = c.latency;
  const int threads = c.threads;
  const int batch = c.batch;

  // Latency depends on the thread count: pin it (process-wide; the agent
  // runs one task at a time).
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  model.ptr()->eval();
  torch::manual_seed(0);
  const torch::Tensor input =
      torch::randn({batch, input_shape.channels, input_shape.height, input_shape.width});

  const std::function<absl::Status()> run_once = [&model, &input]() -> absl::Status {
    torch::Tensor out = model.forward(input);
    if (out.numel() == 0) return absl::InternalError("model produced an empty output");
    return absl::OkStatus();
  };
  SpeedReference* reference = nullptr;
  double baseline_ms = 0;
  if (options_.speed_reference) {
    // Calibrated once per image size and thread count, before the first
    // measurement.
    ASSIGN_OR_RETURN(reference, ReferenceFor(c.shape.height, c.shape.width));
    ASSIGN_OR_RETURN(baseline_ms, reference->BaselineMs(threads, latency_options, stop));
    latency_options.reference_run = [reference]() { return reference->RunOnce(); };
    latency_options.reference_baseline_ms = baseline_ms;
  }
  ASSIGN_OR_RETURN(const LatencyStats stats, MeasureLatency(run_once, latency_options, stop));

  TaskOutcome outcome;
  const std::string& dc = options_.device_class;
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
      MakeMetric(kMetricParams, static_cast<double>(TrainableParameters(*model.ptr())), ""));
  outcome.metrics.back().set_method("trainable parameters of the built model");
  AddAnalyticFlops(c, &outcome);
  outcome.notes.push_back(absl::StrFormat(
      "latency: %d runs in %d blocks, mean %.4f ms, min %.4f ms, stddev %.4f ms, threads %d, "
      "batch %d, input %dx%dx%d%s",
      stats.runs, stats.blocks, stats.mean_ms, stats.min_ms, stats.stddev_ms, threads, batch,
      static_cast<int>(input.size(1)), static_cast<int>(input.size(2)),
      static_cast<int>(input.size(3)),
      stats.unstable ? "; UNSTABLE: the 95% CI stayed wider than the target after a re-measurement"
                     : ""));

  // Energy: the meter is opened for this task only (a sampler thread or a
  // child process runs while it is open), then closed before reporting.
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter =
      options_.open_energy_meter ? options_.open_energy_meter()
                                 : DetectEnergyMeter(options_.powercap_root);
  if (!meter.ok()) {
    outcome.notes.push_back(absl::StrCat("energy_mj unavailable: ", meter.status().message()));
  } else {
    EnergyMeasureOptions energy_options;
    energy_options.window_ms = std::max(options_.energy_window_ms, 1);
    energy_options.min_runs = std::max(latency_options.min_runs, 1);
    absl::StatusOr<EnergyMeasurement> energy =
        MeasureEnergyPerRun(**meter, run_once, stats.median_ms, energy_options, stop);
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
  // A stop that came after the last timed run still wins: nothing is
  // reported from a task whose lease is gone.
  RETURN_IF_ERROR(CheckNotStopped(stop, "latency task"));
  if (options_.device.ByteSizeLong() > 0) {
    v1::DeviceDescriptor device = options_.device;  // the job's thread count wins
    device.set_threads(threads);
    StampDevice(device, &outcome);
  }
  EDGENAS_LOG(kInfo, "agent", "latency task=", task.task_id(), " median_ms=", stats.median_ms,
              " runs=", stats.runs, " cv=", stats.cv);
  return outcome;
}

absl::StatusOr<TaskOutcome> TorchRunner::Run(const v1::Task& task,
                                             const std::atomic<bool>* stop) {
  // LibTorch reports failures by throwing; nothing may escape this boundary.
  try {
    return RunUnsafe(task, stop);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("libtorch: ", std::string(e.what_without_backtrace()).substr(0, 1024)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("latency task: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateTorchRunnerFromFlags(
    const RunnerContext& context) {
  TorchRunnerOptions options;
  options.device_class = context.device_class;
  options.powercap_root = absl::GetFlag(FLAGS_powercap_root);
  options.default_threads = context.default_threads;
  options.speed_reference = context.speed_reference;
  options.speed_reference_file = context.speed_reference_file;
  // The energy meter (--energy_meter and its flags, energy/energy_flags.h):
  // probed once for the capabilities and the startup report, then opened
  // anew for each task (a sampler thread or child process runs only while
  // measuring). A meter named by the flag that does not work stops the
  // agent; with auto, each task probes again, so a meter that appears later
  // is picked up.
  ASSIGN_OR_RETURN(EnergyMeterConfig energy_config,
                   EnergyMeterConfigFromFlags(options.powercap_root));
  std::string meter_name;
  if (absl::StatusOr<OpenedEnergyMeter> meter = OpenEnergyMeter(energy_config); meter.ok()) {
    options.energy_meter_kind = meter->kind;
    meter_name = meter->meter->Name();
    energy_config.kind = meter->kind;  // every task uses the meter found now
    EDGENAS_LOG(kInfo, "agent", "energy meter ", meter_name);
  } else if (energy_config.kind != "auto" && energy_config.kind != "none") {
    return meter.status();
  } else {
    EDGENAS_LOG(kInfo, "agent", "energy_mj unavailable: ", meter.status().message());
  }
  options.open_energy_meter =
      [config = energy_config]() -> absl::StatusOr<std::unique_ptr<EnergyMeter>> {
    absl::StatusOr<OpenedEnergyMeter> opened = OpenEnergyMeter(config);
    if (!opened.ok()) return opened.status();
    return std::move(opened->meter);
  };
  options.device = context.Describe(kTorchRunnerName, LibTorchVersion(), meter_name);
  return std::make_unique<TorchRunner>(std::move(options));
}

}  // namespace edgenas
