// JobManager: lease expiry around the coordinator's own store faults (see
// coordinator/lease_rules.h for the grace rules).
#include "common/logging.h"
#include "coordinator/job_manager.h"
#include "coordinator/lease_rules.h"

namespace edgenas {

int64_t JobManager::LeaseMsOfJob(const std::string& job_id) const {
  auto job = jobs_.find(job_id);
  return job == jobs_.end() ? kDefaultLeaseMs : JobLeaseMs(job->second->job().spec());
}

void JobManager::SyncLeaseExpiry() {
  const bool fault = !store_fault_.ok();
  if (queue_.expiry_suspended() && !fault) {
    // The fault is over: what ran out meanwhile gets a fresh lease duration
    // instead of an attempt charged for the coordinator's outage.
    const int lengthened = queue_.GrantGrace(
        [this](const TaskRecord& t) ABSL_NO_THREAD_SAFETY_ANALYSIS { return LeaseMsOfJob(t.job_id); });
    EDGENAS_LOG(kInfo, "coordinator", "store fault cleared; ", lengthened,
                " lease(s) given a grace of one lease duration");
  }
  queue_.SuspendExpiry(fault);
}

}  // namespace edgenas
