#include "coordinator/evaluators/evaluator.h"

#include <algorithm>

#include "common/metric_names.h"

namespace edgenas {

bool Evaluator::MetricBelongs(const TaskRecord& task, const std::string& metric) const {
  static const std::vector<std::string>* accuracy = new std::vector<std::string>{
      kMetricAccuracy, kMetricParams, kMetricFlops, kMetricTrainSeconds};
  static const std::vector<std::string>* latency = new std::vector<std::string>{
      kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv, kMetricLatencyRuns,
      kMetricEnergyMj,  kMetricParams,       kMetricFlops};
  const auto* names = task.kind == TaskKind::kAccuracy ? accuracy : latency;
  return std::find(names->begin(), names->end(), metric) != names->end();
}

std::string Evaluator::MainMetric(const TaskRecord& task) const {
  return task.kind == TaskKind::kAccuracy ? kMetricAccuracy : kMetricLatencyMs;
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
