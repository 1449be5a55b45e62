#include "device_agent/runners/latency_runner.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/datasets.h"
#include "common/job_defaults.h"
#include "common/metric_names.h"
#include "common/network_cost.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

int OrDefault(int value, int fallback) { return value > 0 ? value : fallback; }

}  // namespace

absl::StatusOr<Candidate> CandidateOf(const v1::Task& task, int default_threads) {
  if (task.kind() != v1::TASK_LATENCY) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.kind: latency runners answer TASK_LATENCY, got ", v1::TaskKind_Name(task.kind())));
  }
  const v1::JobSpec& spec = task.spec();
  const v1::LatencySpec& ls = spec.latency();
  Candidate c;
  ASSIGN_OR_RETURN(c.space, SpaceConfigFromSpec(spec.space(), task.space()));
  ASSIGN_OR_RETURN(c.shape, InputShapeOf(spec.dataset()));
  c.arch = task.arch();
  c.batch = OrDefault(ls.batch_size(), kDefaultLatencyBatchSize);
  c.threads = OrDefault(ls.threads(), OrDefault(default_threads, kDefaultLatencyThreads));
  c.latency = LatencyOptionsFromSpec(ls);
  RETURN_IF_ERROR(ValidateLatencyOptions(c.latency));
  return c;
}

absl::Status CheckNotStopped(const std::atomic<bool>* stop, const std::string& what) {
  if (stop != nullptr && stop->load()) return absl::CancelledError(absl::StrCat(what, " cancelled"));
  return absl::OkStatus();
}

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

void AddAnalyticFlops(const Candidate& candidate, TaskOutcome* outcome) {
  if (!SpaceCountsMacs(candidate.space.name).ok()) return;
  absl::StatusOr<NetworkCost> cost =
      NetworkCostOf(candidate.space, candidate.arch, candidate.shape);
  if (!cost.ok()) {
    outcome->notes.push_back(absl::StrCat("flops not counted: ", cost.status().message()));
    return;
  }
  v1::Metric m;
  m.set_name(kMetricFlops);
  m.set_value(static_cast<double>(cost->macs));
  m.set_source(kAnalyticSource);
  m.set_method(kFlopsMethod);
  outcome->metrics.push_back(std::move(m));
}

void StampDevice(const v1::DeviceDescriptor& device, TaskOutcome* outcome) {
  if (device.ByteSizeLong() == 0) return;
  for (v1::Metric& m : outcome->metrics) *m.mutable_device() = device;
}

}  // namespace edgenas
