#include "common/metrics/snapshot_collector.h"

namespace edgenas {

GaugeFamilyBuilder::GaugeFamilyBuilder(std::string name, std::string help) {
  family_.name = std::move(name);
  family_.help = std::move(help);
  family_.type = prometheus::MetricType::Gauge;
}

void GaugeFamilyBuilder::Add(const Labels& labels, double value) {
  prometheus::ClientMetric metric;
  for (const auto& [name, label_value] : labels) metric.label.push_back({name, label_value});
  metric.gauge.value = value;
  family_.metric.push_back(std::move(metric));
}

prometheus::Histogram::BucketBoundaries ExponentialBuckets(double start, double factor,
                                                           int count) {
  prometheus::Histogram::BucketBoundaries bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

}  // namespace edgenas
