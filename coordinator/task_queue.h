// TaskQueue: the in-memory lease state machine for worker and device-agent
// tasks. Pure logic: no I/O, and time comes only from the injected Clock.
//
//   Add ─> kQueued ─Lease─> kLeased ─Complete─> kDone
//             ^                │
//             └────────────────┤  Fail(retryable) or expiry, attempts left
//                              │
//                              └─> kFailed  Fail(not retryable) or expiry, none left
//   CancelJob / RevokeCandidate: kQueued | kLeased ─> kCancelled
//
// A queued task whose depends_on are not all kDone is blocked: it is not
// leasable until the last of them completes. Queued tasks are indexed by
// route (kind, device class, required capabilities), so leasing costs
// O(routes · log n), not a scan of every queued task.
//
// Rules a caller may rely on:
//  * A lease is proved by its token (128 random bits, fresh per lease) AND
//    by the executor that holds it. Heartbeat, Complete and Fail refuse a
//    token that is not the current lease's with FAILED_PRECONDITION, and a
//    caller that is not the lease owner with PERMISSION_DENIED; either way
//    nothing changes.
//  * A lease runs for its duration on the MONOTONIC clock
//    (Clock::NowMonotonicMs): a wall-clock step neither ends nor stretches
//    it. lease_expiry_ms (wall clock) is what is stored and told to the
//    executor; it is kept in step with every lease and heartbeat.
//  * A lease is over once its monotonic deadline passes, whether or not
//    ExpireLeases() has run yet: the sweep is bookkeeping, not the deadline.
//    So a result that arrives after expiry is refused even if the task has
//    not been handed to anyone else, and the executor must not assume it
//    counted. Two exceptions, both for the coordinator's own outages: while
//    SuspendExpiry(true) is in force (the owner cannot store anything) no
//    lease is over, whatever its deadline; and a lease loaded by Restore
//    or given grace by GrantGrace lives at least its grace from then.
//  * Refusals never name another executor (no lease owner in any message).
//  * Complete is idempotent: repeating it with the token that completed the
//    task answers duplicate=true and changes nothing. Fail is not: once a
//    Fail took effect the token no longer holds a lease, and a retried Fail
//    is refused with FAILED_PRECONDITION (harmless: the first one counted).
//  * A requeued task keeps its created_ms, so it goes back to the front of
//    the FIFO order, ahead of newer work.
//
// Not internally locked: the owner (the job manager) serialises every call
// under its own mutex. Records returned are copies.
#ifndef EDGENAS_COORDINATOR_TASK_QUEUE_H_
#define EDGENAS_COORDINATOR_TASK_QUEUE_H_

#include <array>
#include <functional>
#include <map>
#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/clock.h"
#include "coordinator/store/task_record.h"

namespace edgenas {

// Which tasks an executor can take.
struct LeaseFilter {
  // Kinds the executor runs; empty means every kind.
  std::vector<TaskKind> kinds;
  // Latency tasks are handed out only to an executor of exactly this device
  // class; "" takes no latency task. Accuracy tasks ignore it.
  std::string device_class;
  // Capabilities the executor registered (sorted or not); a task is taken
  // only when every one of its requires_capabilities is among them.
  std::vector<std::string> capabilities;
};

// True when an executor with `filter` may run `task`.
bool CanRun(const LeaseFilter& filter, const TaskRecord& task);

struct CompleteOutcome {
  // True when the task was already completed with this same token.
  bool duplicate = false;
  TaskRecord task;
};

struct FailOutcome {
  // True when the task went back to kQueued; false when it is now kFailed.
  bool requeued = false;
  TaskRecord task;
};

class TaskQueue {
 public:
  // `clock` must outlive the queue. `lease_ms_default` (> 0) is used when a
  // call passes lease_ms <= 0.
  // With `retire_finished`, a candidate's task leaves memory as soon as it
  // is done, failed or cancelled (the store keeps it): memory then grows with
  // open work, not with the archive. Get/Complete then answer NOT_FOUND for
  // it, and the owner looks the finished task up in the store. Job-level
  // tasks (empty candidate_id) are always kept, as later tasks depend on them.
  TaskQueue(const Clock* clock, int64_t lease_ms_default, bool retire_finished = false);

  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Enqueues a new task: state becomes kQueued, attempts 0, lease fields
  // cleared, updated_ms now (created_ms too when it is 0). INVALID_ARGUMENT
  // for an empty id or max_attempts < 1; ALREADY_EXISTS for a known id.
  absl::Status Add(TaskRecord task);

  // Loads a task exactly as stored (any state), e.g. on restart. A leased
  // task keeps its token and stored expiry, and its lease lives until
  // max(stored expiry, now + grace_ms): what it had left by the wall clock,
  // but at least `grace_ms` (the coordinator's downtime is not the
  // executor's fault). ALREADY_EXISTS for a known id.
  absl::Status Restore(TaskRecord task, int64_t grace_ms = 0);

  // Gives every live lease at least grace_ms(task) from now (never
  // shortens one); for when expiry resumes after a store fault. Returns how
  // many leases it lengthened. Changes no stored field.
  int GrantGrace(const std::function<int64_t(const TaskRecord&)>& grace_ms);

  // While `suspended`, no lease is over: ExpireLeases ends none and
  // Heartbeat/Complete/Fail accept the holder's token whatever its deadline
  // (for while the owner cannot store results). Kept across Clear().
  void SuspendExpiry(bool suspended) { expiry_suspended_ = suspended; }
  bool expiry_suspended() const { return expiry_suspended_; }

  // Leases up to `max_tasks` queued tasks that match `filter`, oldest first
  // (created_ms, then insertion order), to `executor_id` for `lease_ms`.
  // Each gets attempts+1 and a fresh token. Returns copies of them.
  std::vector<TaskRecord> Lease(const LeaseFilter& filter, int max_tasks,
                                const std::string& executor_id, int64_t lease_ms);

  // Extends a live lease held by `executor_id` with `token` to now+lease_ms
  // and returns the new expiry. NOT_FOUND for an unknown task;
  // FAILED_PRECONDITION when the lease is not live; PERMISSION_DENIED when
  // another executor holds it.
  absl::StatusOr<int64_t> Heartbeat(const std::string& task_id, const std::string& token,
                                    const std::string& executor_id, int64_t lease_ms);

  // Checks, without changing anything, that Complete would accept the call:
  // OK (or a duplicate) exactly when Complete would succeed.
  absl::StatusOr<CompleteOutcome> CheckComplete(const std::string& task_id,
                                                const std::string& token,
                                                const std::string& executor_id) const;
  // Marks a live lease done (see the rules above for duplicates and expiry)
  // and unblocks the tasks that waited for it. NOT_FOUND for an unknown task;
  // PERMISSION_DENIED when `executor_id` does not hold the lease;
  // FAILED_PRECONDITION otherwise.
  absl::StatusOr<CompleteOutcome> Complete(const std::string& task_id,
                                           const std::string& token,
                                           const std::string& executor_id);

  // Ends a live lease with `reason`: requeued when `retryable` and attempts
  // remain, else kFailed. last_error = reason. Same rules as Complete.
  absl::StatusOr<FailOutcome> Fail(const std::string& task_id, const std::string& token,
                                   const std::string& executor_id, const std::string& reason,
                                   bool retryable);

  // Ends every lease whose (monotonic) deadline has passed: back to kQueued,
  // or kFailed when its attempts are used up. Nothing while expiry is
  // suspended. Returns the changed records (to persist).
  std::vector<TaskRecord> ExpireLeases();

  // Cancels every queued or leased task of the job; returns those changed.
  std::vector<TaskRecord> CancelJob(const std::string& job_id);
  // Cancels the queued or leased tasks of one candidate; returns those changed.
  std::vector<TaskRecord> RevokeCandidate(const std::string& candidate_id);
  // Drops every task of an ended job from memory (they stay in the store).
  void ForgetJob(const std::string& job_id);
  // Drops every task from memory, as if newly constructed (the owner then
  // restores what the store holds).
  void Clear();

  // True when a queued, unblocked task matches `filter`.
  bool HasLeasable(const LeaseFilter& filter) const;

  // A copy of the task, or nullopt.
  std::optional<TaskRecord> Get(const std::string& task_id) const;

  // The job's tasks in FIFO order (created_ms, then insertion).
  std::vector<TaskRecord> TasksOfJob(const std::string& job_id) const;

  // The earliest lease expiry as a wall-clock time (now + the shortest time
  // a lease has left), or INT64_MAX when nothing is leased.
  int64_t NextExpiryMs() const;

  // Number of tasks in `state`.
  int CountInState(TaskState state) const;

  // Number of tasks in memory by (kind, state); O(tasks in memory), for
  // metrics read at scrape time.
  std::map<std::pair<TaskKind, TaskState>, int> CountByKindAndState() const;
  // Queued tasks whose dependencies are met (leasable now), by kind.
  std::map<TaskKind, int> LeasableByKind() const;

  // Number of tasks known, in any state.
  int size() const { return static_cast<int>(tasks_.size()); }

 private:
  struct Entry {
    TaskRecord task;
    uint64_t seq = 0;  // insertion order, breaks created_ms ties
    int unmet = 0;     // depends_on entries not yet kDone
    int64_t deadline_mono = 0;  // kLeased: when the lease ends (monotonic ms)
  };
  // Sets a leased entry's deadline (monotonic) and stored expiry (wall) to
  // `lease_ms` from now; the caller unindexes and indexes around it.
  void SetDeadline(Entry& entry, int64_t lease_ms);
  // (created_ms, seq, task_id) of queued tasks: iteration order is FIFO.
  using QueueKey = std::tuple<int64_t, uint64_t, std::string>;
  // (kind, device class, required capabilities joined) of a task.
  using RouteKey = std::tuple<int, std::string, std::string>;
  static RouteKey RouteOf(const TaskRecord& task);
  // Marks `id` done for its dependents, indexing those now unblocked.
  void Satisfy(const std::string& id);
  // Shared checks of Complete and CheckComplete; the entry when live.
  absl::StatusOr<const Entry*> CheckOwned(const std::string& task_id, const std::string& token,
                                          const std::string& executor_id,
                                          const char* action) const;
  // Cancels one entry if it is queued or leased; true when it changed.
  bool CancelEntry(Entry& entry, int64_t now);
  // Drops a finished candidate task from memory (retire_finished only).
  void MaybeRetire(const std::string& id);

  absl::Status Insert(TaskRecord task, int64_t deadline_mono = 0);
  // Index bookkeeping around every state change.
  void Unindex(const Entry& entry);
  void Index(const Entry& entry);
  // OK when `token` proves a live lease on `entry`; why not otherwise.
  absl::Status CheckLive(const Entry& entry, const std::string& token,
                         const char* action) const;
  // Puts a leased entry back in the queue or fails it (for Fail and expiry).
  void EndLease(Entry& entry, bool retry, const std::string& error, int64_t now);
  std::string NewToken();
  int64_t LeaseMs(int64_t lease_ms) const;

  const Clock* const clock_;
  const int64_t lease_ms_default_;
  std::random_device entropy_;
  uint64_t next_seq_ = 0;
  std::unordered_map<std::string, Entry> tasks_;
  const bool retire_finished_;
  std::unordered_map<std::string, std::unordered_set<std::string>> job_tasks_;
  std::unordered_map<std::string, std::unordered_set<std::string>> candidate_tasks_;
  // dependency id -> queued tasks waiting for it
  std::unordered_map<std::string, std::vector<std::string>> dependents_;
  std::map<RouteKey, std::set<QueueKey>> queued_;
  // (monotonic deadline, task id) of leased tasks.
  std::set<std::pair<int64_t, std::string>> leases_by_expiry_;
  bool expiry_suspended_ = false;
  std::array<int, 5> counts_{};
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_TASK_QUEUE_H_
