// ProxyEvaluator: the evaluation modes that estimate accuracy cheaply from a
// job-level network trained once while the job is PREPARING, then confirm
// the final front by full training while it is FINALIZING:
//   * "flash_distill": a teacher ("train_teacher"); each candidate is
//     distilled from it for a fraction of the full schedule;
//   * "supernet": a weight-sharing supernet ("train_supernet"); each
//     candidate is evaluated with inherited weights after batch-norm
//     recalibration.
// Every accuracy task of such a job requires the worker capability
// "accuracy:<mode>" (the finalists' full training "accuracy:full_train"), so
// it reaches only workers that know the method. Latency and energy go to
// agents exactly as in a measured job.
#ifndef EDGENAS_COORDINATOR_EVALUATORS_PROXY_EVALUATOR_H_
#define EDGENAS_COORDINATOR_EVALUATORS_PROXY_EVALUATOR_H_

#include <string>
#include <vector>

#include "coordinator/evaluators/evaluator.h"

namespace edgenas {

// Operation names of the tasks these evaluators create (Task.operation).
inline constexpr char kOperationTrainTeacher[] = "train_teacher";
inline constexpr char kOperationTrainSupernet[] = "train_supernet";
// A multi-fidelity rung of full training (finalists use kOperationFinalize).
inline constexpr char kOperationFullTrain[] = "full_train";

class ProxyEvaluator : public Evaluator {
 public:
  // `mode` is "flash_distill" or "supernet".
  explicit ProxyEvaluator(std::string mode);

  std::string Name() const override { return mode_; }
  // One job-level task "<job>.<operation>" (teacher or supernet).
  std::vector<TaskRecord> PrepareTasks(const v1::Job& job, int64_t now_ms) const override;
  // An accuracy task depending on the prepare task when a worker metric is
  // needed, and one latency task per device class.
  std::vector<TaskRecord> CandidateTasks(const v1::Job& job, const v1::Candidate& candidate,
                                         const std::vector<std::string>& prepare_task_ids,
                                         int64_t now_ms) const override;
  // "<candidate>.full_train" (operation "finalize": full training, weights
  // kept, test_accuracy measured) for the front's evaluation.finalize.top_k
  // best (by accuracy when it is an objective, else by the first objective;
  // ties by sequence); none when top_k is -1.
  std::vector<TaskRecord> FinalizeTasks(const v1::Job& job,
                                        const std::vector<v1::Candidate>& front,
                                        int64_t now_ms) const override;
  // The supernet task reports train_seconds and params only; the teacher
  // and candidates report what any accuracy task does.
  bool MetricBelongs(const TaskRecord& task, const std::string& metric) const override;
  // train_seconds for the supernet task (it has no accuracy of its own).
  std::string MainMetric(const TaskRecord& task) const override;

 private:
  std::string mode_;
  std::string prepare_operation_;
};

// The capability a worker registers for evaluation mode `mode`
// ("accuracy:<mode>").
std::string AccuracyCapability(const std::string& mode);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EVALUATORS_PROXY_EVALUATOR_H_
