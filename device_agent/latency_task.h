// RunLatencyTask: what a device agent does with one TASK_LATENCY task: build
// the candidate network and measure its inference latency (and energy, when
// a meter is present) on this machine.
#ifndef EDGENAS_DEVICE_AGENT_LATENCY_TASK_H_
#define EDGENAS_DEVICE_AGENT_LATENCY_TASK_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "edgenas/v1/task_service.pb.h"
#include "common/task_outcome.h"

namespace edgenas {

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
};

// Measures latency_ms (median), latency_p90_ms, latency_cv, latency_runs and
// energy_mj when a meter is available; otherwise adds the note
// "energy_mj unavailable: <why>" and no energy metric. Errors as for
// RunAccuracyTask.
absl::StatusOr<TaskOutcome> RunLatencyTask(const edgenas::v1::Task& task,
                                           const LatencyTaskOptions& options,
                                           const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_LATENCY_TASK_H_
