#include "coordinator/search_value.h"

namespace edgenas {

const v1::Metric* SearchMetric(const v1::Candidate& c, const std::string& name,
                               const std::string& device_class) {
  const v1::Metric* best = nullptr;
  for (const v1::Metric& m : c.metrics()) {
    if (m.name() != name || m.device_class() != device_class || m.fidelity() < 0) continue;
    if (best == nullptr || m.fidelity() > best->fidelity()) best = &m;
  }
  return best;
}

std::optional<double> FindMetric(const v1::Candidate& c, const std::string& name,
                                 const std::string& device_class) {
  const v1::Metric* m = SearchMetric(c, name, device_class);
  if (m == nullptr) return std::nullopt;
  return m->value();
}

}  // namespace edgenas
