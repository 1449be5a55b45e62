#include "coordinator/evaluators/measure_evaluator.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "common/metric_names.h"

namespace edgenas {

std::vector<TaskRecord> MeasureEvaluator::CandidateTasks(
    const v1::Job& job, const v1::Candidate& c, const std::vector<std::string>& prepare_task_ids,
    int64_t now_ms) const {
  bool need_accuracy = false;
  std::map<std::string, bool> device_classes;  // class -> needs energy
  auto note = [&](const std::string& metric, const std::string& device_class) {
    if (IsDeviceMetric(metric)) {
      device_classes[device_class] |= metric == kMetricEnergyMj;
    } else {
      need_accuracy = true;  // accuracy, params and train_seconds come from a worker
    }
  };
  for (const auto& o : job.spec().objectives()) note(o.metric(), o.device_class());
  for (const auto& k : job.spec().constraints()) note(k.metric(), k.device_class());

  std::vector<TaskRecord> tasks;
  if (need_accuracy) {
    tasks.push_back(MakeTask(job, c.id(), absl::StrCat(c.id(), ".accuracy"), TaskKind::kAccuracy,
                             now_ms));
    tasks.back().depends_on = prepare_task_ids;
  }
  for (const auto& [dc, energy] : device_classes) {
    TaskRecord t = MakeTask(job, c.id(), absl::StrCat(c.id(), ".latency.", dc),
                            TaskKind::kLatency, now_ms);
    t.device_class = dc;
    if (energy) t.requires_capabilities.push_back(kCapabilityEnergyMeter);
    tasks.push_back(std::move(t));
  }
  return tasks;
}

}  // namespace edgenas
