// Evaluator: the seam between the job manager and an evaluation method
// (table lookup, supernet, flash distillation, full training, ...). It
// turns a job and its candidates into tasks for workers and agents:
//   * PrepareTasks: job-level tasks run before the search (teacher,
//     supernet); the job is PREPARING until every one is done.
//   * CandidateTasks: the tasks that measure one candidate; they may depend
//     on prepare tasks and on each other (TaskRecord::depends_on), and may
//     require executor capabilities (TaskRecord::requires_capabilities).
//   * FinalizeTasks: tasks run after the search on the front (full training
//     of the finalists); the job is FINALIZING until they end.
// Adding an evaluation method is one new .cc behind this interface plus one
// line in evaluator_registry.cc; the job manager does not change.
// Implementations are immutable and thread-compatible.
#ifndef EDGENAS_COORDINATOR_EVALUATORS_EVALUATOR_H_
#define EDGENAS_COORDINATOR_EVALUATORS_EVALUATOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_spec.h"
#include "coordinator/store/task_record.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

// Operations of FINALIZING tasks on the front (Task.operation), known to
// every evaluator's MetricBelongs / MainMetric:
// a finalist's full training that also measures test_accuracy;
inline constexpr char kOperationFinalize[] = "finalize";
// test_accuracy of a candidate whose trained weights are stored already.
inline constexpr char kOperationTestEval[] = "test_eval";

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // The evaluation.mode this evaluator serves.
  virtual std::string Name() const = 0;

  // Job-level tasks to finish before the first candidate (candidate_id "").
  virtual std::vector<TaskRecord> PrepareTasks(const v1::Job& job, int64_t now_ms) const {
    return {};
  }
  // Tasks that measure `candidate`. `prepare_task_ids` lists the job's
  // prepare tasks, for depends_on. Ids must be unique within the job.
  virtual std::vector<TaskRecord> CandidateTasks(const v1::Job& job,
                                                 const v1::Candidate& candidate,
                                                 const std::vector<std::string>& prepare_task_ids,
                                                 int64_t now_ms) const = 0;
  // Tasks to run on the final front (candidate_id set, operation non-empty).
  virtual std::vector<TaskRecord> FinalizeTasks(const v1::Job& job,
                                                const std::vector<v1::Candidate>& front,
                                                int64_t now_ms) const {
    return {};
  }
  // Tasks to add to the still-pending `candidate` now that its `task`
  // reported main-metric `value` (multi-fidelity promotion). `rung_values`
  // holds every value reported at the task's fidelity in this job, this one
  // included. Why the candidate was or was not promoted goes to `notes`.
  // Default: none.
  virtual std::vector<TaskRecord> FollowUpTasks(const v1::Job& job,
                                                const v1::Candidate& candidate,
                                                const TaskRecord& task, double value,
                                                const std::vector<double>& rung_values,
                                                int64_t now_ms,
                                                std::vector<std::string>* notes) const {
    return {};
  }
  // The fidelity (Metric.fidelity) of a candidate task's results: the rung
  // of a multi-fidelity job; default 0.
  virtual int Fidelity(const v1::Job& job, const TaskRecord& task) const { return 0; }
  // True when a task may report `metric` (Complete refuses other names).
  // Default: accuracy tasks report accuracy, params, flops, train_seconds
  // ("finalize" also test_accuracy; "test_eval" test_accuracy only);
  // latency tasks report latency_ms, latency_p90_ms, latency_cv,
  // latency_runs, energy_mj; both may report the model's params and flops
  // (counted on the network they built).
  virtual bool MetricBelongs(const TaskRecord& task, const std::string& metric) const;
  // The metric a task must report to count as done (default: accuracy or
  // latency_ms by kind; test_accuracy for "test_eval").
  virtual std::string MainMetric(const TaskRecord& task) const;
};

using EvaluatorFactory = std::function<std::unique_ptr<Evaluator>()>;

// Creates the evaluator for spec.evaluation.mode; INVALID_ARGUMENT naming
// "evaluation.mode" and listing the known modes otherwise.
absl::StatusOr<std::unique_ptr<Evaluator>> CreateEvaluator(const v1::JobSpec& spec);

// Mode names accepted by CreateEvaluator, in registration order.
std::vector<std::string> KnownEvaluators();

// The strategy names (KnownStrategies) and evaluation modes (KnownEvaluators)
// that NormalizeJobSpec accepts: the coordinator's registries are the only
// lists of them.
const JobSpecNames& RegisteredJobSpecNames();

// One "<candidate>.test_eval" task per candidate in `front` (operation
// kOperationTestEval; requiring `capability` unless it is empty).
std::vector<TaskRecord> TestEvalTasks(const v1::Job& job, const std::vector<v1::Candidate>& front,
                                      const std::string& capability, int64_t now_ms);

// A task skeleton for `job` with the job's attempt limit and timestamps.
TaskRecord MakeTask(const v1::Job& job, const std::string& candidate_id, const std::string& id,
                    TaskKind kind, int64_t now_ms);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EVALUATORS_EVALUATOR_H_
