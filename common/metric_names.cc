#include "common/metric_names.h"

#include <algorithm>

namespace edgenas {

bool IsKnownMetric(absl::string_view name) {
  static const std::vector<std::string>* all = new std::vector<std::string>{
      kMetricAccuracy, kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv, kMetricLatencyRuns,
      kMetricEnergyMj, kMetricParams,    kMetricFlops,        kMetricTrainSeconds,
      kMetricTestAccuracy};
  return std::find(all->begin(), all->end(), name) != all->end();
}

const std::vector<std::string>& ObjectiveMetrics() {
  static const std::vector<std::string>* names = new std::vector<std::string>{
      kMetricAccuracy, kMetricLatencyMs, kMetricEnergyMj, kMetricParams, kMetricFlops,
      kMetricTrainSeconds};
  return *names;
}

bool IsDeviceMetric(absl::string_view name) {
  return name == kMetricLatencyMs || name == kMetricLatencyP90Ms || name == kMetricLatencyCv ||
         name == kMetricLatencyRuns || name == kMetricEnergyMj;
}

}  // namespace edgenas
