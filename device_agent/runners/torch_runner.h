// RunLatencyTask: what a device agent does with one TASK_LATENCY task: build
// the candidate network and measure its inference latency (and energy, when
// a meter is present) on this machine.
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_TORCH_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_TORCH_RUNNER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "edgenas/v1/task_service.pb.h"
#include "common/task_outcome.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/latency.h"

namespace edgenas {

class SpeedReference;

struct LatencyTaskOptions {
  std::string device_class = "cpu";
  // Root of the powercap tree; tests point it at a fake directory.
  std::string powercap_root = "/sys/class/powercap";
  // Intra-op threads when the job's latency.threads is 0 (the job's value
  // wins otherwise, so that every candidate of a job is measured alike).
  int default_threads = 1;
  // Minimum wall time of the run batch framed by two energy readings: RAPL
  // counters update about once a millisecond, so short windows are noise.
  int energy_window_ms = 500;
  // Opens the energy meter for one task (the agent's --energy_meter choice,
  // energy_meter_registry.h); the meter runs only while open. Empty: RAPL
  // under powercap_root.
  std::function<absl::StatusOr<std::unique_ptr<EnergyMeter>>()> open_energy_meter;
  // What the agent measures on (device_descriptor.h); set on every metric
  // it reports. Left empty, metrics carry no descriptor.
  v1::DeviceDescriptor device;
  // The agent's --speed_reference (speed_reference.h): when set, latency is
  // normalised to the reference kernel's calibrated speed and the method
  // line says so. Not owned; null = raw wall-clock latency (the default).
  SpeedReference* speed_reference = nullptr;
};

// Appends latency_ms (with its 95% CI), latency_p90_ms, latency_cv and
// latency_runs from `stats`, each with `source`, `device_class`, the
// unstable flag and DescribeMeasurement's method line. Shared by the runners.
void AddLatencyMetrics(const LatencyStats& stats, const LatencyOptions& latency_options,
                       const std::string& device_class, const std::string& source,
                       TaskOutcome* outcome);

// Sets `device` on every metric of `outcome` (nothing when it is empty).
void StampDevice(const v1::DeviceDescriptor& device, TaskOutcome* outcome);

// Measures latency_ms (median), latency_p90_ms, latency_cv, latency_runs and
// energy_mj when a meter is available; otherwise adds the note
// "energy_mj unavailable: <why>" and no energy metric. Errors as for
// RunAccuracyTask.
absl::StatusOr<TaskOutcome> RunLatencyTask(const edgenas::v1::Task& task,
                                           const LatencyTaskOptions& options,
                                           const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_TORCH_RUNNER_H_
