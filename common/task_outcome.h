// TaskOutcome: what an executor reports with Complete for one task.
#ifndef EDGENAS_COMMON_TASK_OUTCOME_H_
#define EDGENAS_COMMON_TASK_OUTCOME_H_

#include <string>
#include <vector>

#include "edgenas/v1/common.pb.h"

namespace edgenas {

struct TaskOutcome {
  // Metrics to report (names from common/metric_names.h).
  std::vector<edgenas::v1::Metric> metrics;
  // Notes to report (e.g. "energy_mj unavailable: no powercap meter").
  std::vector<std::string> notes;
};

}  // namespace edgenas

#endif  // EDGENAS_COMMON_TASK_OUTCOME_H_
