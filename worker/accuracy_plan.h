// What a worker is asked to do with one accuracy task, as plain data: the
// bridge between the task (protobuf, worker/accuracy_task.cc) and the
// training code (LibTorch, worker/accuracy_methods.cc). This header includes
// neither, so no translation unit sees both LibTorch and generated protobuf
// headers (their protobuf copies can disagree).
#ifndef EDGENAS_WORKER_ACCURACY_PLAN_H_
#define EDGENAS_WORKER_ACCURACY_PLAN_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/artifact_names.h"
#include "common/input_shape.h"
#include "common/space_registry.h"
#include "worker/datasets/dataset_plan.h"

namespace edgenas {

// Task operations a worker knows (Task.operation).
inline constexpr char kOpEvaluate[] = "";  // the candidate, by evaluation.mode
inline constexpr char kOpTrainTeacher[] = "train_teacher";
inline constexpr char kOpTrainSupernet[] = "train_supernet";
// The full schedule, weights kept: a multi-fidelity rung (or a finalist of
// a job stored before "finalize").
inline constexpr char kOpFullTrain[] = "full_train";
// A finalist (proxy modes' FINALIZING): the full schedule, weights kept,
// and its accuracy on the test split.
inline constexpr char kOpFinalize[] = "finalize";
// A candidate whose weights are stored: its accuracy on the test split.
inline constexpr char kOpTestEval[] = "test_eval";
// Multi-fidelity rungs of a candidate (any mode): the method by name.
inline constexpr char kOpFlashDistill[] = "flash_distill";
inline constexpr char kOpSupernet[] = "supernet";


struct AccuracyPlan {
  std::string operation;  // one of kOp*
  std::string mode;       // evaluation.mode: full_train, flash_distill, supernet
  std::string job_id;
  std::string candidate_id;  // "" for job-level operations
  std::string arch;          // the candidate's text form ("" for job-level)
  SpaceConfig space;
  uint64_t job_seed = 0;
  std::string dataset_dir;  // the dataset's path (as dataset.path)
  DatasetPlan dataset;      // the job's dataset block (name, folder settings)
  InputShape input;  // the job's network input and class count
  int validation_examples = 0;
  int batch_size = 0;
  double learning_rate = 0.0;
  int train_steps = 0;  // full_train mode: steps per candidate
  int full_steps = 0;   // the full schedule (finalize.train_steps)
  // flash_distill
  std::string teacher_arch;
  int teacher_channels = 0;
  int teacher_cells_per_stage = 0;
  int teacher_steps = 0;
  double distill_fraction = 0.0;
  double distill_alpha = 0.0;
  double distill_temperature = 0.0;
  double feature_weight = 0.0;
  // supernet
  int supernet_steps = 0;
  int calibration_examples = 0;
};

// One reported value with where it came from and what it cost.
struct ReportedMetric {
  std::string name;
  double value = 0.0;
  std::string source;  // e.g. "worker:flash_distill:cpu"
  int64_t steps = 0;
  double cost_seconds = 0.0;
  double std_error = 0.0;
  std::string method;  // how it was measured, when the source does not say it all
};

struct AccuracyReport {
  std::vector<ReportedMetric> metrics;
  std::vector<std::string> notes;
};

// Where a worker keeps and fetches per-job checkpoints (the coordinator's
// ArtifactService in the binary, a map in tests).
struct ArtifactAccess {
  std::function<absl::Status(const std::string& job_id, const std::string& name,
                             const std::string& bytes)>
      upload;
  std::function<absl::StatusOr<std::string>(const std::string& job_id, const std::string& name)>
      download;
  // Optional: the content's SHA-256 without its bytes, so that a worker
  // holding a checkpoint already skips fetching it for every candidate.
  std::function<absl::StatusOr<std::string>(const std::string& job_id, const std::string& name)>
      content_hash;
};

}  // namespace edgenas

#endif  // EDGENAS_WORKER_ACCURACY_PLAN_H_
