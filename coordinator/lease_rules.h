// Lease rules of the job manager that are not the task queue's own state
// machine: how long a job's leases run, and who may heartbeat a lease.
// Pure functions over the queue; the job manager calls them under its lock.
//
// Grace (issue 23): the coordinator's own outages never cost an executor
// its lease. A lease loaded from the store (restart, or a reload after a
// failed batch) lives at least one lease duration from the load, and when
// a store fault clears every live lease gets one lease duration from then
// (TaskQueue::Restore / GrantGrace with JobLeaseMs). While the fault lasts
// no lease expires (TaskQueue::SuspendExpiry).
#ifndef EDGENAS_COORDINATOR_LEASE_RULES_H_
#define EDGENAS_COORDINATOR_LEASE_RULES_H_

#include <cstdint>

#include "absl/status/status.h"
#include "coordinator/task_queue.h"
#include "edgenas/v1/job.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

// The default lease duration when a spec leaves lease_seconds 0.
inline constexpr int64_t kDefaultLeaseMs = 60000;

// How long one lease (or one heartbeat's extension) of the job runs:
// spec.lease_seconds in ms, kDefaultLeaseMs when it is not positive.
int64_t JobLeaseMs(const v1::JobSpec& spec);

// OK unless one of the request's leases is live under its token but held by
// another executor than request.executor_id: then PERMISSION_DENIED naming
// the field ("leases[i]") and the task, never the holder. Stale tokens,
// unknown and ended tasks pass (they are answered as lost).
absl::Status CheckHeartbeatHolder(const TaskQueue& queue, const v1::HeartbeatRequest& request);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_LEASE_RULES_H_
