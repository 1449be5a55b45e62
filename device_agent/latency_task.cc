#include "device_agent/latency_task.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_spec.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/model/nb201_model.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "device_agent/energy_meter.h"
#include "device_agent/latency.h"

namespace edgenas {
namespace {

constexpr char kSource[] = "agent:libtorch-cpu";
// Models are built for Fashion-MNIST's 28x28 grayscale images in 10 classes.
constexpr int kImageSize = 28;
constexpr int kInChannels = 1;
constexpr int kNumClasses = 10;
constexpr int64_t kMaxEnergyRuns = 100000;

int OrDefault(int value, int fallback) { return value > 0 ? value : fallback; }

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

v1::Metric MakeMetric(const char* name, double value, const std::string& device_class) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_source(kSource);
  m.set_device_class(device_class);
  return m;
}

// Energy per forward pass: reads the meter around a batch of runs long
// enough (energy_window_ms) for the counter resolution not to matter.
absl::StatusOr<double> MeasureEnergyMj(EnergyMeter& meter, const std::function<absl::Status()>& run,
                                       double median_ms, int min_runs, int window_ms,
                                       const std::atomic<bool>* cancel, int64_t* runs_out) {
  const double per_run_ms = std::max(median_ms, 1e-3);
  const int64_t runs = std::clamp<int64_t>(
      static_cast<int64_t>(std::ceil(window_ms / per_run_ms)), std::max(min_runs, 1),
      kMaxEnergyRuns);
  ASSIGN_OR_RETURN(const uint64_t before_uj, meter.Read());
  for (int64_t i = 0; i < runs; ++i) {
    if (Cancelled(cancel)) return absl::CancelledError("energy measurement cancelled");
    RETURN_IF_ERROR(run());
  }
  ASSIGN_OR_RETURN(const uint64_t after_uj, meter.Read());
  *runs_out = runs;
  return static_cast<double>(after_uj - before_uj) / 1000.0 / static_cast<double>(runs);
}

absl::StatusOr<TaskOutcome> RunLatencyTaskUnsafe(const v1::Task& task,
                                                 const LatencyTaskOptions& options,
                                                 const std::atomic<bool>* cancel) {
  const v1::JobSpec& spec = task.spec();
  const v1::LatencySpec& ls = spec.latency();
  ASSIGN_OR_RETURN(const SpaceConfig space, SpaceConfigFromSpec(spec.space(), task.space()));
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildModel(space, task.arch(), kInChannels, kNumClasses));

  LatencyOptions latency_options;
  latency_options.warmup_ms = OrDefault(ls.warmup_ms(), kDefaultWarmupMs);
  latency_options.min_runs = OrDefault(ls.min_runs(), kDefaultMinRuns);
  latency_options.max_runs = OrDefault(ls.max_runs(), kDefaultMaxRuns);
  latency_options.max_runs = std::max(latency_options.max_runs, latency_options.min_runs);
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
  ASSIGN_OR_RETURN(const LatencyStats stats, MeasureLatency(run_once, latency_options, cancel));

  TaskOutcome outcome;
  const std::string& dc = options.device_class;
  outcome.metrics.push_back(MakeMetric(kMetricLatencyMs, stats.median_ms, dc));
  outcome.metrics.push_back(MakeMetric(kMetricLatencyP90Ms, stats.p90_ms, dc));
  outcome.metrics.push_back(MakeMetric(kMetricLatencyCv, stats.cv, dc));
  outcome.metrics.push_back(MakeMetric(kMetricLatencyRuns, stats.runs, dc));
  outcome.metrics.push_back(
      MakeMetric(kMetricParams, static_cast<double>(CountParameters(*model.ptr())), ""));
  outcome.notes.push_back(absl::StrFormat(
      "latency: %d runs, mean %.4f ms, min %.4f ms, stddev %.4f ms, threads %d, batch %d",
      stats.runs, stats.mean_ms, stats.min_ms, stats.stddev_ms, threads, batch));

  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = DetectEnergyMeter(options.powercap_root);
  if (!meter.ok()) {
    outcome.notes.push_back(absl::StrCat("energy_mj unavailable: ", meter.status().message()));
  } else {
    int64_t energy_runs = 0;
    absl::StatusOr<double> energy_mj =
        MeasureEnergyMj(**meter, run_once, stats.median_ms, latency_options.min_runs,
                        std::max(options.energy_window_ms, 1), cancel, &energy_runs);
    if (absl::IsCancelled(energy_mj.status())) return energy_mj.status();
    if (!energy_mj.ok()) {
      outcome.notes.push_back(
          absl::StrCat("energy_mj unavailable: ", energy_mj.status().message()));
    } else {
      outcome.metrics.push_back(MakeMetric(kMetricEnergyMj, *energy_mj, dc));
      outcome.notes.push_back(absl::StrCat(
          "energy_mj: ", (*meter)->Name(), " over ", energy_runs,
          " runs; whole-package energy including idle power and other processes"));
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

absl::StatusOr<TaskOutcome> RunLatencyTask(const v1::Task& task, const LatencyTaskOptions& options,
                                           const std::atomic<bool>* cancel) {
  // LibTorch reports failures by throwing; nothing may escape this boundary.
  try {
    return RunLatencyTaskUnsafe(task, options, cancel);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("libtorch: ", std::string(e.what_without_backtrace()).substr(0, 1024)));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("latency task: ", e.what()));
  }
}

}  // namespace edgenas
