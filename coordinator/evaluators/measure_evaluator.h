// MeasureEvaluator: one accuracy task per candidate (a worker trains and
// validates it, as evaluation.mode says) when any objective or constraint
// needs a worker metric, and one latency task per device class named by a
// device metric (an agent of that class measures it). A task for a job that
// uses energy_mj on a device class requires the "energy_meter" capability,
// so it never goes to an agent that cannot measure energy.
#ifndef EDGENAS_COORDINATOR_EVALUATORS_MEASURE_EVALUATOR_H_
#define EDGENAS_COORDINATOR_EVALUATORS_MEASURE_EVALUATOR_H_

#include <string>
#include <vector>

#include "coordinator/evaluators/candidate_tasks.h"  // kCapabilityEnergyMeter
#include "coordinator/evaluators/evaluator.h"

namespace edgenas {

class MeasureEvaluator : public Evaluator {
 public:
  explicit MeasureEvaluator(std::string mode) : mode_(std::move(mode)) {}
  std::string Name() const override { return mode_; }
  std::vector<TaskRecord> CandidateTasks(const v1::Job& job, const v1::Candidate& candidate,
                                         const std::vector<std::string>& prepare_task_ids,
                                         int64_t now_ms) const override;
  // full_train mode, when candidates are trained (a worker metric is
  // needed): one "<candidate>.test_eval" task per front member, whose
  // stored weights give its test_accuracy. None otherwise.
  std::vector<TaskRecord> FinalizeTasks(const v1::Job& job,
                                        const std::vector<v1::Candidate>& front,
                                        int64_t now_ms) const override;

 private:
  std::string mode_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EVALUATORS_MEASURE_EVALUATOR_H_
