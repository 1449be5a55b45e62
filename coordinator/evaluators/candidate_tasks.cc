#include "coordinator/evaluators/candidate_tasks.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/metric_names.h"
#include "coordinator/evaluators/evaluator.h"

namespace edgenas {

CandidateNeeds NeedsOf(const v1::JobSpec& spec) {
  CandidateNeeds needs;
  auto note = [&needs](const std::string& metric, const std::string& device_class) {
    if (IsDeviceMetric(metric)) {
      needs.device_classes[device_class] |= metric == kMetricEnergyMj;
    } else {
      needs.worker_metric = true;  // accuracy, params and train_seconds come from a worker
    }
  };
  for (const auto& o : spec.objectives()) note(o.metric(), o.device_class());
  for (const auto& k : spec.constraints()) note(k.metric(), k.device_class());
  return needs;
}

TaskRecord CandidateAccuracyTask(const v1::Job& job, const v1::Candidate& candidate,
                                 const std::vector<std::string>& prepare_task_ids, int64_t now_ms) {
  TaskRecord t = MakeTask(job, candidate.id(), absl::StrCat(candidate.id(), ".accuracy"),
                          TaskKind::kAccuracy, now_ms);
  t.depends_on = prepare_task_ids;
  return t;
}

std::vector<TaskRecord> CandidateLatencyTasks(const v1::Job& job, const v1::Candidate& candidate,
                                              const CandidateNeeds& needs, int64_t now_ms) {
  std::vector<TaskRecord> tasks;
  for (const auto& [dc, energy] : needs.device_classes) {
    TaskRecord t = MakeTask(job, candidate.id(), absl::StrCat(candidate.id(), ".latency.", dc),
                            TaskKind::kLatency, now_ms);
    t.device_class = dc;
    if (energy) t.requires_capabilities.push_back(kCapabilityEnergyMeter);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

std::vector<TaskRecord> MeasureCandidate(const v1::Job& job, const v1::Candidate& candidate,
                                         const std::vector<std::string>& prepare_task_ids,
                                         int64_t now_ms, const std::string& accuracy_capability) {
  const CandidateNeeds needs = NeedsOf(job.spec());
  std::vector<TaskRecord> tasks;
  if (needs.worker_metric) {
    tasks.push_back(CandidateAccuracyTask(job, candidate, prepare_task_ids, now_ms));
    if (!accuracy_capability.empty()) {
      tasks.back().requires_capabilities.push_back(accuracy_capability);
    }
  }
  for (TaskRecord& t : CandidateLatencyTasks(job, candidate, needs, now_ms)) {
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace edgenas
