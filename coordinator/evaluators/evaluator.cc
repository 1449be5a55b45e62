#include "coordinator/evaluators/evaluator.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

#include "common/metric_names.h"

namespace edgenas {

bool Evaluator::MetricBelongs(const TaskRecord& task, const std::string& metric) const {
  if (task.kind == TaskKind::kAccuracy && task.operation == kOperationTestEval) {
    return metric == kMetricTestAccuracy;
  }
  if (metric == kMetricTestAccuracy) {
    return task.kind == TaskKind::kAccuracy && task.operation == kOperationFinalize;
  }
  static const std::vector<std::string>* accuracy = new std::vector<std::string>{
      kMetricAccuracy, kMetricParams, kMetricFlops, kMetricTrainSeconds};
  static const std::vector<std::string>* latency = new std::vector<std::string>{
      kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv, kMetricLatencyRuns,
      kMetricEnergyMj,  kMetricParams,       kMetricFlops};
  const auto* names = task.kind == TaskKind::kAccuracy ? accuracy : latency;
  return std::find(names->begin(), names->end(), metric) != names->end();
}

std::string Evaluator::MainMetric(const TaskRecord& task) const {
  if (task.kind == TaskKind::kAccuracy && task.operation == kOperationTestEval) {
    return kMetricTestAccuracy;
  }
  return task.kind == TaskKind::kAccuracy ? kMetricAccuracy : kMetricLatencyMs;
}

std::vector<TaskRecord> TestEvalTasks(const v1::Job& job, const std::vector<v1::Candidate>& front,
                                      const std::string& capability, int64_t now_ms) {
  std::vector<TaskRecord> tasks;
  for (const v1::Candidate& c : front) {
    TaskRecord t = MakeTask(job, c.id(), absl::StrCat(c.id(), ".", kOperationTestEval),
                            TaskKind::kAccuracy, now_ms);
    t.operation = kOperationTestEval;
    if (!capability.empty()) t.requires_capabilities.push_back(capability);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

TaskRecord MakeTask(const v1::Job& job, const std::string& candidate_id, const std::string& id,
                    TaskKind kind, int64_t now_ms) {
  TaskRecord t;
  t.task_id = id;
  t.job_id = job.id();
  t.candidate_id = candidate_id;
  t.kind = kind;
  t.max_attempts = job.spec().max_attempts() > 0 ? job.spec().max_attempts() : 3;
  t.created_ms = now_ms;
  t.updated_ms = now_ms;
  return t;
}

}  // namespace edgenas
