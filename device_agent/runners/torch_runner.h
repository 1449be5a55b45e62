// TorchRunner: the agent's --runner=libtorch (the default). It builds each
// task's candidate network with LibTorch, times it on this machine's CPU
// with the shared measurement (device_agent/latency.h), optionally scaled to
// the speed reference kernel, and measures energy per inference when a meter
// is present. Metrics are labelled "agent:libtorch-cpu".
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_TORCH_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_TORCH_RUNNER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "common/task_outcome.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/runners/latency_runner.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

class SpeedReference;

inline constexpr char kTorchRunnerName[] = "libtorch-cpu";

struct TorchRunnerOptions {
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
  // energy/energy_meter_registry.h); the meter runs only while open. Empty:
  // RAPL under powercap_root.
  std::function<absl::StatusOr<std::unique_ptr<EnergyMeter>>()> open_energy_meter;
  // What the agent measures on (device_descriptor.h); set on every metric
  // it reports. Left empty, metrics carry no descriptor.
  v1::DeviceDescriptor device;
  // The agent's --speed_reference (speed_reference.h): latency normalised to
  // the reference kernel's calibrated speed, the kernel at the task's image
  // size; the method line says so. Off: raw wall-clock latency.
  bool speed_reference = false;
  // --speed_reference_file: fastest calibrations on record ("" = none).
  std::string speed_reference_file;
  // Registration (RunnerInfo): the energy meter found at startup ("" none).
  std::string energy_meter_kind;
};

class TorchRunner : public LatencyRunner {
 public:
  explicit TorchRunner(TorchRunnerOptions options);
  ~TorchRunner() override;

  const RunnerInfo& info() const override { return info_; }

  // Measures latency_ms (median), latency_p90_ms, latency_cv, latency_runs
  // and energy_mj when a meter is available; otherwise adds the note
  // "energy_mj unavailable: <why>" and no energy metric. The network is
  // built for InputShapeOf(task.spec().dataset()). INVALID_ARGUMENT for a
  // bad spec or architecture, CANCELLED when *stop becomes true, INTERNAL
  // when LibTorch fails.
  absl::StatusOr<TaskOutcome> Run(const v1::Task& task, const std::atomic<bool>* stop) override;

 private:
  absl::StatusOr<TaskOutcome> RunUnsafe(const v1::Task& task, const std::atomic<bool>* stop);
  // The reference kernel at `height` x `width`, built on first use.
  absl::StatusOr<SpeedReference*> ReferenceFor(int height, int width);

  const TorchRunnerOptions options_;
  RunnerInfo info_;
  std::map<std::pair<int, int>, std::unique_ptr<SpeedReference>> references_;
};

// The registry's factory (runner_registry.h): a TorchRunner from the agent's
// context, --powercap_root and the --energy_* flags (energy/energy_flags.h).
// INVALID_ARGUMENT naming the flag when a meter named by --energy_meter does
// not work.
absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateTorchRunnerFromFlags(
    const RunnerContext& context);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_TORCH_RUNNER_H_
