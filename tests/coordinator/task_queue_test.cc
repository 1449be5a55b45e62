#include "coordinator/task_queue.h"

#include <cstdint>
#include <limits>
#include <set>
#include <string>
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

  LeaseFilter worker{{TaskKind::kAccuracy}, ""};
  EXPECT_EQ(Ids(queue_.Lease(worker, 5, "w", kLeaseMs)), (std::vector<std::string>{"acc"}));

  LeaseFilter no_class{{TaskKind::kLatency}, ""};
  EXPECT_TRUE(queue_.Lease(no_class, 5, "a0", kLeaseMs).empty());

  LeaseFilter rpi{{TaskKind::kLatency}, "rpi5"};
  EXPECT_EQ(Ids(queue_.Lease(rpi, 5, "a1", kLeaseMs)), (std::vector<std::string>{"lat-rpi"}));

  LeaseFilter any_kind{{}, "jetson"};
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
  EXPECT_TRUE(queue_.Complete("a", t.lease_token).ok());
}

// Heartbeat refuses unknown tasks, wrong tokens, other executors and dead leases.
TEST_F(TaskQueueTest, HeartbeatRefusesWhatItDoesNotHold) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  EXPECT_EQ(queue_.Heartbeat("nope", t.lease_token, "w1", kLeaseMs).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(queue_.Heartbeat("a", "bogus", "w1", kLeaseMs).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Heartbeat("a", t.lease_token, "w2", kLeaseMs).status().code(),
            absl::StatusCode::kFailedPrecondition);
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
  EXPECT_EQ(expired[0].last_error, "lease expired (owner w1)");
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
  absl::StatusOr<CompleteOutcome> bad = queue_.Complete("a", "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Complete("a", "").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Complete("missing", t.lease_token).status().code(),
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
  absl::StatusOr<CompleteOutcome> first = queue_.Complete("a", t.lease_token);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->task.state, TaskState::kDone);

  clock_.Advance(kLeaseMs * 5);  // even long after the lease would have ended
  absl::StatusOr<CompleteOutcome> second = queue_.Complete("a", t.lease_token);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->task.updated_ms, first->task.updated_ms);
  EXPECT_EQ(queue_.Complete("a", "other").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.CountInState(TaskState::kDone), 1);
}

// Once the clock passes the expiry, Complete is refused even before the sweep.
TEST_F(TaskQueueTest, CompleteRefusedAfterExpiryEvenBeforeSweep) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord t = LeaseOne(queue_);
  clock_.Advance(kLeaseMs);
  absl::StatusOr<CompleteOutcome> late = queue_.Complete("a", t.lease_token);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("expired"), std::string::npos);
  EXPECT_EQ(queue_.Get("a")->state, TaskState::kLeased);  // the sweep does the rest
  ASSERT_EQ(queue_.ExpireLeases().size(), 1u);
  EXPECT_EQ(queue_.Complete("a", t.lease_token).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// After expiry and a new lease, only the new token completes the task.
TEST_F(TaskQueueTest, ReleasedTaskRefusesOldToken) {
  ASSERT_TRUE(queue_.Add(Accuracy("a")).ok());
  TaskRecord first = LeaseOne(queue_, "w1");
  clock_.Advance(kLeaseMs);
  queue_.ExpireLeases();
  TaskRecord second = LeaseOne(queue_, "w2");

  EXPECT_EQ(queue_.Complete("a", first.lease_token).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Fail("a", first.lease_token, "x", true).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(queue_.Get("a")->lease_owner, "w2");
  absl::StatusOr<CompleteOutcome> done = queue_.Complete("a", second.lease_token);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(done->duplicate);
  EXPECT_EQ(queue_.Complete("a", first.lease_token).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// A retryable Fail requeues while attempts remain; then the task fails.
TEST_F(TaskQueueTest, RetryableFailRequeuesUntilAttemptsExhausted) {
  ASSERT_TRUE(queue_.Add(Accuracy("a", "job1", /*max_attempts=*/2)).ok());
  TaskRecord t = LeaseOne(queue_);
  absl::StatusOr<FailOutcome> first = queue_.Fail("a", t.lease_token, "oom", true);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->requeued);
  EXPECT_EQ(first->task.state, TaskState::kQueued);
  EXPECT_EQ(first->task.last_error, "oom");
  // The spent token is dead: a retried Fail is refused.
  EXPECT_EQ(queue_.Fail("a", t.lease_token, "oom", true).status().code(),
            absl::StatusCode::kFailedPrecondition);

  t = LeaseOne(queue_);
  absl::StatusOr<FailOutcome> second = queue_.Fail("a", t.lease_token, "oom again", true);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_FALSE(second->requeued);
  EXPECT_EQ(second->task.state, TaskState::kFailed);
  EXPECT_NE(second->task.last_error.find("oom again"), std::string::npos);
}

// A non-retryable Fail ends the task at once with the reason recorded.
TEST_F(TaskQueueTest, NonRetryableFailFailsImmediately) {
  ASSERT_TRUE(queue_.Add(Accuracy("a", "job1", /*max_attempts=*/5)).ok());
  TaskRecord t = LeaseOne(queue_);
  absl::StatusOr<FailOutcome> out = queue_.Fail("a", t.lease_token, "bad arch", false);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->requeued);
  EXPECT_EQ(out->task.state, TaskState::kFailed);
  EXPECT_EQ(out->task.last_error, "bad arch");
  EXPECT_EQ(out->task.attempts, 1);
  EXPECT_EQ(queue_.Complete("a", t.lease_token).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// CancelJob cancels the job's queued and leased tasks only, and returns them.
TEST_F(TaskQueueTest, CancelJobCancelsUnfinishedTasksOfThatJob) {
  ASSERT_TRUE(queue_.Add(Accuracy("done", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("leased", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("queued", "j1")).ok());
  ASSERT_TRUE(queue_.Add(Accuracy("other", "j2")).ok());
  TaskRecord d = LeaseOne(queue_);
  ASSERT_TRUE(queue_.Complete("done", d.lease_token).ok());
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
  EXPECT_EQ(queue_.Complete("leased", l.lease_token).status().code(),
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
  EXPECT_TRUE(queue_.Complete("a", "tok").ok());
}

}  // namespace
}  // namespace edgenas
