// CoordinatorMetrics: the coordinator's Prometheus metrics. Events the core
// reports through CoordinatorObserver become counters and histograms; the
// live state (JobManager::Snapshot) becomes gauges at every scrape, so the
// per-job series (label job_id) exist exactly while the job is unfinished.
// Label values are bounded: kinds, states, device classes, a normalised
// metric source; never a candidate, task or architecture.
#ifndef EDGENAS_COORDINATOR_METRICS_COORDINATOR_METRICS_H_
#define EDGENAS_COORDINATOR_METRICS_COORDINATOR_METRICS_H_

#include <string>
#include <vector>

#include "coordinator/coordinator_observer.h"
#include "coordinator/coordinator_snapshot.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

namespace edgenas {

class CoordinatorMetrics final : public CoordinatorObserver {
 public:
  // Registers the event families in `registry` (which must outlive this).
  explicit CoordinatorMetrics(prometheus::Registry& registry);

  void OnBatchCommitted(double seconds, int operations, bool ok) override;
  void OnTaskEnded(TaskKind kind, TaskState state, double leased_seconds) override;
  void OnLeaseExpired(TaskKind kind, bool requeued) override;
  void OnTaskRetried(TaskKind kind) override;
  void OnResultAccepted(TaskKind kind, const std::string& source) override;

 private:
  prometheus::Histogram& commit_seconds_;
  prometheus::Counter& commit_operations_;
  prometheus::Counter& commit_failures_;
  prometheus::Family<prometheus::Counter>& tasks_finished_;
  prometheus::Family<prometheus::Histogram>& task_duration_;
  prometheus::Family<prometheus::Counter>& lease_expiries_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& results_;
};

// The gauge families of one snapshot: jobs by state, tasks by kind and
// state, queue depth by kind, executors (registered and live) by kind and
// device class, and per unfinished job its candidates, budget, hypervolume,
// front size, best accuracy and elapsed time.
std::vector<prometheus::MetricFamily> SnapshotFamilies(const CoordinatorSnapshot& snapshot);

// A metric source reduced to a bounded label: "worker:<method>:<device>"
// for known methods and devices, "agent:<runner>" for known runners, the
// bare kind for table and replay sources (whose suffix is a user's column
// name), "none" for empty and "other" for anything else.
std::string BoundedSourceLabel(const std::string& source);

// "accuracy" or "latency".
std::string TaskKindLabel(TaskKind kind);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_METRICS_COORDINATOR_METRICS_H_
