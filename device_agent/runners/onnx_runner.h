// OnnxRunner: the agent's --runner=onnx. The candidate network is built once
// per task, exported to ONNX (common/model/onnx_export.h) and timed through
// OpenCV DNN on this machine's CPU (onnx_net.h) with the shared measurement
// of device_agent/latency.h. Metrics are labelled "agent:onnx-opencv".
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_RUNNER_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/task_outcome.h"
#include "device_agent/runners/latency_runner.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

inline constexpr char kOnnxRunnerName[] = "onnx-opencv";

struct OnnxRunnerOptions {
  std::string device_class = "cpu";
  // OpenCV threads when the job's latency.threads is 0.
  int default_threads = 1;
  // Copied into every latency metric, with runner "onnx-opencv", the OpenCV
  // version and the thread count filled in.
  v1::DeviceDescriptor device;
};

class OnnxRunner : public LatencyRunner {
 public:
  explicit OnnxRunner(OnnxRunnerOptions options);

  const RunnerInfo& info() const override { return info_; }

  // Reports latency_ms (median, with its 95% CI, unstable flag and method),
  // latency_p90_ms, latency_cv, latency_runs and params; notes that energy
  // is not measured by this runner. Input: the job's batch x
  // InputShapeOf(task.spec().dataset()). INVALID_ARGUMENT for a bad spec or
  // architecture (not retried), CANCELLED when *stop becomes true, INTERNAL
  // when export or OpenCV fails.
  absl::StatusOr<TaskOutcome> Run(const v1::Task& task, const std::atomic<bool>* stop) override;

 private:
  const OnnxRunnerOptions options_;
  RunnerInfo info_;
};

// The registry's factory (runner_registry.h); no flags of its own.
absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateOnnxRunnerFromFlags(
    const RunnerContext& context);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_RUNNER_H_
