#include "coordinator/task_queue.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace edgenas {
namespace {

bool KindWanted(const LeaseFilter& filter, TaskKind kind) {
  return filter.kinds.empty() ||
         std::find(filter.kinds.begin(), filter.kinds.end(), kind) != filter.kinds.end();
}

}  // namespace

bool CanRun(const LeaseFilter& filter, const TaskRecord& task) {
  if (!KindWanted(filter, task.kind)) return false;
  if (task.kind == TaskKind::kLatency &&
      (filter.device_class.empty() || task.device_class != filter.device_class)) {
    return false;
  }
  for (const std::string& need : task.requires_capabilities) {
    if (std::find(filter.capabilities.begin(), filter.capabilities.end(), need) ==
        filter.capabilities.end()) {
      return false;
    }
  }
  return true;
}

TaskQueue::RouteKey TaskQueue::RouteOf(const TaskRecord& t) {
  std::vector<std::string> caps = t.requires_capabilities;
  std::sort(caps.begin(), caps.end());
  // The unit separator cannot occur in a capability name (Register refuses it).
  return RouteKey(static_cast<int>(t.kind), t.kind == TaskKind::kLatency ? t.device_class : "",
                  absl::StrJoin(caps, "\x1f"));
}

TaskQueue::TaskQueue(const Clock* clock, int64_t lease_ms_default, bool retire_finished)
    : clock_(clock),
      lease_ms_default_(lease_ms_default > 0 ? lease_ms_default : 60000),
      retire_finished_(retire_finished) {}

void TaskQueue::MaybeRetire(const std::string& id) {
  if (!retire_finished_) return;
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  const TaskRecord& t = it->second.task;
  if (t.candidate_id.empty() || t.state == TaskState::kQueued || t.state == TaskState::kLeased) {
    return;
  }
  Unindex(it->second);
  auto job = job_tasks_.find(t.job_id);
  if (job != job_tasks_.end()) job->second.erase(id);
  auto c = candidate_tasks_.find(t.candidate_id);
  if (c != candidate_tasks_.end()) {
    c->second.erase(id);
    if (c->second.empty()) candidate_tasks_.erase(c);
  }
  for (const std::string& dep : t.depends_on) {
    auto d = dependents_.find(dep);
    if (d == dependents_.end()) continue;
    d->second.erase(std::remove(d->second.begin(), d->second.end(), id), d->second.end());
    if (d->second.empty()) dependents_.erase(d);
  }
  tasks_.erase(it);
}

int64_t TaskQueue::LeaseMs(int64_t lease_ms) const {
  return lease_ms > 0 ? lease_ms : lease_ms_default_;
}

std::string TaskQueue::NewToken() {
  // std::random_device reads the OS entropy source on Linux, so a token
  // cannot be predicted from the ones an executor has seen.
  uint32_t words[4];
  for (uint32_t& w : words) w = static_cast<uint32_t>(entropy_());
  return absl::StrFormat("%08x%08x%08x%08x", words[0], words[1], words[2], words[3]);
}

void TaskQueue::Unindex(const Entry& entry) {
  const TaskRecord& t = entry.task;
  --counts_[static_cast<int>(t.state)];
  if (t.state == TaskState::kQueued) {
    if (entry.unmet == 0) {
      auto route = queued_.find(RouteOf(t));
      if (route != queued_.end()) {
        route->second.erase(QueueKey(t.created_ms, entry.seq, t.task_id));
        if (route->second.empty()) queued_.erase(route);
      }
    }
  } else if (t.state == TaskState::kLeased) {
    leases_by_expiry_.erase({entry.deadline_mono, t.task_id});
  }
}

void TaskQueue::Index(const Entry& entry) {
  const TaskRecord& t = entry.task;
  ++counts_[static_cast<int>(t.state)];
  if (t.state == TaskState::kQueued) {
    if (entry.unmet == 0) queued_[RouteOf(t)].emplace(t.created_ms, entry.seq, t.task_id);
  } else if (t.state == TaskState::kLeased) {
    leases_by_expiry_.emplace(entry.deadline_mono, t.task_id);
  }
}

void TaskQueue::SetDeadline(Entry& entry, int64_t lease_ms) {
  entry.deadline_mono = clock_->NowMonotonicMs() + lease_ms;
  entry.task.lease_expiry_ms = clock_->NowUnixMs() + lease_ms;
}

absl::Status TaskQueue::Insert(TaskRecord task, int64_t deadline_mono) {
  if (task.task_id.empty()) return absl::InvalidArgumentError("task_id is empty");
  const int state = static_cast<int>(task.state);
  if (state < 0 || state >= static_cast<int>(counts_.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("task ", task.task_id, ": unknown state ", state));
  }
  if (tasks_.count(task.task_id) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("task ", task.task_id, " already exists"));
  }
  job_tasks_[task.job_id].insert(task.task_id);
  if (!task.candidate_id.empty()) candidate_tasks_[task.candidate_id].insert(task.task_id);
  const std::string id = task.task_id;
  Entry& entry = tasks_[id];
  entry.seq = next_seq_++;
  entry.deadline_mono = deadline_mono;
  entry.task = std::move(task);
  for (const std::string& dep : entry.task.depends_on) {
    auto it = tasks_.find(dep);
    if (it != tasks_.end() && it->second.task.state == TaskState::kDone) continue;
    ++entry.unmet;
    dependents_[dep].push_back(id);
  }
  Index(entry);
  if (entry.task.state == TaskState::kDone) Satisfy(id);
  MaybeRetire(id);
  return absl::OkStatus();
}

void TaskQueue::Satisfy(const std::string& id) {
  auto it = dependents_.find(id);
  if (it == dependents_.end()) return;
  std::vector<std::string> waiting = std::move(it->second);
  dependents_.erase(it);
  for (const std::string& w : waiting) {
    auto e = tasks_.find(w);
    if (e == tasks_.end()) continue;
    Unindex(e->second);
    e->second.unmet = std::max(0, e->second.unmet - 1);
    Index(e->second);
  }
}

absl::Status TaskQueue::Add(TaskRecord task) {
  if (task.max_attempts < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task ", task.task_id, ": max_attempts must be >= 1, got ", task.max_attempts));
  }
  const int64_t now = clock_->NowUnixMs();
  task.state = TaskState::kQueued;
  task.attempts = 0;
  task.lease_token.clear();
  task.lease_owner.clear();
  task.lease_expiry_ms = 0;
  if (task.created_ms == 0) task.created_ms = now;
  task.updated_ms = now;
  return Insert(std::move(task));
}

absl::Status TaskQueue::Restore(TaskRecord task, int64_t grace_ms) {
  int64_t deadline_mono = 0;
  if (task.state == TaskState::kLeased) {
    // What the lease had left by the wall clock, but at least the grace.
    const int64_t left = task.lease_expiry_ms - clock_->NowUnixMs();
    deadline_mono = clock_->NowMonotonicMs() + std::max(left, grace_ms);
  }
  return Insert(std::move(task), deadline_mono);
}

int TaskQueue::GrantGrace(const std::function<int64_t(const TaskRecord&)>& grace_ms) {
  const int64_t now = clock_->NowMonotonicMs();
  std::vector<std::string> ids;
  for (const auto& [deadline, id] : leases_by_expiry_) ids.push_back(id);
  int lengthened = 0;
  for (const std::string& id : ids) {
    Entry& entry = tasks_.at(id);
    const int64_t until = now + grace_ms(entry.task);
    if (until <= entry.deadline_mono) continue;
    Unindex(entry);
    entry.deadline_mono = until;
    Index(entry);
    ++lengthened;
  }
  return lengthened;
}

std::vector<TaskRecord> TaskQueue::Lease(const LeaseFilter& filter, int max_tasks,
                                         const std::string& executor_id, int64_t lease_ms) {
  std::vector<TaskRecord> leased;
  if (max_tasks <= 0) return leased;
  const int64_t now = clock_->NowUnixMs();
  // Pick first, then change: changing a task erases it from queued_.
  // Merge the FIFO queues of every route this executor can serve.
  std::vector<std::pair<std::set<QueueKey>::const_iterator, std::set<QueueKey>::const_iterator>>
      heads;
  for (const auto& [route, queue] : queued_) {
    if (queue.empty() || !CanRun(filter, tasks_.at(std::get<2>(*queue.begin())).task)) continue;
    heads.emplace_back(queue.begin(), queue.end());
  }
  std::vector<std::string> picked;
  while (static_cast<int>(picked.size()) < max_tasks) {
    int best = -1;
    for (int i = 0; i < static_cast<int>(heads.size()); ++i) {
      if (heads[i].first == heads[i].second) continue;
      if (best < 0 || *heads[i].first < *heads[best].first) best = i;
    }
    if (best < 0) break;
    picked.push_back(std::get<2>(*heads[best].first));
    ++heads[best].first;
  }
  for (const std::string& id : picked) {
    Entry& entry = tasks_.at(id);
    Unindex(entry);
    TaskRecord& t = entry.task;
    std::string token = NewToken();
    while (token == t.lease_token) token = NewToken();
    t.state = TaskState::kLeased;
    t.attempts += 1;
    t.lease_token = std::move(token);
    t.lease_owner = executor_id;
    SetDeadline(entry, LeaseMs(lease_ms));
    t.updated_ms = now;
    t.leased_ms = now;
    Index(entry);
    leased.push_back(t);
  }
  return leased;
}

absl::Status TaskQueue::CheckLive(const Entry& entry, const std::string& token,
                                  const char* action) const {
  const TaskRecord& t = entry.task;
  const std::string prefix = absl::StrCat("cannot ", action, " task ", t.task_id, ": ");
  switch (t.state) {
    case TaskState::kLeased:
      if (token.empty() || token != t.lease_token) {
        return absl::FailedPreconditionError(absl::StrCat(
            prefix, "the lease token is stale (the task is leased again, under another token)"));
      }
      if (!expiry_suspended_ && clock_->NowMonotonicMs() >= entry.deadline_mono) {
        return absl::FailedPreconditionError(
            absl::StrCat(prefix, "the lease expired ",
                         clock_->NowMonotonicMs() - entry.deadline_mono, " ms ago"));
      }
      return absl::OkStatus();
    case TaskState::kQueued:
      return absl::FailedPreconditionError(
          absl::StrCat(prefix, "it is not leased (requeued after its lease ended: ",
                       t.last_error.empty() ? "no error recorded" : t.last_error, ")"));
    case TaskState::kDone:
      return absl::FailedPreconditionError(
          absl::StrCat(prefix, "it was already completed under another lease"));
    case TaskState::kFailed:
      return absl::FailedPreconditionError(
          absl::StrCat(prefix, "it has failed (", t.last_error, ")"));
    case TaskState::kCancelled:
      return absl::FailedPreconditionError(absl::StrCat(prefix, "it was cancelled"));
  }
  return absl::InternalError(absl::StrCat(prefix, "unknown state"));
}

bool TaskQueue::HasLeasable(const LeaseFilter& filter) const {
  for (const auto& [route, queue] : queued_) {
    if (!queue.empty() && CanRun(filter, tasks_.at(std::get<2>(*queue.begin())).task)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<int64_t> TaskQueue::Heartbeat(const std::string& task_id,
                                             const std::string& token,
                                             const std::string& executor_id,
                                             int64_t lease_ms) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return absl::NotFoundError(absl::StrCat("task ", task_id, " not found"));
  Entry& entry = it->second;
  const int64_t now = clock_->NowUnixMs();
  absl::Status live = CheckLive(entry, token, "heartbeat");
  if (!live.ok()) return live;
  if (entry.task.lease_owner != executor_id) {
    return absl::PermissionDeniedError(absl::StrCat("cannot heartbeat task ", task_id,
                                                    ": leased to another executor, not to ",
                                                    executor_id));
  }
  Unindex(entry);
  SetDeadline(entry, LeaseMs(lease_ms));
  entry.task.updated_ms = now;
  Index(entry);
  return entry.task.lease_expiry_ms;
}

absl::StatusOr<const TaskQueue::Entry*> TaskQueue::CheckOwned(const std::string& task_id,
                                                               const std::string& token,
                                                               const std::string& executor_id,
                                                               const char* action) const {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return absl::NotFoundError(absl::StrCat("task ", task_id, " not found"));
  const Entry& entry = it->second;
  absl::Status live = CheckLive(entry, token, action);
  if (!live.ok()) return live;
  if (entry.task.lease_owner != executor_id) {
    return absl::PermissionDeniedError(absl::StrCat("cannot ", action, " task ", task_id,
                                                    ": the lease is held by another executor, "
                                                    "not by ",
                                                    executor_id));
  }
  return &entry;
}

absl::StatusOr<CompleteOutcome> TaskQueue::CheckComplete(const std::string& task_id,
                                                         const std::string& token,
                                                         const std::string& executor_id) const {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return absl::NotFoundError(absl::StrCat("task ", task_id, " not found"));
  CompleteOutcome outcome;
  const TaskRecord& t = it->second.task;
  if (t.state == TaskState::kDone && !token.empty() && token == t.lease_token) {
    if (t.lease_owner != executor_id) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot complete task ", task_id, ": completed by another executor"));
    }
    outcome.duplicate = true;
    outcome.task = t;
    return outcome;
  }
  auto entry = CheckOwned(task_id, token, executor_id, "complete");
  if (!entry.ok()) return entry.status();
  outcome.task = (*entry)->task;
  return outcome;
}

absl::StatusOr<CompleteOutcome> TaskQueue::Complete(const std::string& task_id,
                                                    const std::string& token,
                                                    const std::string& executor_id) {
  auto checked = CheckComplete(task_id, token, executor_id);
  if (!checked.ok() || checked->duplicate) return checked;
  Entry& entry = tasks_.at(task_id);
  const int64_t now = clock_->NowUnixMs();
  Unindex(entry);
  // The token stays on the record: it is what makes a repeat a duplicate.
  entry.task.state = TaskState::kDone;
  entry.task.lease_expiry_ms = 0;
  entry.task.updated_ms = now;
  entry.task.last_error.clear();
  Index(entry);
  Satisfy(task_id);
  CompleteOutcome outcome;
  outcome.task = entry.task;
  MaybeRetire(task_id);
  return outcome;
}

void TaskQueue::EndLease(Entry& entry, bool retry, const std::string& error, int64_t now) {
  Unindex(entry);
  TaskRecord& t = entry.task;
  const bool requeue = retry && t.attempts < t.max_attempts;
  if (requeue) {
    // A dead token must not match anything until the next lease sets one.
    t.state = TaskState::kQueued;
    t.lease_token.clear();
    t.lease_owner.clear();
    t.last_error = error;
  } else {
    t.state = TaskState::kFailed;
    t.last_error = retry ? absl::StrCat(error, "; attempts exhausted (", t.attempts, " of ",
                                        t.max_attempts, ")")
                         : error;
  }
  t.lease_expiry_ms = 0;
  t.updated_ms = now;
  Index(entry);
}

absl::StatusOr<FailOutcome> TaskQueue::Fail(const std::string& task_id,
                                            const std::string& token,
                                            const std::string& executor_id,
                                            const std::string& reason, bool retryable) {
  auto checked = CheckOwned(task_id, token, executor_id, "fail");
  if (!checked.ok()) return checked.status();
  Entry& entry = tasks_.at(task_id);
  const int64_t now = clock_->NowUnixMs();
  EndLease(entry, retryable, reason.empty() ? "failed (no reason given)" : reason, now);
  FailOutcome outcome;
  outcome.requeued = entry.task.state == TaskState::kQueued;
  outcome.task = entry.task;
  MaybeRetire(task_id);
  return outcome;
}

std::vector<TaskRecord> TaskQueue::ExpireLeases() {
  const int64_t now = clock_->NowUnixMs();
  const int64_t mono = clock_->NowMonotonicMs();
  std::vector<TaskRecord> changed;
  if (expiry_suspended_) return changed;
  while (!leases_by_expiry_.empty() && leases_by_expiry_.begin()->first <= mono) {
    const std::string id = leases_by_expiry_.begin()->second;
    Entry& entry = tasks_.at(id);
    // No owner named: the message reaches whoever reports for the task later.
    EndLease(entry, /*retry=*/true, "lease expired (no heartbeat in time)", now);
    changed.push_back(entry.task);
    MaybeRetire(id);
  }
  return changed;
}

bool TaskQueue::CancelEntry(Entry& entry, int64_t now) {
  if (entry.task.state != TaskState::kQueued && entry.task.state != TaskState::kLeased) {
    return false;
  }
  Unindex(entry);
  entry.task.state = TaskState::kCancelled;
  entry.task.lease_expiry_ms = 0;
  entry.task.updated_ms = now;
  Index(entry);
  return true;
}

std::vector<TaskRecord> TaskQueue::CancelJob(const std::string& job_id) {
  std::vector<TaskRecord> changed;
  auto job = job_tasks_.find(job_id);
  if (job == job_tasks_.end()) return changed;
  const int64_t now = clock_->NowUnixMs();
  const std::vector<std::string> ids(job->second.begin(), job->second.end());
  for (const std::string& id : ids) {
    auto it = tasks_.find(id);
    if (it == tasks_.end() || !CancelEntry(it->second, now)) continue;
    changed.push_back(it->second.task);
    MaybeRetire(id);
  }
  std::sort(changed.begin(), changed.end(), [](const TaskRecord& a, const TaskRecord& b) {
    return std::tie(a.created_ms, a.task_id) < std::tie(b.created_ms, b.task_id);
  });
  return changed;
}

std::vector<TaskRecord> TaskQueue::RevokeCandidate(const std::string& candidate_id) {
  std::vector<TaskRecord> changed;
  auto c = candidate_tasks_.find(candidate_id);
  if (c == candidate_tasks_.end()) return changed;
  const int64_t now = clock_->NowUnixMs();
  std::vector<std::string> ids(c->second.begin(), c->second.end());
  std::sort(ids.begin(), ids.end());
  for (const std::string& id : ids) {
    auto it = tasks_.find(id);
    if (it == tasks_.end() || !CancelEntry(it->second, now)) continue;
    changed.push_back(it->second.task);
    MaybeRetire(id);
  }
  return changed;
}

void TaskQueue::Clear() {
  tasks_.clear();
  job_tasks_.clear();
  candidate_tasks_.clear();
  dependents_.clear();
  queued_.clear();
  leases_by_expiry_.clear();
  counts_.fill(0);
}

void TaskQueue::ForgetJob(const std::string& job_id) {
  auto job = job_tasks_.find(job_id);
  if (job == job_tasks_.end()) return;
  for (const std::string& id : job->second) {
    auto it = tasks_.find(id);
    if (it == tasks_.end()) continue;
    Unindex(it->second);
    candidate_tasks_.erase(it->second.task.candidate_id);
    dependents_.erase(id);
    // Withdraw it from the waiting lists of dependencies it still waits for.
    for (const std::string& dep : it->second.task.depends_on) {
      auto d = dependents_.find(dep);
      if (d == dependents_.end()) continue;
      d->second.erase(std::remove(d->second.begin(), d->second.end(), id), d->second.end());
      if (d->second.empty()) dependents_.erase(d);
    }
    tasks_.erase(it);
  }
  job_tasks_.erase(job);
}

std::optional<TaskRecord> TaskQueue::Get(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second.task;
}

std::vector<TaskRecord> TaskQueue::TasksOfJob(const std::string& job_id) const {
  std::vector<const Entry*> entries;
  auto job = job_tasks_.find(job_id);
  if (job != job_tasks_.end()) {
    for (const std::string& id : job->second) {
      auto it = tasks_.find(id);
      if (it != tasks_.end()) entries.push_back(&it->second);
    }
  }
  std::sort(entries.begin(), entries.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->task.created_ms, a->seq) < std::tie(b->task.created_ms, b->seq);
  });
  std::vector<TaskRecord> out;
  out.reserve(entries.size());
  for (const Entry* e : entries) out.push_back(e->task);
  return out;
}

int64_t TaskQueue::NextExpiryMs() const {
  if (leases_by_expiry_.empty()) return std::numeric_limits<int64_t>::max();
  return clock_->NowUnixMs() + (leases_by_expiry_.begin()->first - clock_->NowMonotonicMs());
}

std::map<std::pair<TaskKind, TaskState>, int> TaskQueue::CountByKindAndState() const {
  std::map<std::pair<TaskKind, TaskState>, int> counts;
  for (const auto& [id, entry] : tasks_) ++counts[{entry.task.kind, entry.task.state}];
  return counts;
}

std::map<TaskKind, int> TaskQueue::LeasableByKind() const {
  std::map<TaskKind, int> counts;
  for (const auto& [route, queue] : queued_) {
    counts[static_cast<TaskKind>(std::get<0>(route))] += static_cast<int>(queue.size());
  }
  return counts;
}

int TaskQueue::CountInState(TaskState state) const {
  const int i = static_cast<int>(state);
  if (i < 0 || i >= static_cast<int>(counts_.size())) return 0;
  return counts_[i];
}

}  // namespace edgenas
