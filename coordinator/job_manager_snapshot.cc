// JobManager::Snapshot: the live state as counts and per-job progress, read
// by the metrics endpoint at scrape time (so nothing in the job lifecycle
// has to keep gauges up to date, and an ended job's series simply vanish).
#include <algorithm>

#include "common/metric_names.h"
#include "coordinator/job_manager.h"

namespace edgenas {
namespace {

std::string StateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_PENDING: return "pending";
    case v1::JOB_PREPARING: return "preparing";
    case v1::JOB_SEARCHING: return "searching";
    case v1::JOB_FINALIZING: return "finalizing";
    case v1::JOB_DONE: return "done";
    case v1::JOB_FAILED: return "failed";
    case v1::JOB_CANCELLED: return "cancelled";
    default: return "unknown";
  }
}

}  // namespace

CoordinatorSnapshot JobManager::Snapshot() const {
  CoordinatorSnapshot snapshot;
  absl::MutexLock lock(&mu_);
  const int64_t now = Now();
  for (const auto& [id, state] : ended_jobs_) ++snapshot.jobs_by_state[StateName(state)];
  for (const auto& [id, runtime] : jobs_) {
    const v1::Job& job = runtime->job();
    ++snapshot.jobs_by_state[StateName(job.state())];
    CoordinatorSnapshot::Job progress;
    progress.job_id = id;
    progress.state = StateName(job.state());
    progress.candidates_done = job.candidates_done();
    progress.candidates_failed = job.candidates_failed();
    progress.candidates_pending = job.candidates_pending();
    progress.budget_evaluations = job.spec().budget().max_evaluations();
    progress.budget_wall_seconds = static_cast<double>(job.spec().budget().max_wall_seconds());
    progress.elapsed_seconds = std::max<int64_t>(0, now - job.created_unix_ms()) / 1000.0;
    progress.hypervolume = job.hypervolume();
    progress.front_size = job.front_size();
    const v1::ParetoFront front = runtime->Front();
    for (const v1::Candidate& c : front.candidates()) {
      std::optional<double> accuracy = FindMetric(c, kMetricAccuracy, "");
      if (accuracy && (!progress.best_accuracy || *accuracy > *progress.best_accuracy)) {
        progress.best_accuracy = accuracy;
      }
    }
    snapshot.jobs.push_back(std::move(progress));
  }
  snapshot.tasks = queue_.CountByKindAndState();
  snapshot.leasable = queue_.LeasableByKind();
  // Live: heard from within a long poll plus two heartbeats (and a margin),
  // the longest an executor that is still running can stay silent.
  const int64_t live_window_ms = kMaxLeaseWaitMs + 2 * options_.heartbeat_interval_ms + 5000;
  for (const auto& [id, executor] : executors_) {
    auto& group = snapshot.executors[{executor.kind == v1::WORKER ? "worker" : "agent",
                                      executor.device_class.empty() ? "none"
                                                                    : executor.device_class}];
    ++group.registered;
    if (executor.last_seen_ms > 0 && now - executor.last_seen_ms <= live_window_ms) ++group.live;
  }
  snapshot.parked_lease_polls = static_cast<int>(lease_waiters_.size());
  return snapshot;
}

}  // namespace edgenas
