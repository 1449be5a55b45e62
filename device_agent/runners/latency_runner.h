// LatencyRunner: the device agent's one seam for answering TASK_LATENCY
// tasks. An implementation (LibTorch, ONNX through OpenCV DNN, an external
// measuring command, replay from a table) is one .cc in this folder and one
// line in runner_registry.cc; the agent selects it by --runner and runs every
// task through this interface.
//
// Contract, what the agent and the contract test
// (tests/device_agent/runners/runner_contract_test.cc) rely on:
//   * Prepare: a runner builds the candidate from the task alone: the space
//     (task.spec().space() and task.space()), task.arch(), the input shape
//     InputShapeOf(task.spec().dataset()) (never a fixed image size), and
//     batch and threads from task.spec().latency() (0: kDefaultLatencyBatchSize
//     and the agent's --threads). Candidate() resolves these for everyone.
//   * Time: a runner that times on this machine uses the shared measurement
//     of device_agent/latency.h (warm-up by time, blocks, the CI-based
//     stopping rule, one re-measurement, the speed reference when asked);
//     one whose figure comes from elsewhere (an external tool, a table) says
//     so in the metric's method line and never invents a statistic.
//   * Report: OK carries the metrics it measured, each with its source
//     ("agent:libtorch-cpu", "agent:onnx-opencv", "agent:external:<name>",
//     "replay:<column>"), the device class, a method line saying how the
//     value was obtained (replay: a note naming the table instead) and, when
//     the agent has one, the device descriptor (info().device, with the
//     job's thread count where the runner sets threads); notes say what was
//     not measured and why (e.g. "energy_mj unavailable: ...").
//   * Cancellation: *stop (may be null) becomes true when the lease is lost
//     or the agent stops. A runner checks it before it starts and while it
//     measures; once it is true Run returns CANCELLED and reports nothing,
//     so no interrupted measurement passes as a clean value.
//   * Errors, as the executor maps them (executor/executor_loop.h):
//     INVALID_ARGUMENT for a task that can never succeed here (bad spec,
//     architecture, shape, or a kind other than TASK_LATENCY: not retried);
//     other codes (INTERNAL, FAILED_PRECONDITION, DEADLINE_EXCEEDED, ...)
//     are retried elsewhere. Run never throws.
//   * One task at a time: the agent never calls Run concurrently, so a
//     runner may keep state between tasks (a calibration, a cache).
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_LATENCY_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_LATENCY_RUNNER_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "common/space_registry.h"
#include "common/task_outcome.h"
#include "device_agent/latency.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

// What the agent tells every runner it builds (its shared flags).
struct RunnerContext {
  std::string device_class = "cpu";  // --device_class, set on every metric
  int default_threads = 1;           // --threads: when the job's latency.threads is 0
  // --speed_reference and its record file ("" = keep none): runners that
  // time with LibTorch normalise to the reference kernel; others refuse it.
  bool speed_reference = false;
  std::string speed_reference_file;
  // This machine's descriptor for a runner label, its version and the energy
  // meter it reads ("" = none): registered and stamped on every metric.
  // Empty (tests): metrics carry no descriptor.
  std::function<v1::DeviceDescriptor(const std::string& runner, const std::string& version,
                                     const std::string& energy_meter)>
      describe_device;

  v1::DeviceDescriptor Describe(const std::string& runner, const std::string& version,
                                const std::string& energy_meter) const {
    return describe_device ? describe_device(runner, version, energy_meter)
                           : v1::DeviceDescriptor();
  }
};

// What a built runner says about itself, for registration and metrics.
struct RunnerInfo {
  std::string name;  // its registry name (--runner): "libtorch", "onnx", ...
  // Registered with the coordinator: "latency:<runner>", and "energy_meter"
  // plus "energy:<kind>" when it answers energy (that routes energy tasks).
  std::vector<std::string> capabilities;
  std::string energy_meter_kind;  // "rapl", "replay", ...; "" when none
  v1::DeviceDescriptor device;    // registered; empty when the context has none
};

class LatencyRunner {
 public:
  virtual ~LatencyRunner() = default;

  // What the runner registers as and labels its metrics with; fixed once
  // it is built.
  virtual const RunnerInfo& info() const = 0;

  // Measures (or looks up) task's candidate; see the contract above.
  virtual absl::StatusOr<TaskOutcome> Run(const v1::Task& task,
                                          const std::atomic<bool>* stop) = 0;
};

// A task's candidate, as every runner builds it.
struct Candidate {
  SpaceConfig space;
  std::string arch;
  InputShape shape;  // InputShapeOf(task.spec().dataset())
  int batch = 1;
  int threads = 1;
  LatencyOptions latency;  // LatencyOptionsFromSpec, validated
};

// Resolves the candidate of a TASK_LATENCY task (`default_threads` when the
// job leaves threads at 0). INVALID_ARGUMENT naming the field for a bad
// space, dataset shape or latency option.
absl::StatusOr<Candidate> CandidateOf(const v1::Task& task, int default_threads);

// CANCELLED ("<what> cancelled") when *stop (may be null) is true.
absl::Status CheckNotStopped(const std::atomic<bool>* stop, const std::string& what);

// Appends latency_ms (with its 95% CI), latency_p90_ms, latency_cv and
// latency_runs from `stats`, each with `source`, `device_class`, the
// unstable flag and DescribeMeasurement's method line.
void AddLatencyMetrics(const LatencyStats& stats, const LatencyOptions& latency_options,
                       const std::string& device_class, const std::string& source,
                       TaskOutcome* outcome);

// Appends "flops" of the candidate's network (multiply-accumulates per image,
// counted analytically: common/network_cost.h) with source "analytic", beside
// the params a runner reports; a note instead when the count fails; nothing
// for a space without a MAC count.
void AddAnalyticFlops(const Candidate& candidate, TaskOutcome* outcome);

// Sets `device` on every metric of `outcome` (nothing when it is empty).
void StampDevice(const v1::DeviceDescriptor& device, TaskOutcome* outcome);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_LATENCY_RUNNER_H_
