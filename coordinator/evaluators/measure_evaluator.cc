#include "coordinator/evaluators/measure_evaluator.h"

#include "coordinator/evaluators/candidate_tasks.h"

namespace edgenas {

std::vector<TaskRecord> MeasureEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& c, const std::vector<std::string>& prepare_task_ids,
    int64_t now_ms) const {
  return MeasureCandidate(job, c, prepare_task_ids, now_ms, "");
}

std::vector<TaskRecord> MeasureEvaluator::FinalizeTasks(const v1::Job& job,
                                                        const std::vector<v1::Candidate>& front,
                                                        int64_t now_ms) const {
  if (mode_ != "full_train" || !NeedsOf(job.spec()).worker_metric) return {};
  // Workers of full_train candidates need no capability; nor does this.
  return TestEvalTasks(job, front, /*capability=*/"", now_ms);
}

}  // namespace edgenas
