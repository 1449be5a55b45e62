// RunAccuracyTask: what a worker does with one TASK_ACCURACY task: build the
// candidate network, train it on the job's dataset for the job's step budget,
// and measure validation accuracy on a held-out split.
#ifndef EDGENAS_WORKER_ACCURACY_TASK_H_
#define EDGENAS_WORKER_ACCURACY_TASK_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/task_outcome.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

struct AccuracyTaskOptions {
  // Overrides the spec's dataset path when non-empty (tests).
  std::string dataset_dir;
  int threads = 1;  // torch intra-op threads on CPU
  bool allow_cuda = true;
};

// Runs the task. Returns INVALID_ARGUMENT when the task cannot be run as
// given (unknown space, malformed arch: not retryable), NOT_FOUND when the
// dataset is missing, CANCELLED when *cancel becomes true, INTERNAL for
// LibTorch failures. Reports: accuracy (fraction in [0,1]), params,
// train_seconds.
absl::StatusOr<TaskOutcome> RunAccuracyTask(const edgenas::v1::Task& task,
                                            const AccuracyTaskOptions& options,
                                            const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_ACCURACY_TASK_H_
