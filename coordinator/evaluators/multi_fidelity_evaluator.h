// MultiFidelityEvaluator (evaluation.mode "multi_fidelity"): chains the
// accuracy methods of evaluation.multi_fidelity.rungs by asynchronous
// successive halving. Every candidate is measured by rungs[0]; when a
// rung's accuracy arrives, the candidate is promoted to the next rung if
// PromotedAtRung says so, else it is finished at that rung. Job-level tasks
// are those of the methods used (teacher, supernet); a candidate's first
// rung waits only for its own method's. Rung tasks are accuracy tasks with
// Task.operation = the method ("<candidate>.accuracy" for rung 0,
// "<candidate>.accuracy.r<k>" after), requiring "accuracy:<method>"; their
// metrics carry Metric.fidelity = k. FINALIZING fully trains the front's
// best as in the proxy modes.
#ifndef EDGENAS_COORDINATOR_EVALUATORS_MULTI_FIDELITY_EVALUATOR_H_
#define EDGENAS_COORDINATOR_EVALUATORS_MULTI_FIDELITY_EVALUATOR_H_

#include <string>
#include <vector>

#include "coordinator/evaluators/proxy_evaluator.h"

namespace edgenas {

// ASHA's promotion rule with the decision taken when the value arrives:
// true when `value` ranks within the best ceil(n / eta) of the n values in
// `rung_values` (which include it); ties count in its favour. Higher is
// better.
bool PromotedAtRung(double value, const std::vector<double>& rung_values, double eta);

class MultiFidelityEvaluator : public ProxyEvaluator {
 public:
  MultiFidelityEvaluator();

  // "<job>.train_supernet" and/or "<job>.train_teacher", as the rungs need.
  std::vector<TaskRecord> PrepareTasks(const v1::Job& job, int64_t now_ms) const override;
  // The rung-0 accuracy task (depending on its method's prepare task) when
  // a worker metric is needed, and one latency task per device class.
  std::vector<TaskRecord> CandidateTasks(const v1::Job& job, const v1::Candidate& candidate,
                                         const std::vector<std::string>& prepare_task_ids,
                                         int64_t now_ms) const override;
  // The next rung's task when the candidate is promoted from its task's rung.
  std::vector<TaskRecord> FollowUpTasks(const v1::Job& job, const v1::Candidate& candidate,
                                        const TaskRecord& task, double value,
                                        const std::vector<double>& rung_values, int64_t now_ms,
                                        std::vector<std::string>* notes) const override;
  // The proxy modes' finalists; those that already reached a full_train
  // rung are fully trained with their weights kept (a second run would
  // overwrite that rung's value, same source), so they get a "test_eval"
  // task instead, for their test_accuracy.
  std::vector<TaskRecord> FinalizeTasks(const v1::Job& job,
                                        const std::vector<v1::Candidate>& front,
                                        int64_t now_ms) const override;
  // The rung index of a candidate accuracy task's method (0 for other tasks).
  int Fidelity(const v1::Job& job, const TaskRecord& task) const override;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EVALUATORS_MULTI_FIDELITY_EVALUATOR_H_
