// JobManager::CheckArtifactWriter: who may write a job's artifacts (the
// ArtifactService asks before storing and again before setting the ref).
#include <optional>

#include "absl/strings/str_cat.h"
#include "coordinator/artifact_producers.h"
#include "coordinator/job_manager.h"

namespace edgenas {
namespace {

bool Ended(v1::JobState s) {
  return s == v1::JOB_DONE || s == v1::JOB_FAILED || s == v1::JOB_CANCELLED;
}

}  // namespace

absl::Status JobManager::CheckArtifactWriter(const ArtifactWriteClaim& claim) {
  absl::MutexLock lock(&mu_);
  if (broken_) return broken_reason_;
  const std::string shown_job = claim.job_id.substr(0, 100);
  const std::string shown_task = claim.task_id.substr(0, 200);
  absl::StatusOr<v1::Job> job = JobRecord(claim.job_id);  // NOT_FOUND naming job_id
  if (!job.ok()) return job.status();
  if (Ended(job->state())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "job_id: job ", shown_job, " has ended (", v1::JobState_Name(job->state()),
        "); its artifacts can no longer be written"));
  }
  const std::optional<TaskRecord> task = queue_.Get(claim.task_id);
  if (!task.has_value() || task->job_id != claim.job_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "task_id: ", shown_task, " is not an open task of job ", shown_job));
  }
  // The token and the executor together prove the lease (task_queue.h); a
  // lease is over at its expiry whether or not the sweep has run.
  if (task->state != TaskState::kLeased || task->lease_owner != claim.executor_id ||
      task->lease_token != claim.lease_token || task->lease_expiry_ms <= Now()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "lease_token: this executor holds no live lease on task ", shown_task,
        " (expired, revoked, or never its own); only the task's current lease holder may "
        "write its artifacts"));
  }
  if (absl::Status produces = CheckTaskProducesArtifact(*task, claim.name); !produces.ok()) {
    return produces;
  }
  if (claim.replaced_task_id.empty() || claim.replaced_task_id == claim.task_id) {
    return absl::OkStatus();
  }
  // The ref was set by another task: replaceable only when that task's
  // output never counted (failed, cancelled, or back in the queue).
  const std::optional<TaskRecord> previous = queue_.Get(claim.replaced_task_id);
  const std::string what = absl::StrCat("name: artifact ", shown_job, "/", claim.name,
                                        " was set by task ", claim.replaced_task_id.substr(0, 200));
  if (!previous.has_value() || previous->state == TaskState::kDone) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ", which has finished; a finished task's artifact is immutable"));
  }
  if (previous->state == TaskState::kLeased && previous->lease_expiry_ms > Now()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ", which is still running; only that task may replace it"));
  }
  return absl::OkStatus();
}

}  // namespace edgenas
