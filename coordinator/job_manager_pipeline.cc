// The committer thread of JobManager: batching operations into one
// transaction each (group commit), parked long polls and event watches, and
// the synchronous wrappers over the callback API.
#include <algorithm>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/logging.h"
#include "coordinator/job_manager.h"

namespace edgenas {
namespace {

// Most operations in one transaction: bounds the latency of the batch.
constexpr size_t kMaxBatch = 4096;

// Free space a probe write must find before new work is taken again after
// a failed write: room for a batch of results, not just one.
constexpr int64_t kWriteHeadroomBytes = 256 * 1024;

// The answer to an event read made inside a batch: when the batch did not
// commit, the events it read may be ones that were rolled back, so the
// watcher gets none (not the end) and reads again.
std::function<void(const absl::Status&)> EventReply(
    std::shared_ptr<absl::StatusOr<EventBatch>> batch,
    std::function<void(absl::StatusOr<EventBatch>)> done) {
  return [batch, done = std::move(done)](const absl::Status& commit) {
    if (!commit.ok() && batch->ok()) {
      done(EventBatch());
    } else {
      done(std::move(*batch));
    }
  };
}

std::string ProfileKey(const LeaseFilter& f) {
  std::vector<std::string> caps = f.capabilities;
  std::sort(caps.begin(), caps.end());
  std::string key;
  for (TaskKind k : f.kinds) absl::StrAppend(&key, static_cast<int>(k), ",");
  absl::StrAppend(&key, "|", f.device_class, "|");
  for (const auto& c : caps) absl::StrAppend(&key, c, ",");
  return key;
}

// The reply to a lease: its tasks once the leases are committed.
std::function<void(const absl::Status&)> LeaseReply(
    std::shared_ptr<v1::LeaseResponse> response,
    std::function<void(absl::StatusOr<v1::LeaseResponse>)> done) {
  return [response, done = std::move(done)](const absl::Status& commit) {
    if (!commit.ok()) {
      done(StoreFaultStatus(commit));
    } else {
      done(std::move(*response));
    }
  };
}

}  // namespace

void JobManager::Submit(Op op) {
  {
    absl::MutexLock lock(&ops_mu_);
    if (!stopping_) {
      ops_.push_back(std::move(op));
      return;
    }
  }
  op.refuse(absl::UnavailableError("coordinator is shutting down"));
}

void JobManager::CommitterLoop() {
  absl::Time next_sweep = absl::Now();
  const bool periodic = options_.start_housekeeping_thread;
  // Diagnostics, logged at debug level every 10 s of activity.
  absl::Time stats_since = absl::Now();
  int64_t stat_batches = 0, stat_ops = 0;
  absl::Duration stat_busy;
  while (true) {
    std::vector<Op> batch;
    bool sweep = false;
    {
      absl::MutexLock lock(&ops_mu_);
      absl::Time wake = next_wakeup_;
      if (periodic) wake = std::min(wake, next_sweep);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(ops_mu_) {
        return !ops_.empty() || stopping_;
      };
      ops_mu_.AwaitWithDeadline(absl::Condition(&ready), wake);
      if (stopping_ && ops_.empty()) break;
      if (ops_.size() <= kMaxBatch) {
        batch.swap(ops_);
      } else {
        batch.assign(std::make_move_iterator(ops_.begin()),
                     std::make_move_iterator(ops_.begin() + kMaxBatch));
        ops_.erase(ops_.begin(), ops_.begin() + kMaxBatch);
      }
    }
    if (periodic && absl::Now() >= next_sweep) {
      sweep = true;
      next_sweep = absl::Now() + absl::Milliseconds(options_.housekeeping_interval_ms);
    }
    const absl::Time start = absl::Now();
    stat_ops += static_cast<int64_t>(batch.size());
    ++stat_batches;
    RunBatch(std::move(batch), sweep);
    stat_busy += absl::Now() - start;
    if (absl::Now() - stats_since > absl::Seconds(10)) {
      const absl::Duration window = absl::Now() - stats_since;
      EDGENAS_LOG(kDebug, "coordinator", "committer: ", stat_batches, " batches, ",
                  stat_batches > 0 ? stat_ops / stat_batches : 0, " ops per batch, busy ",
                  static_cast<int>(100 * absl::ToDoubleSeconds(stat_busy) /
                                   absl::ToDoubleSeconds(window)),
                  "% of ", absl::FormatDuration(window));
      stats_since = absl::Now();
      stat_batches = stat_ops = 0;
      stat_busy = absl::ZeroDuration();
    }
  }
  // Stopping: nothing new is accepted; refuse what raced in.
  std::vector<Op> left;
  {
    absl::MutexLock lock(&ops_mu_);
    left.swap(ops_);
  }
  for (Op& op : left) op.refuse(absl::UnavailableError("coordinator is shutting down"));
}

void JobManager::RunBatch(std::vector<Op> batch, bool sweep) {
  std::vector<Reply> replies;
  std::vector<std::pair<std::string, std::string>> release;  // committed weight releases
  size_t ran = 0;
  absl::Status commit;
  absl::Status refused;
  absl::Time next_deadline = absl::InfiniteFuture();
  {
    absl::MutexLock lock(&mu_);
    if (broken_ && !shutdown_) RetryReloadIfDue();  // broken_reason_ says why it failed
    if (broken_ || shutdown_) {
      refused = broken_ ? broken_reason_ : absl::UnavailableError("coordinator is shutting down");
      // Nothing else runs, but parked calls still end at their deadline.
      ExpireWaiters(&replies);
      next_deadline = NextWakeup();
    } else {
      if (!store_fault_.ok()) {
        // Outside the batch's transaction: a failed probe must not take the
        // batch's other writes with it.
        absl::Status probe = store_->CheckWritable(kWriteHeadroomBytes);
        if (probe.ok()) {
          EDGENAS_LOG(kWarning, "coordinator",
                      "database accepts writes again; taking new work (was: ",
                      store_fault_.message(), ")");
          store_fault_ = absl::OkStatus();
        }
      }
      SyncLeaseExpiry();
      batch_error_ = absl::OkStatus();
      touched_jobs_.clear();
      const absl::Time commit_start = absl::Now();
      commit = store_->RunInTransaction([&]() -> absl::Status {
        for (; ran < batch.size() && batch_error_.ok(); ++ran) {
          replies.push_back(batch[ran].run());
        }
        if (batch_error_.ok() && sweep) SweepLocked();
        ExpireWaiters(&replies);  // writes nothing: runs even in a failing batch
        if (batch_error_.ok()) DispatchWaiters(&replies);
        if (batch_error_.ok()) FlushDirtyJobs();
        return batch_error_;
      });
      observer_->OnBatchCommitted(absl::ToDoubleSeconds(absl::Now() - commit_start),
                                  static_cast<int>(ran), commit.ok());
      if (commit.ok()) {
        WakeEventWaiters(&replies);
      } else {
        // Nothing of the batch is stored: memory goes back to what is, and
        // new work waits until a probe write succeeds.
        store_fault_ = StoreFaultStatus(commit);
        SyncLeaseExpiry();
        dirty_jobs_.clear();
        ReloadFromStore().IgnoreError();  // on failure broken_ says why
      }
      if (commit.ok()) release.swap(weights_to_release_);
      weights_to_release_.clear();
      retired_.clear();
      next_deadline = NextWakeup();
    }
  }
  if (!refused.ok()) {
    for (Op& op : batch) op.refuse(refused);
    {
      absl::MutexLock lock(&ops_mu_);
      next_wakeup_ = next_deadline;  // never a past deadline: no spinning
    }
    absl::MutexLock lock(&replies_mu_);
    reply_queue_.push_back(ReplyBatch{std::move(replies), absl::OkStatus()});
    return;
  }
  if (options_.release_weights) {
    for (const auto& [job_id, candidate_id] : release) options_.release_weights(job_id, candidate_id);
  }
  {
    absl::MutexLock lock(&ops_mu_);
    next_wakeup_ = next_deadline;
    if (commit.ok()) {
      committed_ops_ += static_cast<int64_t>(ran);
      ++committed_batches_;
    }
  }
  if (!commit.ok()) {
    EDGENAS_LOG(kError, "coordinator", "database write failed; ", batch.size(),
                " operation(s) rolled back and refused, every earlier result is kept, new work "
                "is refused until the database takes writes again: ",
                commit.ToString());
    if (options_.on_store_error) options_.on_store_error(commit);
  }
  for (size_t i = ran; i < batch.size(); ++i) batch[i].refuse(StoreFaultStatus(commit));
  absl::MutexLock lock(&replies_mu_);
  reply_queue_.push_back(ReplyBatch{std::move(replies), commit});
}

absl::Time JobManager::NextWakeup() const {
  absl::Time next = absl::InfiniteFuture();
  if (!lease_deadlines_.empty()) next = lease_deadlines_.begin()->first;
  if (!event_deadlines_.empty()) next = std::min(next, event_deadlines_.begin()->first);
  if (broken_ && !shutdown_) {
    const int64_t wait_ms = std::max<int64_t>(next_reload_ms_ - Now(), 0);
    next = std::min(next, absl::Now() + absl::Milliseconds(std::max<int64_t>(wait_ms, 1)));
  }
  return next;
}

void JobManager::RetryReloadIfDue() {
  if (Now() < next_reload_ms_) return;
  ReloadFromStore().IgnoreError();
}

absl::Status JobManager::ReloadFromStore() {
  ++reload_attempts_;
  std::unordered_map<std::string, int64_t> last_seen;
  for (const auto& [id, e] : executors_) last_seen[id] = e.last_seen_ms;
  jobs_.clear();
  ended_jobs_.clear();
  unloaded_jobs_.clear();  // tried again below
  last_event_.clear();
  executors_.clear();
  queue_.Clear();
  dirty_jobs_.clear();
  touched_jobs_.clear();
  weights_to_release_.clear();
  batch_error_ = absl::OkStatus();
  absl::Status loaded = LoadFromStore(/*resume=*/false);  // reads only
  if (loaded.ok()) loaded = batch_error_;
  dirty_jobs_.clear();
  for (auto& [id, e] : executors_) {
    auto seen = last_seen.find(id);
    if (seen != last_seen.end()) e.last_seen_ms = seen->second;
  }
  if (!loaded.ok()) {
    if (!broken_) {
      EDGENAS_LOG(kError, "coordinator", "cannot reload state from the database; refusing ",
                  "every call until it can: ", loaded.ToString());
    }
    // A reload reads everything under the state lock: tried again only
    // after a growing pause, not on every wakeup.
    reload_backoff_ms_ = broken_ ? std::min(reload_backoff_ms_ * 2, kMaxReloadBackoffMs)
                                 : kMinReloadBackoffMs;
    next_reload_ms_ = Now() + reload_backoff_ms_;
    broken_ = true;
    broken_reason_ = absl::UnavailableError(
        absl::StrCat("coordinator cannot read its database (", loaded.message(),
                     "); it refuses every call until it can"));
    return broken_reason_;
  }
  if (broken_) EDGENAS_LOG(kWarning, "coordinator", "state reloaded from the database");
  broken_ = false;
  reload_backoff_ms_ = 0;
  next_reload_ms_ = 0;
  broken_reason_ = absl::OkStatus();
  return absl::OkStatus();
}

void JobManager::ReplierLoop() {
  while (true) {
    ReplyBatch batch;
    {
      absl::MutexLock lock(&replies_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(replies_mu_) {
        return !reply_queue_.empty() || replier_stopping_;
      };
      replies_mu_.Await(absl::Condition(&ready));
      if (reply_queue_.empty()) return;  // stopping and drained
      batch = std::move(reply_queue_.front());
      reply_queue_.pop_front();
    }
    for (Reply& r : batch.replies) {
      if (r) r(batch.commit);
    }
  }
}

void JobManager::WriteFailed(const absl::Status& status) {
  if (batch_error_.ok()) batch_error_ = status;
}

bool JobManager::Write(const absl::Status& status) {
  if (status.ok()) return true;
  WriteFailed(status);
  return false;
}

absl::StatusOr<EventBatch> JobManager::WaitForEvents(const std::string& job_id,
                                                     int64_t after_sequence, int64_t timeout_ms) {
  return Await<EventBatch>([&](Callback<EventBatch> done) {
    WatchEvents(job_id, after_sequence, timeout_ms, std::move(done));
  });
}

void JobManager::WatchEvents(const std::string& job_id, int64_t after_sequence,
                             int64_t timeout_ms, Callback<EventBatch> done) {
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(std::clamp<int64_t>(timeout_ms, 0, kMaxLeaseWaitMs));
  auto shared_done = std::make_shared<Callback<EventBatch>>(std::move(done));
  Op op;
  op.refuse = [shared_done](const absl::Status& s) { (*shared_done)(s); };
  op.run = [this, job_id, after_sequence, deadline, shared_done]()
      ABSL_NO_THREAD_SAFETY_ANALYSIS -> Reply {
    auto batch = std::make_shared<absl::StatusOr<EventBatch>>(ReadEvents(job_id, after_sequence));
    if (!batch->ok() || !(*batch)->events.empty() || (*batch)->job_terminal ||
        absl::Now() >= deadline) {
      return EventReply(batch, *shared_done);
    }
    const uint64_t handle = next_handle_.fetch_add(1);
    event_waiters_[handle] = EventWaiter{job_id, after_sequence, deadline, *shared_done};
    event_deadlines_.emplace(deadline, handle);
    return nullptr;
  };
  Submit(std::move(op));
}

absl::StatusOr<EventBatch> JobManager::ReadEvents(const std::string& job_id,
                                                  int64_t after_sequence) {
  // A job that failed to load has not ended: its watchers wait.
  const bool live = jobs_.count(job_id) > 0 || unloaded_jobs_.count(job_id) > 0;
  if (!live && ended_jobs_.count(job_id) == 0) {
    return absl::NotFoundError(absl::StrCat("job_id: no job \"", job_id.substr(0, 100), "\""));
  }
  EventBatch batch;
  const int64_t last = last_event_[job_id];
  if (after_sequence < last) {
    auto events = store_->ListEvents(job_id, after_sequence, /*limit=*/500);
    if (!events.ok()) return events.status();
    batch.events = std::move(*events);
  }
  batch.job_terminal = !live && (batch.events.empty() || batch.events.back().sequence() >= last);
  return batch;
}

void JobManager::WakeEventWaiters(std::vector<Reply>* replies) {
  if (touched_jobs_.empty() || event_waiters_.empty()) return;
  std::sort(touched_jobs_.begin(), touched_jobs_.end());
  for (auto it = event_waiters_.begin(); it != event_waiters_.end();) {
    if (!std::binary_search(touched_jobs_.begin(), touched_jobs_.end(), it->second.job_id)) {
      ++it;
      continue;
    }
    auto batch = std::make_shared<absl::StatusOr<EventBatch>>(
        ReadEvents(it->second.job_id, it->second.after_sequence));
    auto done = it->second.done;
    replies->push_back([batch, done](const absl::Status&) { done(std::move(*batch)); });
    it = event_waiters_.erase(it);  // its deadline entry is skipped lazily
  }
}

uint64_t JobManager::LeaseAsync(const v1::LeaseRequest& request,
                                Callback<v1::LeaseResponse> done) {
  const uint64_t handle = next_handle_.fetch_add(1);
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(std::clamp<int64_t>(request.wait_ms(), 0, kMaxLeaseWaitMs));
  const int max_tasks = std::clamp(request.max_tasks(), 1, kMaxTasksPerLease);
  auto shared_done = std::make_shared<Callback<v1::LeaseResponse>>(std::move(done));
  Op op;
  op.refuse = [shared_done](const absl::Status& s) { (*shared_done)(s); };
  op.run = [this, handle, deadline, max_tasks, shared_done,
            executor_id = request.executor_id()]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> Reply {
    auto ex = FindExecutor(executor_id);
    if (!ex.ok()) {
      return [s = ex.status(), shared_done](const absl::Status&) { (*shared_done)(s); };
    }
    if (!store_fault_.ok()) {  // work whose result could not be stored
      return [s = store_fault_, shared_done](const absl::Status&) { (*shared_done)(s); };
    }
    LeaseFilter filter;
    if ((*ex)->kind == v1::WORKER) {
      filter.kinds = {TaskKind::kAccuracy};
    } else {
      filter.kinds = {TaskKind::kLatency};
      filter.device_class = (*ex)->device_class;
    }
    filter.capabilities = (*ex)->capabilities;
    auto response = std::make_shared<v1::LeaseResponse>();
    for (v1::Task& t : LeaseLocked(executor_id, filter, max_tasks)) {
      *response->add_tasks() = std::move(t);
    }
    if (response->tasks_size() > 0 || absl::Now() >= deadline) {
      return LeaseReply(response, *shared_done);
    }
    const std::string profile = ProfileKey(filter);
    lease_waiters_[handle] = LeaseWaiter{executor_id, filter, max_tasks, deadline, *shared_done};
    waiters_by_profile_[profile].push_back(handle);
    lease_deadlines_.emplace(deadline, handle);
    return nullptr;
  };
  Submit(std::move(op));
  return handle;
}

void JobManager::CancelLease(uint64_t handle) {
  Op op;
  // Refused (broken, shutting down): the poll is still answered, now.
  op.refuse = [this, handle](const absl::Status&) {
    Callback<v1::LeaseResponse> done;
    {
      absl::MutexLock lock(&mu_);
      auto it = lease_waiters_.find(handle);
      if (it == lease_waiters_.end()) return;
      done = std::move(it->second.done);
      lease_waiters_.erase(it);
    }
    done(v1::LeaseResponse());
  };
  op.run = [this, handle]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> Reply {
    auto it = lease_waiters_.find(handle);
    if (it == lease_waiters_.end()) return nullptr;
    auto done = it->second.done;
    lease_waiters_.erase(it);
    return [done](const absl::Status&) { done(v1::LeaseResponse()); };
  };
  Submit(std::move(op));
}

absl::StatusOr<v1::LeaseResponse> JobManager::Lease(const v1::LeaseRequest& request) {
  return Await<v1::LeaseResponse>(
      [&](Callback<v1::LeaseResponse> done) { LeaseAsync(request, std::move(done)); });
}

void JobManager::DispatchWaiters(std::vector<Reply>* replies) {
  if (!store_fault_.ok()) return;  // parked polls wait, or time out empty
  for (auto p = waiters_by_profile_.begin(); p != waiters_by_profile_.end();) {
    std::deque<uint64_t>& handles = p->second;
    while (!handles.empty()) {
      auto w = lease_waiters_.find(handles.front());
      if (w == lease_waiters_.end()) {  // answered or cancelled
        handles.pop_front();
        continue;
      }
      if (!queue_.HasLeasable(w->second.filter)) break;
      LeaseWaiter waiter = std::move(w->second);
      lease_waiters_.erase(w);
      handles.pop_front();
      auto response = std::make_shared<v1::LeaseResponse>();
      for (v1::Task& t : LeaseLocked(waiter.executor_id, waiter.filter, waiter.max_tasks)) {
        *response->add_tasks() = std::move(t);
      }
      replies->push_back(LeaseReply(response, std::move(waiter.done)));
    }
    p = handles.empty() ? waiters_by_profile_.erase(p) : std::next(p);
  }
}

void JobManager::ExpireWaiters(std::vector<Reply>* replies) {
  const absl::Time now = absl::Now();
  while (!lease_deadlines_.empty() && lease_deadlines_.begin()->first <= now) {
    auto w = lease_waiters_.find(lease_deadlines_.begin()->second);
    lease_deadlines_.erase(lease_deadlines_.begin());
    if (w == lease_waiters_.end()) continue;
    auto done = std::move(w->second.done);
    lease_waiters_.erase(w);
    replies->push_back([done](const absl::Status&) { done(v1::LeaseResponse()); });
  }
  while (!event_deadlines_.empty() && event_deadlines_.begin()->first <= now) {
    auto w = event_waiters_.find(event_deadlines_.begin()->second);
    event_deadlines_.erase(event_deadlines_.begin());
    if (w == event_waiters_.end()) continue;
    // While broken, memory may not hold the job: the watch ends with no
    // events (the client watches again), never with a wrong answer.
    auto batch = std::make_shared<absl::StatusOr<EventBatch>>(
        broken_ ? absl::StatusOr<EventBatch>(EventBatch())
                : ReadEvents(w->second.job_id, w->second.after_sequence));
    auto done = std::move(w->second.done);
    event_waiters_.erase(w);
    replies->push_back(EventReply(batch, std::move(done)));
  }
}

void JobManager::Tick() {
  RunSync<bool>([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<bool> {
    SweepLocked();
    return true;
  }).IgnoreError();
}

void JobManager::Shutdown() {
  {
    absl::MutexLock lock(&ops_mu_);
    if (stopping_) return;
  }
  // Answer every parked call, then stop accepting operations.
  auto answer_parked = [this]() ABSL_NO_THREAD_SAFETY_ANALYSIS -> absl::StatusOr<bool> {
    for (auto& [handle, w] : lease_waiters_) {
      auto done = w.done;
      shutdown_replies_.push_back([done](const absl::Status&) { done(v1::LeaseResponse()); });
    }
    lease_waiters_.clear();
    waiters_by_profile_.clear();
    lease_deadlines_.clear();
    for (auto& [handle, w] : event_waiters_) {
      auto done = w.done;
      shutdown_replies_.push_back([done](const absl::Status&) {
        done(absl::UnavailableError("coordinator is shutting down"));
      });
    }
    event_waiters_.clear();
    event_deadlines_.clear();
    shutdown_ = true;
    return true;
  };
  if (!RunSync<bool>(answer_parked).ok()) {
    // Refused (the database takes no transaction): answer them here; the
    // body only touches memory, and running it twice is harmless.
    absl::MutexLock lock(&mu_);
    answer_parked().IgnoreError();
  }
  std::vector<Reply> replies;
  {
    absl::MutexLock lock(&mu_);
    replies.swap(shutdown_replies_);
  }
  for (Reply& r : replies) r(absl::OkStatus());
  {
    absl::MutexLock lock(&ops_mu_);
    stopping_ = true;
  }
  if (committer_.joinable() && committer_.get_id() != std::this_thread::get_id()) {
    committer_.join();
  }
  {
    absl::MutexLock lock(&replies_mu_);
    replier_stopping_ = true;
  }
  if (replier_.joinable() && replier_.get_id() != std::this_thread::get_id()) replier_.join();
}

int64_t JobManager::committed_operations() const {
  absl::MutexLock lock(&ops_mu_);
  return committed_ops_;
}

int64_t JobManager::committed_batches() const {
  absl::MutexLock lock(&ops_mu_);
  return committed_batches_;
}

int64_t JobManager::reload_attempts() const {
  absl::MutexLock lock(&mu_);
  return reload_attempts_;
}

}  // namespace edgenas
