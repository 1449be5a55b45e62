#include "coordinator/lease_rules.h"

#include "absl/strings/str_cat.h"

namespace edgenas {

int64_t JobLeaseMs(const v1::JobSpec& spec) {
  return spec.lease_seconds() > 0 ? spec.lease_seconds() * 1000LL : kDefaultLeaseMs;
}

absl::Status CheckHeartbeatHolder(const TaskQueue& queue, const v1::HeartbeatRequest& request) {
  for (int i = 0; i < request.leases_size(); ++i) {
    const v1::LeaseRef& ref = request.leases(i);
    auto task = queue.Get(ref.task_id());
    if (!task || task->state != TaskState::kLeased || ref.lease_token().empty() ||
        ref.lease_token() != task->lease_token) {
      continue;
    }
    if (task->lease_owner != request.executor_id()) {
      return absl::PermissionDeniedError(
          absl::StrCat("leases[", i, "]: task ", ref.task_id().substr(0, 100),
                       " is leased to another executor, not to ",
                       request.executor_id().substr(0, 100)));
    }
  }
  return absl::OkStatus();
}

}  // namespace edgenas
