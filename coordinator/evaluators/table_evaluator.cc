#include "coordinator/evaluators/table_evaluator.h"

#include <utility>

#include "common/metric_names.h"
#include "coordinator/evaluators/candidate_tasks.h"

namespace edgenas {

std::vector<TaskRecord> TableEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& c, const std::vector<std::string>& prepare_task_ids,
    int64_t now_ms) const {
  const CandidateNeeds needs = NeedsOf(job.spec());
  std::vector<TaskRecord> tasks;
  if (needs.worker_metric) {
    tasks.push_back(CandidateAccuracyTask(job, c, prepare_task_ids, now_ms));
    tasks.back().requires_capabilities.push_back(kCapabilityAccuracyTable);
  }
  for (TaskRecord& t : CandidateLatencyTasks(job, c, needs, now_ms)) tasks.push_back(std::move(t));
  return tasks;
}

bool TableEvaluator::MetricBelongs(const TaskRecord& task, const std::string& metric) const {
  if (task.kind == TaskKind::kAccuracy) return metric == kMetricAccuracy;
  return Evaluator::MetricBelongs(task, metric);
}

}  // namespace edgenas
