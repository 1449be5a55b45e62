// JobManager: jobs that could not be loaded from the store (a read error, a
// strategy log that does not replay). Such a job is neither running nor
// ended: GetJob and ListJobs show its stored record with Job.load_failed and
// why, its results are answered UNAVAILABLE (the executor keeps them and
// tries again), its watchers wait, housekeeping loads it again after a
// growing pause (and so does every reload and restart), and CancelJob ends
// it by its stored record.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "coordinator/job_manager.h"

namespace edgenas {

void JobManager::LoadOrPark(const v1::Job& job, bool resume) {
  const std::string id = job.id();
  absl::Status loaded = LoadJob(job, resume);
  if (loaded.ok()) {
    if (unloaded_jobs_.erase(id) > 0) {
      EDGENAS_LOG(kWarning, "coordinator", "job ", id, " loaded from the database; it goes on");
    }
    return;
  }
  // Nothing of the failed attempt stays in memory.
  jobs_.erase(id);
  queue_.ForgetJob(id);
  dirty_jobs_.erase(id);
  UnloadedJob& parked = unloaded_jobs_[id];
  const bool first = parked.backoff_ms == 0;
  parked.stored = job;
  parked.why = loaded;
  parked.backoff_ms =
      first ? kMinReloadBackoffMs : std::min(parked.backoff_ms * 2, kMaxReloadBackoffMs);
  parked.next_try_ms = Now() + parked.backoff_ms;
  if (first) {
    EDGENAS_LOG(kError, "coordinator", "cannot load job ", id, ": ", loaded.ToString(),
                "; it is kept as stored, its results are refused as UNAVAILABLE, and loading is "
                "tried again");
  }
}

void JobManager::RetryUnloadedJobs() {
  std::vector<std::string> due;
  for (const auto& [id, job] : unloaded_jobs_) {
    if (Now() >= job.next_try_ms) due.push_back(id);
  }
  for (const std::string& id : due) {
    absl::StatusOr<v1::Job> stored = store_->GetJob(id);
    if (!stored.ok()) {
      UnloadedJob& parked = unloaded_jobs_[id];
      parked.why = stored.status();
      parked.backoff_ms = std::min(parked.backoff_ms * 2, kMaxReloadBackoffMs);
      parked.next_try_ms = Now() + parked.backoff_ms;
      continue;
    }
    LoadOrPark(*stored, /*resume=*/true);
  }
}

v1::Job JobManager::UnloadedRecord(const UnloadedJob& job) {
  v1::Job record = job.stored;
  record.set_load_failed(true);
  record.set_message(absl::StrCat(
      "cannot load this job from the coordinator's database (", job.why.message(),
      "); it is neither running nor ended, loading is tried again, CancelJob ends it"));
  return record;
}

absl::Status JobManager::UnloadedStatus(const std::string& job_id, const UnloadedJob& job) {
  return absl::UnavailableError(absl::StrCat(
      "job ", job_id, " could not be loaded from the coordinator's database (",
      job.why.message(), "); try again later"));
}

absl::Status JobManager::CheckTaskJobLoaded(const std::string& task_id) {
  if (unloaded_jobs_.empty()) return absl::OkStatus();
  absl::StatusOr<TaskRecord> task = store_->GetTask(task_id);
  if (!task.ok()) return absl::OkStatus();
  auto unloaded = unloaded_jobs_.find(task->job_id);
  if (unloaded == unloaded_jobs_.end()) return absl::OkStatus();
  return UnloadedStatus(task->job_id, unloaded->second);
}

absl::StatusOr<v1::Job> JobManager::CancelUnloaded(const std::string& job_id) {
  // Maybe it loads now: then it is cancelled as any live job.
  auto parked = unloaded_jobs_.find(job_id);
  absl::StatusOr<v1::Job> stored = store_->GetJob(job_id);
  if (stored.ok()) LoadOrPark(*stored, /*resume=*/false);
  if (jobs_.count(job_id) > 0) return DoCancel(job_id);
  parked = unloaded_jobs_.find(job_id);
  v1::Job record = stored.ok() ? *stored : parked->second.stored;
  const std::string why(parked->second.why.message());
  record.set_state(v1::JOB_CANCELLED);
  record.set_message(absl::StrCat("cancelled by user (it could not be loaded: ", why, ")"));
  record.set_updated_unix_ms(Now());
  if (!Write(store_->UpdateJobRecord(record))) return batch_error_;
  // Its open tasks are revoked where they can be read; nobody may lease
  // work of an ended job, and leftover ones are never loaded again.
  absl::StatusOr<std::vector<TaskRecord>> tasks = store_->ListTasks(job_id);
  if (tasks.ok()) {
    for (TaskRecord t : *tasks) {
      if (t.state != TaskState::kQueued && t.state != TaskState::kLeased) continue;
      t.state = TaskState::kCancelled;
      t.updated_ms = Now();
      Write(store_->UpdateTask(t));
    }
  }
  v1::JobEvent event;
  event.set_sequence(++last_event_[job_id]);
  event.set_job_id(job_id);
  event.set_type(v1::EVENT_STATE_CHANGED);
  event.set_unix_ms(Now());
  *event.mutable_job() = record;
  event.mutable_job()->clear_spec();
  Write(store_->AppendEvent(event));
  touched_jobs_.push_back(job_id);
  EDGENAS_LOG(kInfo, "coordinator", "job ", job_id, " -> JOB_CANCELLED (it could not be loaded)");
  unloaded_jobs_.erase(job_id);
  ended_jobs_[job_id] = record.state();
  return record;
}

}  // namespace edgenas
