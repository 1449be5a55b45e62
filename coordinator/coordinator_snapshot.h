// CoordinatorSnapshot: the coordinator's live state at one instant, as
// counts and per-job progress, for metrics read at scrape time
// (JobManager::Snapshot). Plain data: no proto, no locking.
#ifndef EDGENAS_COORDINATOR_COORDINATOR_SNAPSHOT_H_
#define EDGENAS_COORDINATOR_COORDINATOR_SNAPSHOT_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coordinator/store/task_record.h"

namespace edgenas {

struct CoordinatorSnapshot {
  // Progress of one unfinished job.
  struct Job {
    std::string job_id;
    std::string state;  // "pending", "preparing", "searching", "finalizing"
    int candidates_done = 0;
    int candidates_failed = 0;
    int candidates_pending = 0;
    int budget_evaluations = 0;       // spec.budget.max_evaluations
    double budget_wall_seconds = 0;   // 0 = no wall-time budget
    double elapsed_seconds = 0;       // since submission
    double hypervolume = 0;
    int front_size = 0;
    // Highest accuracy on the front; nullopt before the first one.
    std::optional<double> best_accuracy;
  };
  // Registered executors of one kind ("worker", "agent") and device class.
  struct ExecutorGroup {
    int registered = 0;  // known to the coordinator (kept across restarts)
    int live = 0;        // heard from recently (a lease, heartbeat or report)
  };

  // Every job the coordinator knows, by state name.
  std::map<std::string, int> jobs_by_state;
  // Tasks of unfinished jobs held in memory, by kind and state.
  std::map<std::pair<TaskKind, TaskState>, int> tasks;
  // Queued tasks whose dependencies are met (can be leased now), by kind.
  std::map<TaskKind, int> leasable;
  // Keyed by (kind name, device class or "none").
  std::map<std::pair<std::string, std::string>, ExecutorGroup> executors;
  std::vector<Job> jobs;
  // Parked Lease long polls (idle executors waiting for work).
  int parked_lease_polls = 0;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_COORDINATOR_SNAPSHOT_H_
