#include "coordinator/evaluators/table_evaluator.h"

#include <utility>

#include "common/metric_names.h"
#include "coordinator/evaluators/candidate_tasks.h"

namespace edgenas {

std::vector<TaskRecord> TableEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& c, const std::vector<std::string>& prepare_task_ids,
    int64_t now_ms) const {
  return MeasureCandidate(job, c, prepare_task_ids, now_ms, kCapabilityAccuracyTable);
}

bool TableEvaluator::MetricBelongs(const TaskRecord& task, const std::string& metric) const {
  if (task.kind == TaskKind::kAccuracy) return metric == kMetricAccuracy;
  return Evaluator::MetricBelongs(task, metric);
}

}  // namespace edgenas
