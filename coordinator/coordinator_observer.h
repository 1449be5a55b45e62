// CoordinatorObserver: what the job manager tells the outside world about
// events it cannot be asked about later (a commit's latency, a lease that
// expired, a task's run time). Metrics implement it; the core calls it
// under its state mutex, so implementations must be quick and must not call
// back into the JobManager. State that can be read at any time (jobs by
// state, queue depth, connected executors, per-job progress) is not pushed
// here: see JobManager::Snapshot().
#ifndef EDGENAS_COORDINATOR_COORDINATOR_OBSERVER_H_
#define EDGENAS_COORDINATOR_COORDINATOR_OBSERVER_H_

#include <string>

#include "coordinator/store/task_record.h"

namespace edgenas {

class CoordinatorObserver {
 public:
  virtual ~CoordinatorObserver() = default;
  // A batch of `operations` ran in one SQLite transaction that took
  // `seconds` from BEGIN to COMMIT (fsync included); `ok` false when the
  // write or commit failed.
  virtual void OnBatchCommitted(double seconds, int operations, bool ok) {}
  // A task ended in `state` (kDone, or kFailed once its attempts ran out),
  // `leased_seconds` after its last lease began (< 0 when unknown, e.g. the
  // lease predates a restart).
  virtual void OnTaskEnded(TaskKind kind, TaskState state, double leased_seconds) {}
  // A lease ran out before its holder reported; `requeued` false when the
  // task had no attempts left.
  virtual void OnLeaseExpired(TaskKind kind, bool requeued) {}
  // An executor reported a retryable failure and the task went back to the
  // queue for another attempt.
  virtual void OnTaskRetried(TaskKind kind) {}
  // A candidate task's result was accepted; `source` is the metric source
  // its executor reported (e.g. "worker:full_train:cpu", "table:acc").
  virtual void OnResultAccepted(TaskKind kind, const std::string& source) {}
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_COORDINATOR_OBSERVER_H_
