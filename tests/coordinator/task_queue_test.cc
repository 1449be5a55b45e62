#include "coordinator/task_queue.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/coordinator/fake_clock.h"

namespace edgenas {
namespace {

using testing::FakeClock;

constexpr int64_t kLeaseMs = 10000;

TaskRecord Accuracy(const std::string& id, const std::string& job = "job1",
                    int max_attempts = 3) {
  TaskRecord t;
  t.task_id = id;
  t.job_id = job;
  t.candidate_id = "cand-" + id;
  t.kind = TaskKind::kAccuracy;
  t.max_attempts = max_attempts;
  return t;
}

TaskRecord Latency(const std::string& id, const std::string& device_class) {
  TaskRecord t = Accuracy(id);
  t.kind = TaskKind::kLatency;
  t.device_class = device_class;
  return t;
}

std::vector<std::string> Ids(const std::vector<TaskRecord>& tasks) {
  std::vector<std::string> ids;
  for (const TaskRecord& t : tasks) ids.push_back(t.task_id);
  return ids;
}

// An executor filter: `kinds` (empty: every kind), device class, capabilities.
LeaseFilter Filter(std::vector<TaskKind> kinds, const std::string& device_class,
                   std::vector<std::string> capabilities) {
  LeaseFilter f;
  f.kinds = std::move(kinds);
  f.device_class = device_class;
  f.capabilities = std::move(capabilities);
  return f;
}

// Leases exactly one task for `executor` with any kind, or fails the test.
TaskRecord LeaseOne(TaskQueue& queue, const std::string& executor = "w1") {
  std::vector<TaskRecord> got = queue.Lease({}, 1, executor, kLeaseMs);
  EXPECT_EQ(got.size(), 1u);
  return got.empty() ? TaskRecord() : got.front();
}

class TaskQueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  TaskQueue queue_{&clock_, kLeaseMs};
};

// Tasks come out oldest first: by created_ms, then in insertion order.
TEST_F(TaskQueueTest, LeasesQueuedTasksInFifoOrder) {
  TaskRecord late = Accuracy("late");
  late.created_ms = clock_.NowUnixMs() + 5;
  ASSERT_TRUE(queue_.Add(late).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("b")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("c")).ok());

  EXPECT_EQ(Ids(queue_.Lease({}, 2, "w1", kLeaseMs)), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w2", kLeaseMs)), (std::vector<std::string>{"c", "late"}));
  EXPECT_TRUE(queue_.Lease({}, 5, "w3", kLeaseMs).empty());
}

// A lease sets state, owner, expiry, attempts and a fresh 128-bit token.
TEST_F(TaskQueueTest, LeaseSetsOwnerExpiryAttemptAndUniqueToken) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("b")).ok());
  std::vector<TaskRecord> got = queue_.Lease({}, 2, "w1", /*lease_ms=*/0);
  ASSERT_EQ(got.size(), 2u);
  for (const TaskRecord& t : got) {
    EXPECT_EQ(t.state, TaskState::kLeased);
    EXPECT_EQ(t.lease_owner, "w1");
    EXPECT_EQ(t.attempts, 1);
    EXPECT_EQ(t.lease_expiry_ms, clock_.NowUnixMs() + kLeaseMs);  // default applies
    EXPECT_EQ(t.lease_token.size(), 32u);
  }
  EXPECT_NE(got[0].lease_token, got[1].lease_token);
  EXPECT_EQ(queue_.CountInState(TaskState::kLeased), 2);
  EXPECT_EQ(queue_.CountInState(TaskState::kQueued), 0);
}

// Add refuses a duplicate id and resets lease fields of a new task.
TEST_F(TaskQueueTest, AddRefusesDuplicateIdAndResetsLeaseFields) {
  TaskRecord t = Accuracy("a");
  t.state = TaskState::kDone;
  t.attempts = 2;
  t.lease_token = "old";
  ASSERT_TRUE(queue_.Add(t).ok());
  EXPECT_EQ(queue_.Add(Accuracy("a")).code(), absl::StatusCode::kAlreadyExists);
  std::optional<TaskRecord> got = queue_.Get("a");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->state, TaskState::kQueued);
  EXPECT_EQ(got->attempts, 0);
  EXPECT_EQ(got->lease_token, "");
  EXPECT_EQ(got->created_ms, clock_.NowUnixMs());
  EXPECT_EQ(queue_.Add(Accuracy("")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(queue_.Add(Accuracy("z", "job1", 0)).code(), absl::StatusCode::kInvalidArgument);
}

// The filter limits kinds, and latency tasks go only to their device class.
TEST_F(TaskQueueTest, LeaseFiltersByKindAndDeviceClass) {
  ASSERT_TRUE(queue_.Add(Latency("lat-rpi", "rpi5")).ok());
  ASSERT_TRUE(queue_.Add(Latency("lat-jetson", "jetson")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("acc")).ok());

  LeaseFilter worker{{TaskKind::kAccuracy}, "", {}};
  EXPECT_EQ(Ids(queue_.Lease(worker, 5, "w", kLeaseMs)), (std::vector<std::string>{"acc"}));

  LeaseFilter no_class{{TaskKind::kLatency}, "", {}};
  EXPECT_TRUE(queue_.Lease(no_class, 5, "a0", kLeaseMs).empty());

  LeaseFilter rpi{{TaskKind::kLatency}, "rpi5", {}};
  EXPECT_EQ(Ids(queue_.Lease(rpi, 5, "a1", kLeaseMs)), (std::vector<std::string>{"lat-rpi"}));

  LeaseFilter any_kind{{}, "jetson", {}};
  EXPECT_EQ(Ids(queue_.Lease(any_kind, 5, "a2", kLeaseMs)),
            (std::vector<std::string>{"lat-jetson"}));
}

// Heartbeat moves the expiry to now+lease_ms, so the lease outlives its first term.
TEST_F(TaskQueueTest, HeartbeatExtendsLiveLease) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  clock_.Advance(kLeaseMs - 1);
  absl::StatusOr<int64_t> expiry = queue_.Heartbeat("a", t.lease_token, "w1", kLeaseMs);
  ASSERT_TRUE(expiry.ok()) << expiry.status();
  EXPECT_EQ(*expiry, clock_.NowUnixMs() + kLeaseMs);
  EXPECT_EQ(queue_.NextExpiryMs(), *expiry);

  clock_.Advance(kLeaseMs - 1);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  EXPECT_TRUE(queue_.Complete("a", t.lease_token, "w1").ok());
}

// Heartbeat refuses unknown tasks, wrong tokens, other executors (PERMISSION_DENIED) and
// dead leases.
TEST_F(TaskQueueTest, HeartbeatRefusesWhatItDoesNotHold) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  EXPECT_EQ(queue_.Heartbeat("nope", t.lease_token, "w1", kLeaseMs).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(queue_.Heartbeat("a", "bogus", "w1", kLeaseMs).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Heartbeat("a", t.lease_token, "w2", kLeaseMs).status().code(),
            absl::StatusCode::kPermissionDenied);
  clock_.Advance(kLeaseMs);
  EXPECT_EQ(queue_.Heartbeat("a", t.lease_token, "w1", kLeaseMs).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Get("a")->lease_expiry_ms, t.lease_expiry_ms);
}

// An expired lease goes back to the queue with its attempt counted.
TEST_F(TaskQueueTest, ExpiryRequeuesAndCountsAttempt) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_, "w1");
  EXPECT_EQ(queue_.NextExpiryMs(), t.lease_expiry_ms);
  clock_.Advance(kLeaseMs - 1);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  clock_.Advance(1);

  std::vector<TaskRecord> expired = queue_.ExpireLeases();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].state, TaskState::kQueued);
  EXPECT_EQ(expired[0].attempts, 1);
  EXPECT_EQ(expired[0].last_error, "lease expired (no heartbeat in time)");
  EXPECT_EQ(queue_.NextExpiryMs(), std::numeric_limits<int64_t>::max());

  TaskRecord again = LeaseOne(queue_, "w2");
  EXPECT_EQ(again.attempts, 2);
  EXPECT_NE(again.lease_token, t.lease_token);
}

// After max_attempts expiries the task fails instead of requeueing.
TEST_F(TaskQueueTest, ExpiryFailsTaskWhenAttemptsExhausted) {
  ASSERT_TRUE(queue_.Add(Accuracy("a", "job1", /*max_attempts=*/2)).ok());
  for (int attempt = 1; attempt <= 2; ++attempt) {
    TaskRecord t = LeaseOne(queue_);
    EXPECT_EQ(t.attempts, attempt);
    clock_.Advance(kLeaseMs);
    std::vector<TaskRecord> expired = queue_.ExpireLeases();
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].state, attempt < 2 ? TaskState::kQueued : TaskState::kFailed);
  }
  EXPECT_EQ(queue_.Get("a")->state, TaskState::kFailed);
  EXPECT_NE(queue_.Get("a")->last_error.find("lease expired"), std::string::npos);
  EXPECT_TRUE(queue_.Lease({}, 1, "w1", kLeaseMs).empty());
  EXPECT_EQ(queue_.CountInState(TaskState::kFailed), 1);
}

// A token that never held the lease is refused and nothing changes.
TEST_F(TaskQueueTest, CompleteRefusesStaleTokenWithoutChange) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  absl::StatusOr<CompleteOutcome> bad =
      queue_.Complete("a", "0123456789abcdef0123456789abcdef", "w1");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Complete("a", "", "w1").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Complete("missing", t.lease_token, "w1").status().code(),
            absl::StatusCode::kNotFound);
  std::optional<TaskRecord> now = queue_.Get("a");
  EXPECT_EQ(now->state, TaskState::kLeased);
  EXPECT_EQ(now->lease_token, t.lease_token);
  EXPECT_EQ(now->updated_ms, t.updated_ms);
}

// Repeating Complete with the completing token is a no-op duplicate.
TEST_F(TaskQueueTest, CompleteIsIdempotentForSameToken) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  absl::StatusOr<CompleteOutcome> first = queue_.Complete("a", t.lease_token, "w1");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->task.state, TaskState::kDone);

  clock_.Advance(kLeaseMs * 5);  // even long after the lease would have ended
  absl::StatusOr<CompleteOutcome> second = queue_.Complete("a", t.lease_token, "w1");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->task.updated_ms, first->task.updated_ms);
  EXPECT_EQ(queue_.Complete("a", "other", "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.CountInState(TaskState::kDone), 1);
}

// Once the clock passes the expiry, Complete is refused even before the sweep.
TEST_F(TaskQueueTest, CompleteRefusedAfterExpiryEvenBeforeSweep) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  clock_.Advance(kLeaseMs);
  absl::StatusOr<CompleteOutcome> late = queue_.Complete("a", t.lease_token, "w1");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  EXPECT_EQ(queue_.Get("a")->state, TaskState::kLeased);  // the sweep does the rest
  ASSERT_EQ(queue_.ExpireLeases().size(), 1u);
  EXPECT_EQ(queue_.Complete("a", t.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// After expiry and a new lease, only the new token completes the task.
TEST_F(TaskQueueTest, ReleasedTaskRefusesOldToken) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord first = LeaseOne(queue_, "w1");
  clock_.Advance(kLeaseMs);
  queue_.ExpireLeases();
  TaskRecord second = LeaseOne(queue_, "w2");

  EXPECT_EQ(queue_.Complete("a", first.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Fail("a", first.lease_token, "w1", "x", true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Get("a")->lease_owner, "w2");
  absl::StatusOr<CompleteOutcome> done = queue_.Complete("a", second.lease_token, "w2");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(done->duplicate);
  EXPECT_EQ(queue_.Complete("a", first.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A retryable Fail requeues while attempts remain; then the task fails.
TEST_F(TaskQueueTest, RetryableFailRequeuesUntilAttemptsExhausted) {
  ASSERT_TRUE(queue_.Add(Accuracy("a", "job1", /*max_attempts=*/2)).ok());
  TaskRecord t = LeaseOne(queue_);
  absl::StatusOr<FailOutcome> first = queue_.Fail("a", t.lease_token, "w1", "oom", true);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->requeued);
  EXPECT_EQ(first->task.state, TaskState::kQueued);
  EXPECT_EQ(first->task.last_error, "oom");
  // The spent token is dead: a retried Fail is refused.
  EXPECT_EQ(queue_.Fail("a", t.lease_token, "w1", "oom", true).status().code(),
            absl::StatusCode::kFailedPrecondition);

  t = LeaseOne(queue_);
  absl::StatusOr<FailOutcome> second = queue_.Fail("a", t.lease_token, "w1", "oom again", true);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->requeued);
  EXPECT_EQ(second->task.state, TaskState::kFailed);
  EXPECT_NE(second->task.last_error.find("oom again"), std::string::npos);
}

// A non-retryable Fail ends the task at once with the reason recorded.
TEST_F(TaskQueueTest, NonRetryableFailFailsImmediately) {
  ASSERT_TRUE(queue_.Add(Accuracy("a", "job1", /*max_attempts=*/5)).ok());
  TaskRecord t = LeaseOne(queue_);
  absl::StatusOr<FailOutcome> out = queue_.Fail("a", t.lease_token, "w1", "bad arch", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->requeued);
  EXPECT_EQ(out->task.state, TaskState::kFailed);
  EXPECT_EQ(out->task.last_error, "bad arch");
  EXPECT_EQ(out->task.attempts, 1);
  EXPECT_EQ(queue_.Complete("a", t.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// CancelJob cancels the job's queued and leased tasks only, and returns them.
TEST_F(TaskQueueTest, CancelJobCancelsUnfinishedTasksOfThatJob) {
  ASSERT_TRUE(queue_.Add(Accuracy("done", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("leased", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("queued", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("other", "j2")).ok());
  TaskRecord d = LeaseOne(queue_);
  ASSERT_TRUE(queue_.Complete("done", d.lease_token, "w1").ok());
  TaskRecord l = LeaseOne(queue_);
  ASSERT_EQ(l.task_id, "leased");

  std::vector<TaskRecord> cancelled = queue_.CancelJob("j1");
  std::set<std::string> ids;
  for (const TaskRecord& t : cancelled) {
    EXPECT_EQ(t.state, TaskState::kCancelled);
    ids.insert(t.task_id);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"leased", "queued"}));
  EXPECT_EQ(queue_.Get("done")->state, TaskState::kDone);
  EXPECT_EQ(queue_.Get("other")->state, TaskState::kQueued);
  EXPECT_EQ(queue_.Complete("leased", l.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.NextExpiryMs(), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(queue_.CancelJob("j1").empty());
  EXPECT_EQ(Ids(queue_.TasksOfJob("j1")),
            (std::vector<std::string>{"done", "leased", "queued"}));
}

// Restore keeps a stored lease live: its token still completes it.
TEST_F(TaskQueueTest, RestoreKeepsStoredLease) {
  TaskRecord t = Accuracy("a");
  t.state = TaskState::kLeased;
  t.attempts = 1;
  t.lease_token = "tok";
  t.lease_owner = "w1";
  t.lease_expiry_ms = clock_.NowUnixMs() + 100;
  ASSERT_TRUE(queue_.Restore(t).ok());
  EXPECT_EQ(queue_.Restore(t).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(queue_.NextExpiryMs(), t.lease_expiry_ms);
  EXPECT_TRUE(queue_.Lease({}, 1, "w2", kLeaseMs).empty());
  EXPECT_TRUE(queue_.Complete("a", "tok", "w1").ok());
}

// A caller that is not the lease owner is refused with PERMISSION_DENIED by
// Heartbeat, CheckComplete, Complete and Fail, and nothing changes; the owner
// can still complete afterwards, and a duplicate Complete by a non-owner is refused.
TEST_F(TaskQueueTest, NonOwnerRefusedWithPermissionDeniedAndNothingChanges) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_, "w1");
  clock_.Advance(1);  // so any write would show in updated_ms

  EXPECT_EQ(queue_.Heartbeat("a", t.lease_token, "w2", kLeaseMs).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(queue_.CheckComplete("a", t.lease_token, "w2").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(queue_.Complete("a", t.lease_token, "w2").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(queue_.Complete("a", t.lease_token, "").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(queue_.Fail("a", t.lease_token, "w2", "nope", /*retryable=*/true).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(queue_.Fail("a", t.lease_token, "w2", "nope", /*retryable=*/false).status().code(),
            absl::StatusCode::kPermissionDenied);

  std::optional<TaskRecord> now = queue_.Get("a");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(now->state, TaskState::kLeased);
  EXPECT_EQ(now->lease_owner, "w1");
  EXPECT_EQ(now->lease_token, t.lease_token);
  EXPECT_EQ(now->lease_expiry_ms, t.lease_expiry_ms);
  EXPECT_EQ(now->updated_ms, t.updated_ms);
  EXPECT_EQ(now->attempts, 1);
  EXPECT_EQ(now->last_error, "");
  EXPECT_EQ(queue_.NextExpiryMs(), t.lease_expiry_ms);
  EXPECT_EQ(queue_.CountInState(TaskState::kLeased), 1);

  absl::StatusOr<CompleteOutcome> done = queue_.Complete("a", t.lease_token, "w1");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(done->duplicate);
  EXPECT_EQ(done->task.state, TaskState::kDone);

  // A repeat by someone else is not a duplicate of theirs to claim.
  EXPECT_EQ(queue_.Complete("a", t.lease_token, "w2").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(queue_.CheckComplete("a", t.lease_token, "w2").status().code(),
            absl::StatusCode::kPermissionDenied);
  absl::StatusOr<CompleteOutcome> again = queue_.Complete("a", t.lease_token, "w1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(queue_.CountInState(TaskState::kDone), 1);
}

// CheckComplete answers exactly as Complete would but changes nothing (state,
// expiry, dependents stay as they were).
TEST_F(TaskQueueTest, CheckCompleteChangesNothing) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord b = Accuracy("b");
  b.depends_on = {"a"};
  ASSERT_TRUE(queue_.Add(b).ok());
  TaskRecord t = LeaseOne(queue_, "w1");
  ASSERT_EQ(t.task_id, "a");
  clock_.Advance(1);

  absl::StatusOr<CompleteOutcome> check = queue_.CheckComplete("a", t.lease_token, "w1");
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_FALSE(check->duplicate);
  EXPECT_EQ(check->task.state, TaskState::kLeased);
  std::optional<TaskRecord> now = queue_.Get("a");
  EXPECT_EQ(now->state, TaskState::kLeased);
  EXPECT_EQ(now->updated_ms, t.updated_ms);
  EXPECT_EQ(queue_.CountInState(TaskState::kDone), 0);
  EXPECT_EQ(queue_.NextExpiryMs(), t.lease_expiry_ms);
  EXPECT_FALSE(queue_.HasLeasable({}));  // b is still blocked on a

  EXPECT_EQ(queue_.CheckComplete("a", "bogus", "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.CheckComplete("missing", t.lease_token, "w1").status().code(),
            absl::StatusCode::kNotFound);

  ASSERT_TRUE(queue_.Complete("a", t.lease_token, "w1").ok());
  absl::StatusOr<CompleteOutcome> dup = queue_.CheckComplete("a", t.lease_token, "w1");
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->task.state, TaskState::kDone);

  // After expiry, CheckComplete refuses like Complete and the task stays leased.
  TaskRecord tb = LeaseOne(queue_, "w1");
  ASSERT_EQ(tb.task_id, "b");
  clock_.Advance(kLeaseMs);
  EXPECT_EQ(queue_.CheckComplete("b", tb.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Get("b")->state, TaskState::kLeased);
  EXPECT_EQ(queue_.Complete("b", tb.lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A task requiring a capability goes only to an executor that registered it
// (all of them, in any order); tasks with no requirement go to every executor.
TEST_F(TaskQueueTest, CapabilityRouting) {
  TaskRecord meter = Accuracy("meter");
  meter.requires_capabilities = {"energy_meter"};
  TaskRecord both = Accuracy("both");
  both.requires_capabilities = {"gpu", "energy_meter"};
  ASSERT_TRUE(queue_.Add(meter).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("plain1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("plain2")).ok());
  ASSERT_TRUE(queue_.Add(both).ok());

  const LeaseFilter gpu_only = Filter({}, "", {"gpu"});
  const LeaseFilter with_meter = Filter({}, "", {"energy_meter"});
  const LeaseFilter everything = Filter({}, "", {"x", "energy_meter", "gpu"});
  EXPECT_FALSE(CanRun(gpu_only, meter));
  EXPECT_TRUE(CanRun(with_meter, meter));
  EXPECT_FALSE(CanRun(with_meter, both));
  EXPECT_TRUE(CanRun(everything, both));
  EXPECT_TRUE(CanRun(Filter({}, "", {}), Accuracy("plain1")));

  // The older "meter" task is skipped for an executor without the meter.
  EXPECT_EQ(Ids(queue_.Lease(gpu_only, 1, "gpu-box", kLeaseMs)),
            (std::vector<std::string>{"plain1"}));
  EXPECT_EQ(Ids(queue_.Lease(with_meter, 5, "meter-box", kLeaseMs)),
            (std::vector<std::string>{"meter", "plain2"}));
  // Only "both" is left, and neither single-capability executor may take it.
  EXPECT_FALSE(queue_.HasLeasable(gpu_only));
  EXPECT_FALSE(queue_.HasLeasable(with_meter));
  EXPECT_TRUE(queue_.Lease(gpu_only, 5, "gpu-box", kLeaseMs).empty());
  EXPECT_TRUE(queue_.Lease(Filter({}, "", {}), 5, "bare", kLeaseMs).empty());
  EXPECT_TRUE(queue_.HasLeasable(everything));
  EXPECT_EQ(Ids(queue_.Lease(everything, 5, "big-box", kLeaseMs)),
            (std::vector<std::string>{"both"}));
  EXPECT_EQ(queue_.CountInState(TaskState::kQueued), 0);
}

// Latency tasks go only to an executor of exactly their device class (and
// with their required capabilities); an executor without a class takes none.
TEST_F(TaskQueueTest, LatencyTasksOnlyToMatchingDeviceClass) {
  TaskRecord metered = Latency("lat-rpi-meter", "rpi5");
  metered.requires_capabilities = {"energy_meter"};
  ASSERT_TRUE(queue_.Add(metered).ok());
  ASSERT_TRUE(queue_.Add(Latency("lat-rpi", "rpi5")).ok());
  ASSERT_TRUE(queue_.Add(Latency("lat-jetson", "jetson")).ok());

  EXPECT_FALSE(queue_.HasLeasable(Filter({}, "", {"energy_meter"})));
  EXPECT_TRUE(queue_.Lease(Filter({}, "", {"energy_meter"}), 5, "w", kLeaseMs).empty());
  EXPECT_TRUE(queue_.Lease(Filter({TaskKind::kAccuracy}, "rpi5", {}), 5, "acc", kLeaseMs).empty());
  EXPECT_TRUE(queue_.Lease(Filter({}, "rpi", {}), 5, "prefix", kLeaseMs).empty());
  EXPECT_EQ(Ids(queue_.Lease(Filter({TaskKind::kLatency}, "rpi5", {}), 5, "rpi-a", kLeaseMs)),
            (std::vector<std::string>{"lat-rpi"}));
  EXPECT_EQ(
      Ids(queue_.Lease(Filter({TaskKind::kLatency}, "jetson", {"energy_meter"}), 5, "j", kLeaseMs)),
      (std::vector<std::string>{"lat-jetson"}));
  EXPECT_EQ(queue_.Get("lat-rpi-meter")->state, TaskState::kQueued);
  EXPECT_EQ(Ids(queue_.Lease(Filter({TaskKind::kLatency}, "rpi5", {"energy_meter"}), 5, "rpi-m",
                             kLeaseMs)),
            (std::vector<std::string>{"lat-rpi-meter"}));
}

// A queued task is not leasable until every task it depends on is kDone;
// completing the last one (not failing or requeueing it) unblocks it.
TEST_F(TaskQueueTest, DependenciesGateLeasing) {
  TaskRecord teacher = Accuracy("teacher");
  teacher.candidate_id = "";
  teacher.operation = "train_teacher";
  TaskRecord other = Accuracy("other");
  other.candidate_id = "";
  TaskRecord b = Accuracy("b");
  b.depends_on = {"teacher"};
  TaskRecord c = Accuracy("c");
  c.depends_on = {"teacher", "other"};
  ASSERT_TRUE(queue_.Add(b).ok());  // the dependent may be added first
  ASSERT_TRUE(queue_.Add(c).ok());
  ASSERT_TRUE(queue_.Add(teacher).ok());

  EXPECT_TRUE(queue_.HasLeasable({}));
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"teacher"}));
  EXPECT_EQ(queue_.Get("teacher")->operation, "train_teacher");
  EXPECT_FALSE(queue_.HasLeasable({}));
  EXPECT_EQ(queue_.CountInState(TaskState::kQueued), 2);  // blocked tasks are still queued
  EXPECT_EQ(queue_.Get("b")->state, TaskState::kQueued);

  // A retryable failure requeues the teacher; b stays blocked.
  absl::StatusOr<FailOutcome> failed =
      queue_.Fail("teacher", queue_.Get("teacher")->lease_token, "w1", "oom", true);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"teacher"}));
  EXPECT_FALSE(queue_.HasLeasable({}));

  ASSERT_TRUE(queue_.Complete("teacher", queue_.Get("teacher")->lease_token, "w1").ok());
  EXPECT_TRUE(queue_.HasLeasable({}));
  // c still waits for "other", which is not even known yet.
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w2", kLeaseMs)), (std::vector<std::string>{"b"}));
  EXPECT_FALSE(queue_.HasLeasable({}));

  ASSERT_TRUE(queue_.Add(other).ok());
  TaskRecord o = LeaseOne(queue_, "w3");
  ASSERT_EQ(o.task_id, "other");
  EXPECT_FALSE(queue_.HasLeasable({}));
  ASSERT_TRUE(queue_.Complete("other", o.lease_token, "w3").ok());
  EXPECT_TRUE(queue_.HasLeasable({}));
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w3", kLeaseMs)), (std::vector<std::string>{"c"}));
}

// A dependency restored already kDone counts as met, whether it is restored
// before or after the task that waits for it; one restored queued does not.
TEST_F(TaskQueueTest, RestoredDoneDependencyUnblocks) {
  TaskRecord a = Accuracy("a");
  a.state = TaskState::kDone;
  a.attempts = 1;
  a.lease_token = "done-tok";
  a.lease_owner = "w0";
  TaskRecord b = Accuracy("b");
  b.depends_on = {"a"};

  // Before: the dependent finds its dependency done on arrival.
  ASSERT_TRUE(queue_.Restore(a).ok());
  ASSERT_TRUE(queue_.Restore(b).ok());
  EXPECT_TRUE(queue_.HasLeasable({}));
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"b"}));

  // After: the dependent waits until its dependency is restored done.
  TaskQueue later(&clock_, kLeaseMs);
  ASSERT_TRUE(later.Restore(b).ok());
  EXPECT_FALSE(later.HasLeasable({}));
  EXPECT_TRUE(later.Lease({}, 5, "w1", kLeaseMs).empty());
  ASSERT_TRUE(later.Restore(a).ok());
  EXPECT_TRUE(later.HasLeasable({}));
  EXPECT_EQ(Ids(later.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"b"}));

  // A dependency restored queued still has to run first.
  TaskQueue pending(&clock_, kLeaseMs);
  TaskRecord queued_a = Accuracy("a");
  ASSERT_TRUE(pending.Restore(b).ok());
  ASSERT_TRUE(pending.Restore(queued_a).ok());
  EXPECT_EQ(Ids(pending.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"a"}));
  EXPECT_FALSE(pending.HasLeasable({}));
  ASSERT_TRUE(pending.Complete("a", pending.Get("a")->lease_token, "w1").ok());
  EXPECT_EQ(Ids(pending.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"b"}));
}

// RevokeCandidate cancels the queued and leased tasks of that candidate only
// (done tasks and other candidates are untouched); the revoked lease's
// Complete and Heartbeat are refused with FAILED_PRECONDITION.
TEST_F(TaskQueueTest, RevokeCandidateCancelsOnlyThatCandidate) {
  auto of = [](const std::string& id, const std::string& candidate) {
    TaskRecord t = Accuracy(id);
    t.candidate_id = candidate;
    return t;
  };
  TaskRecord job_level = Accuracy("supernet");
  job_level.candidate_id = "";
  TaskRecord blocked = of("c1-blocked", "c1");
  blocked.depends_on = {"supernet"};
  ASSERT_TRUE(queue_.Add(of("c1-done", "c1")).ok());
  ASSERT_TRUE(queue_.Add(of("c1-leased", "c1")).ok());
  ASSERT_TRUE(queue_.Add(of("c2-leased", "c2")).ok());
  ASSERT_TRUE(queue_.Add(of("c1-queued", "c1")).ok());
  ASSERT_TRUE(queue_.Add(of("c2-queued", "c2")).ok());
  ASSERT_TRUE(queue_.Add(blocked).ok());
  ASSERT_TRUE(queue_.Add(job_level).ok());
  TaskRecord d = LeaseOne(queue_, "w1");
  ASSERT_EQ(d.task_id, "c1-done");
  ASSERT_TRUE(queue_.Complete("c1-done", d.lease_token, "w1").ok());
  std::vector<TaskRecord> leased = queue_.Lease({}, 2, "w1", kLeaseMs);
  ASSERT_EQ(Ids(leased), (std::vector<std::string>{"c1-leased", "c2-leased"}));

  std::vector<TaskRecord> revoked = queue_.RevokeCandidate("c1");
  std::set<std::string> ids;
  for (const TaskRecord& t : revoked) {
    EXPECT_EQ(t.state, TaskState::kCancelled) << t.task_id;
    ids.insert(t.task_id);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"c1-leased", "c1-queued", "c1-blocked"}));
  EXPECT_EQ(queue_.Get("c1-done")->state, TaskState::kDone);
  EXPECT_EQ(queue_.Get("c2-leased")->state, TaskState::kLeased);
  EXPECT_EQ(queue_.Get("c2-queued")->state, TaskState::kQueued);
  EXPECT_EQ(queue_.Get("supernet")->state, TaskState::kQueued);
  EXPECT_EQ(queue_.CountInState(TaskState::kCancelled), 3);

  EXPECT_EQ(queue_.Complete("c1-leased", leased[0].lease_token, "w1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Heartbeat("c1-leased", leased[0].lease_token, "w1", kLeaseMs).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Get("c1-leased")->state, TaskState::kCancelled);
  EXPECT_EQ(queue_.NextExpiryMs(), leased[1].lease_expiry_ms);  // only c2's lease is left
  EXPECT_TRUE(queue_.RevokeCandidate("c1").empty());
  EXPECT_TRUE(queue_.RevokeCandidate("unknown").empty());

  // Completing the dependency does not bring the cancelled task back.
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w2", kLeaseMs)),
            (std::vector<std::string>{"c2-queued", "supernet"}));
  ASSERT_TRUE(queue_.Complete("supernet", queue_.Get("supernet")->lease_token, "w2").ok());
  EXPECT_EQ(queue_.Get("c1-blocked")->state, TaskState::kCancelled);
  EXPECT_FALSE(queue_.HasLeasable({}));
  EXPECT_TRUE(queue_.Lease({}, 5, "w2", kLeaseMs).empty());
  EXPECT_TRUE(queue_.Complete("c2-leased", leased[1].lease_token, "w1").ok());
}

// ForgetJob drops every task of the job from memory: Get returns nullopt,
// Complete and Heartbeat answer NOT_FOUND, counts and indexes forget them,
// and other jobs are untouched.
TEST_F(TaskQueueTest, ForgetJobMakesItsTasksUnknown) {
  ASSERT_TRUE(queue_.Add(Accuracy("done", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("leased", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("queued", "j1")).ok());
  TaskRecord blocked = Accuracy("blocked", "j1");
  blocked.depends_on = {"queued"};
  ASSERT_TRUE(queue_.Add(blocked).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("other", "j2")).ok());
  TaskRecord d = LeaseOne(queue_);
  ASSERT_TRUE(queue_.Complete("done", d.lease_token, "w1").ok());
  TaskRecord l = LeaseOne(queue_);
  ASSERT_EQ(l.task_id, "leased");
  ASSERT_EQ(queue_.size(), 5);

  queue_.ForgetJob("j1");
  for (const char* id : {"done", "leased", "queued", "blocked"}) {
    EXPECT_FALSE(queue_.Get(id).has_value()) << id;
  }
  EXPECT_EQ(queue_.Complete("leased", l.lease_token, "w1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(queue_.CheckComplete("done", d.lease_token, "w1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(queue_.Heartbeat("leased", l.lease_token, "w1", kLeaseMs).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(queue_.size(), 1);
  EXPECT_EQ(queue_.CountInState(TaskState::kQueued), 1);
  EXPECT_EQ(queue_.CountInState(TaskState::kLeased), 0);
  EXPECT_EQ(queue_.CountInState(TaskState::kDone), 0);
  EXPECT_EQ(queue_.NextExpiryMs(), std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(queue_.TasksOfJob("j1").empty());
  EXPECT_TRUE(queue_.CancelJob("j1").empty());
  EXPECT_TRUE(queue_.RevokeCandidate("cand-queued").empty());
  clock_.Advance(kLeaseMs);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"other"}));
  queue_.ForgetJob("j1");  // forgetting twice, or an unknown job, is harmless
  queue_.ForgetJob("nope");
  EXPECT_EQ(queue_.size(), 1);
  // The id is free again.
  EXPECT_TRUE(queue_.Add(Accuracy("queued", "j1")).ok());
  EXPECT_EQ(Ids(queue_.Lease({}, 5, "w1", kLeaseMs)), (std::vector<std::string>{"queued"}));
}

// After ForgetJob, a task re-added under a forgotten id is a fresh task: it
// waits for every dependency again.
TEST_F(TaskQueueTest, ForgottenTaskIdReaddedWaitsForAllDependencies) {
  TaskRecord b = Accuracy("b", "j1");
  b.depends_on = {"x", "y"};
  ASSERT_TRUE(queue_.Add(b).ok());
  queue_.ForgetJob("j1");
  ASSERT_TRUE(queue_.Add(b).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("x", "j0")).ok());
  TaskRecord x = LeaseOne(queue_);
  ASSERT_EQ(x.task_id, "x");
  ASSERT_TRUE(queue_.Complete("x", x.lease_token, "w1").ok());
  EXPECT_FALSE(queue_.HasLeasable({}));  // "y" is not done (not even known)
  EXPECT_TRUE(queue_.Lease({}, 5, "w1", kLeaseMs).empty());
}

// Lease merges the per-route queues: the oldest matching tasks come first
// across routes (created_ms, then insertion order), and a requeued task goes
// back to the front.
TEST_F(TaskQueueTest, LeaseIsFifoAcrossRoutes) {
  const int64_t t0 = clock_.NowUnixMs();
  auto at = [](TaskRecord t, int64_t created_ms) {
    t.created_ms = created_ms;
    return t;
  };
  TaskRecord gpu = Accuracy("g");
  gpu.requires_capabilities = {"gpu"};
  TaskRecord g_new = gpu, g_old = gpu;
  g_new.task_id = "g-new";
  g_old.task_id = "g-old";
  ASSERT_TRUE(queue_.Add(at(Accuracy("a-mid"), t0 - 5)).ok());
  ASSERT_TRUE(queue_.Add(at(g_new, t0)).ok());
  ASSERT_TRUE(queue_.Add(at(g_old, t0 - 10)).ok());
  ASSERT_TRUE(queue_.Add(at(Accuracy("a-new"), t0)).ok());  // ties g-new: inserted after it
  ASSERT_TRUE(queue_.Add(at(Latency("l-rpi", "rpi5"), t0 - 7)).ok());
  ASSERT_TRUE(queue_.Add(at(Latency("l-jetson", "jetson"), t0 - 20)).ok());

  const LeaseFilter rpi_gpu = Filter({}, "rpi5", {"gpu"});
  EXPECT_EQ(Ids(queue_.Lease(rpi_gpu, 2, "w1", kLeaseMs)),
            (std::vector<std::string>{"g-old", "l-rpi"}));
  // g-old fails and is requeued: it keeps created_ms, so it leads again.
  ASSERT_TRUE(queue_.Fail("g-old", queue_.Get("g-old")->lease_token, "w1", "x", true).ok());
  EXPECT_EQ(Ids(queue_.Lease(rpi_gpu, 3, "w1", kLeaseMs)),
            (std::vector<std::string>{"g-old", "a-mid", "g-new"}));
  EXPECT_EQ(Ids(queue_.Lease(rpi_gpu, 5, "w1", kLeaseMs)), (std::vector<std::string>{"a-new"}));
  EXPECT_EQ(Ids(queue_.Lease(Filter({}, "jetson", {}), 5, "w2", kLeaseMs)),
            (std::vector<std::string>{"l-jetson"}));
}

}  // namespace
}  // namespace edgenas

namespace edgenas {
namespace {

class TaskQueueOutageTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  TaskQueue queue_{&clock_, kLeaseMs};
};

// A wall-clock step either way neither ends a lease nor stretches it: the
// deadline is on the monotonic clock; the stored expiry follows the wall.
TEST_F(TaskQueueOutageTest, WallClockStepsDoNotMoveTheLeaseDeadline) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  const TaskRecord t = queue_.Lease({}, 1, "w1", kLeaseMs).at(0);
  clock_.StepWallClock(24 * 3600 * 1000LL);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  auto expiry = queue_.Heartbeat("a", t.lease_token, "w1", kLeaseMs);
  ASSERT_TRUE(expiry.ok()) << expiry.status();
  EXPECT_EQ(*expiry, clock_.NowUnixMs() + kLeaseMs);
  clock_.StepWallClock(-48 * 3600 * 1000LL);
  clock_.Advance(kLeaseMs);
  EXPECT_EQ(queue_.ExpireLeases().size(), 1u);
}

// While expiry is suspended no lease ends and the holder may still complete
// past its deadline; once resumed, GrantGrace gives it a fresh term and
// never shortens a longer one.
TEST_F(TaskQueueOutageTest, SuspendedExpiryAndGrace) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("b")).ok());
  const std::vector<TaskRecord> leased = queue_.Lease({}, 2, "w1", kLeaseMs);
  ASSERT_EQ(leased.size(), 2u);
  queue_.SuspendExpiry(true);
  clock_.Advance(3 * kLeaseMs);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  EXPECT_TRUE(queue_.CheckComplete("a", leased[0].lease_token, "w1").ok());
  queue_.SuspendExpiry(false);
  EXPECT_EQ(queue_.GrantGrace([](const TaskRecord&) { return kLeaseMs; }), 2);
  EXPECT_EQ(queue_.GrantGrace([](const TaskRecord&) { return 1; }), 0);  // never shorter
  clock_.Advance(kLeaseMs - 1);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  EXPECT_TRUE(queue_.Complete("a", leased[0].lease_token, "w1").ok());
  clock_.Advance(1);
  EXPECT_EQ(queue_.ExpireLeases().size(), 1u);  // b: the grace is one term, not forever
}

// A lease restored past its stored expiry lives the grace from the restore.
TEST_F(TaskQueueOutageTest, RestoredLeaseLivesAtLeastItsGrace) {
  TaskRecord t = Accuracy("a");
  t.state = TaskState::kLeased;
  t.attempts = 1;
  t.lease_token = "tok";
  t.lease_owner = "w1";
  t.lease_expiry_ms = clock_.NowUnixMs() - 60000;  // ran out while we were down
  ASSERT_TRUE(queue_.Restore(t, kLeaseMs).ok());
  clock_.Advance(kLeaseMs - 1);
  EXPECT_TRUE(queue_.ExpireLeases().empty());
  EXPECT_TRUE(queue_.CheckComplete("a", "tok", "w1").ok());
  clock_.Advance(1);
  EXPECT_EQ(queue_.ExpireLeases().size(), 1u);
}

}  // namespace
}  // namespace edgenas
