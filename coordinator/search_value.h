// Which of a candidate's stored values of a metric the search uses. A
// candidate may hold several values of one metric, one per source: the
// rungs of a multi-fidelity job (Metric.fidelity 0, 1, ...) and a
// finalist's full training after the search (fidelity -1). The search's
// value is the one of the highest rung (fidelity >= 0), the first stored
// among equals; a finalist's value is shown beside it and never replaces it.
#ifndef EDGENAS_COORDINATOR_SEARCH_VALUE_H_
#define EDGENAS_COORDINATOR_SEARCH_VALUE_H_

#include <optional>
#include <string>

#include "edgenas/v1/common.pb.h"

namespace edgenas {

// The search's value of metric `name` on `device_class` ("" for
// device-independent metrics), or null when the candidate has none.
const v1::Metric* SearchMetric(const v1::Candidate& c, const std::string& name,
                               const std::string& device_class);

// SearchMetric's value, if any.
std::optional<double> FindMetric(const v1::Candidate& c, const std::string& name,
                                 const std::string& device_class);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_SEARCH_VALUE_H_
