#include "coordinator/evaluators/measure_evaluator.h"

#include "coordinator/evaluators/candidate_tasks.h"

namespace edgenas {

std::vector<TaskRecord> MeasureEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& c, const std::vector<std::string>& prepare_task_ids,
    int64_t now_ms) const {
  return MeasureCandidate(job, c, prepare_task_ids, now_ms, "");
}

}  // namespace edgenas
