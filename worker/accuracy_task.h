// RunAccuracyTask: what a worker does with one TASK_ACCURACY task: turns the
// task (protobuf) into an AccuracyPlan (plain data), runs it with the
// LibTorch methods of worker/accuracy_methods.h, and turns the report back
// into metrics. No LibTorch header is included here.
#ifndef EDGENAS_WORKER_ACCURACY_TASK_H_
#define EDGENAS_WORKER_ACCURACY_TASK_H_

#include <atomic>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/task_outcome.h"
#include "edgenas/v1/task_service.pb.h"
#include "worker/accuracy_plan.h"

namespace edgenas {

struct AccuracyTaskOptions {
  // Overrides the spec's dataset path when non-empty (tests).
  std::string dataset_dir;
  int threads = 1;  // torch intra-op threads on CPU
  bool allow_cuda = true;
  // Checkpoint exchange (teacher, supernet, finalists); operations that need
  // it fail with FAILED_PRECONDITION when it is missing.
  ArtifactAccess artifacts;
  // Folders the job's files may be read from (common/data_roots.h); empty:
  // anywhere. Image folders check every file (a CSV may point elsewhere).
  std::vector<std::string> data_roots;
};

// The plan for `task`. INVALID_ARGUMENT naming the field when the task
// cannot be run as given (wrong kind, unknown space or dataset, malformed
// architecture, negative settings).
absl::StatusOr<AccuracyPlan> PlanFromTask(const edgenas::v1::Task& task);

// Checks that the files `task` names (dataset.path, or its default, unless
// the worker overrides it with `dataset_override`; evaluation.table.path for
// table tasks) lie inside `data_roots` (see common/data_roots.h).
// PERMISSION_DENIED naming the field otherwise; OK when `data_roots` is
// empty (no restriction).
absl::Status CheckTaskDataPaths(const edgenas::v1::Task& task,
                                const std::vector<std::string>& data_roots,
                                const std::string& dataset_override);

// Checks what a task read (`card`) against the job's "dataset_card"
// artifact: absent -> stores `card` (JSON of v1::DatasetCard); present with
// another fingerprint -> FAILED_PRECONDITION marked job-fatal ("dataset
// changed since the job started: ..."). A match is remembered per process.
absl::Status CheckDatasetCard(const ArtifactAccess& artifacts, const std::string& job_id,
                              const DatasetCardInfo& card);

// Runs the task. Returns INVALID_ARGUMENT when the task cannot be run as
// given (not retryable), NOT_FOUND when the dataset or an artifact is
// missing, CANCELLED when *cancel becomes true, INTERNAL for LibTorch
// failures. Reports accuracy (fraction in [0,1], with its source, steps,
// seconds and standard error), params and train_seconds; a supernet
// training task reports train_seconds and params.
absl::StatusOr<TaskOutcome> RunAccuracyTask(const edgenas::v1::Task& task,
                                            const AccuracyTaskOptions& options,
                                            const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_ACCURACY_TASK_H_
