// RunOnnxLatencyTask: the agent's --runner=onnx. The candidate network is
// built once per task, exported to ONNX (common/model/onnx_export.h) and
// timed through OpenCV DNN on this machine's CPU (onnx_runner.h) with the
// shared measurement of latency.h. Metrics are labelled "agent:onnx-opencv".
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_RUNNER_H_

#include <atomic>
#include <string>

#include "absl/status/statusor.h"
#include "common/task_outcome.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

inline constexpr char kOnnxRunnerName[] = "onnx-opencv";

struct OnnxTaskOptions {
  std::string device_class = "cpu";
  // OpenCV threads when the job's latency.threads is 0.
  int default_threads = 1;
  // Copied into every latency metric, with runner "onnx-opencv", the OpenCV
  // version and the thread count filled in.
  v1::DeviceDescriptor device;
};

// Reports latency_ms (median, with its 95% CI, unstable flag and method),
// latency_p90_ms, latency_cv, latency_runs and params; notes that energy is
// not measured by this runner. Input: the job's batch x 1 x 28 x 28 (as the
// LibTorch runner). INVALID_ARGUMENT for a bad spec or architecture (not
// retried), CANCELLED when *cancel becomes true, INTERNAL when export or
// OpenCV fails.
absl::StatusOr<TaskOutcome> RunOnnxLatencyTask(const v1::Task& task,
                                               const OnnxTaskOptions& options,
                                               const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_ONNX_RUNNER_H_
