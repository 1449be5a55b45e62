#include "coordinator/evaluators/proxy_evaluator.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/metric_names.h"
#include "coordinator/evaluators/candidate_tasks.h"
#include "coordinator/search_value.h"

namespace edgenas {
std::string AccuracyCapability(const std::string& mode) { return absl::StrCat("accuracy:", mode); }

ProxyEvaluator::ProxyEvaluator(std::string mode)
    : mode_(std::move(mode)),
      prepare_operation_(mode_ == "supernet" ? kOperationTrainSupernet : kOperationTrainTeacher) {}

std::vector<TaskRecord> ProxyEvaluator::PrepareTasks(const v1::Job& job, int64_t now_ms) const {
  TaskRecord t = MakeTask(job, "", absl::StrCat(job.id(), ".", prepare_operation_),
                          TaskKind::kAccuracy, now_ms);
  t.operation = prepare_operation_;
  t.requires_capabilities.push_back(AccuracyCapability(mode_));
  return {t};
}

std::vector<TaskRecord> ProxyEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& c, const std::vector<std::string>& prepare_task_ids,
    int64_t now_ms) const {
  return MeasureCandidate(job, c, prepare_task_ids, now_ms, AccuracyCapability(mode_));
}

std::vector<TaskRecord> ProxyEvaluator::FinalizeTasks(const v1::Job& job,
                                                      const std::vector<v1::Candidate>& front,
                                                      int64_t now_ms) const {
  const auto& spec = job.spec();
  const int top_k = spec.evaluation().finalize().top_k();
  if (top_k <= 0 || front.empty() || spec.objectives_size() == 0) return {};
  // Rank by accuracy when it is an objective, else by the first objective.
  v1::Objective key = spec.objectives(0);
  for (const auto& o : spec.objectives()) {
    if (o.metric() == kMetricAccuracy) key = o;
  }
  const std::string device_class =
      IsDeviceMetric(key.metric()) ? key.device_class() : std::string();
  const bool maximize = key.direction() == v1::MAXIMIZE;
  std::vector<const v1::Candidate*> ranked;
  for (const auto& c : front) {
    if (FindMetric(c, key.metric(), device_class)) ranked.push_back(&c);
  }
  std::sort(ranked.begin(), ranked.end(), [&](const v1::Candidate* a, const v1::Candidate* b) {
    const double va = *FindMetric(*a, key.metric(), device_class);
    const double vb = *FindMetric(*b, key.metric(), device_class);
    if (va != vb) return maximize ? va > vb : va < vb;
    return a->sequence() < b->sequence();
  });
  if (static_cast<int>(ranked.size()) > top_k) ranked.resize(top_k);
  std::vector<TaskRecord> tasks;
  for (const v1::Candidate* c : ranked) {
    TaskRecord t = MakeTask(job, c->id(), absl::StrCat(c->id(), ".", kOperationFullTrain),
                            TaskKind::kAccuracy, now_ms);
    t.operation = kOperationFinalize;
    t.requires_capabilities.push_back(AccuracyCapability("full_train"));
    tasks.push_back(std::move(t));
  }
  return tasks;
}

bool ProxyEvaluator::MetricBelongs(const TaskRecord& task, const std::string& metric) const {
  if (task.operation == kOperationTrainSupernet) {
    return metric == kMetricTrainSeconds || metric == kMetricParams;
  }
  return Evaluator::MetricBelongs(task, metric);
}

std::string ProxyEvaluator::MainMetric(const TaskRecord& task) const {
  if (task.operation == kOperationTrainSupernet) return kMetricTrainSeconds;
  return Evaluator::MainMetric(task);
}

}  // namespace edgenas
