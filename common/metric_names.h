// The metric names edgenas knows, with their units and default directions.
// Objectives, constraints and reported results must use these names.
#ifndef EDGENAS_COMMON_METRIC_NAMES_H_
#define EDGENAS_COMMON_METRIC_NAMES_H_

#include <cstddef>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace edgenas {

inline constexpr char kMetricAccuracy[] = "accuracy";          // fraction in [0, 1]
inline constexpr char kMetricLatencyMs[] = "latency_ms";       // median, ms
inline constexpr char kMetricLatencyP90Ms[] = "latency_p90_ms";
inline constexpr char kMetricLatencyCv[] = "latency_cv";       // stddev / mean
inline constexpr char kMetricLatencyRuns[] = "latency_runs";
inline constexpr char kMetricEnergyMj[] = "energy_mj";         // per inference
inline constexpr char kMetricParams[] = "params";
// Multiply-accumulates per image, counted analytically (common/network_cost.h):
// edgenas's "flops" counts multiply-adds, as the MobileNet and Once-for-All
// papers do (not 2x, as some FLOP counters).
inline constexpr char kMetricFlops[] = "flops";
inline constexpr char kMetricTrainSeconds[] = "train_seconds";
// Accuracy on the dataset's test split, measured once per winner after the
// search (never seen by it): shown beside the search's accuracy, never an
// objective or constraint (job specs naming it are refused).
inline constexpr char kMetricTestAccuracy[] = "test_accuracy";

// The longest Metric.method the coordinator accepts (longer is refused).
inline constexpr size_t kMaxMetricMethodChars = 512;

// True for names in the list above.
bool IsKnownMetric(absl::string_view name);
// Metrics that an objective or constraint may name.
const std::vector<std::string>& ObjectiveMetrics();
// True when the metric is measured by a device agent (latency, energy).
bool IsDeviceMetric(absl::string_view name);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_METRIC_NAMES_H_
