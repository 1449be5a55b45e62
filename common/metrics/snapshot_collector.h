// Metrics read from live state at scrape time: a SnapshotCollector calls a
// function that builds gauge families (jobs by state, queue depth, per-job
// progress...), so series of things that went away (an ended job) vanish
// with them and no code path has to remember to update a gauge.
#ifndef EDGENAS_COMMON_METRICS_SNAPSHOT_COLLECTOR_H_
#define EDGENAS_COMMON_METRICS_SNAPSHOT_COLLECTOR_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"

namespace edgenas {

// One gauge family being filled for a scrape.
class GaugeFamilyBuilder {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  // `name` must follow the metric naming rules (edgenas_ prefix, unit suffix).
  GaugeFamilyBuilder(std::string name, std::string help);
  // Adds one series; label values must be bounded (no ids but job ids).
  void Add(const Labels& labels, double value);
  prometheus::MetricFamily Build() && { return std::move(family_); }

 private:
  prometheus::MetricFamily family_;
};

class SnapshotCollector : public prometheus::Collectable {
 public:
  using Snapshot = std::function<std::vector<prometheus::MetricFamily>()>;
  // `snapshot` runs on the metrics server's thread at every scrape; it must
  // be thread-safe and outlive the collector's registration.
  explicit SnapshotCollector(Snapshot snapshot) : snapshot_(std::move(snapshot)) {}
  std::vector<prometheus::MetricFamily> Collect() const override { return snapshot_(); }

 private:
  const Snapshot snapshot_;
};

// `count` bucket bounds start, start*factor, start*factor^2, ...
prometheus::Histogram::BucketBoundaries ExponentialBuckets(double start, double factor,
                                                           int count);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_METRICS_SNAPSHOT_COLLECTOR_H_
