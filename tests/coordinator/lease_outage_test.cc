// Leases across the coordinator's own outages (issue 23): a restart with a
// lease outstanding, a database that refuses writes for longer than the
// lease, and a wall-clock step. In none of them may the executor holding the
// lease lose its result or be charged another attempt. Also: who may touch
// a lease, and that refusals never name another executor.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class LeaseOutageTest : public JobManagerTest {
 protected:
  absl::StatusOr<v1::HeartbeatResponse> Beat(const std::string& executor, const v1::Task& task) {
    v1::HeartbeatRequest hb;
    hb.set_executor_id(executor);
    v1::LeaseRef* ref = hb.add_leases();
    ref->set_task_id(task.task_id());
    ref->set_lease_token(task.lease_token());
    return manager_->Heartbeat(hb);
  }
  // The task as stored: done once, under its first attempt.
  void ExpectDoneOnFirstAttempt(const v1::Task& task) {
    auto stored = store_->GetTask(task.task_id());
    ASSERT_TRUE(stored.ok()) << stored.status();
    EXPECT_EQ(stored->state, TaskState::kDone);
    EXPECT_EQ(stored->attempts, 1) << "an attempt was charged for the coordinator's outage";
  }
};

// The coordinator is down for 120 s while a worker holds a 10 s lease: after
// the restart the lease gets one lease duration of grace, so the first sweep
// does not expire it and the worker's result is accepted, on attempt 1.
TEST_F(LeaseOutageTest, RestartGivesOutstandingLeasesAGracePeriod) {
  auto job = manager_->SubmitJob(TinySpec(2));  // lease_seconds 10
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  manager_.reset();
  clock_.Advance(120000);
  Open();
  manager_->Tick();
  clock_.Advance(9000);  // within the grace
  manager_->Tick();
  auto beat = Beat(w, t[0]);
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_EQ(beat->extended_size(), 1);
  auto done = CompleteTask(w, t[0]);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(done->duplicate());
  ExpectDoneOnFirstAttempt(t[0]);
}

// The grace is one lease duration, not forever: a lease nobody heartbeats
// after the restart expires once it is over.
TEST_F(LeaseOutageTest, GraceAfterRestartEndsAfterOneLeaseDuration) {
  auto job = manager_->SubmitJob(TinySpec(1));  // lease_seconds 10
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  manager_.reset();
  clock_.Advance(120000);
  Open();
  clock_.Advance(10000);
  manager_->Tick();
  auto stored = store_->GetTask(t[0].task_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, TaskState::kQueued);
}

// The database refuses writes for 90 s (longer than the 10 s lease): the
// holder's result is never refused as "expired" meanwhile (only the store
// fault is reported, which executors retry), the first sweep after the
// fault clears does not expire the lease, and the result is then accepted
// on attempt 1.
TEST_F(LeaseOutageTest, StoreFaultLongerThanTheLeaseChargesNoAttempt) {
  auto job = manager_->SubmitJob(TinySpec(2));  // lease_seconds 10
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  ASSERT_TRUE(store_->SetReadOnlyForTest(true).ok());
  auto refused = Beat(w, t[0]);  // a write: the batch fails, the fault begins
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  for (int s = 0; s < 90; s += 15) {
    clock_.Advance(15000);
    manager_->Tick();
    auto during = CompleteTask(w, t[0]);
    EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable)
        << "at " << s + 15 << " s: " << during.status();
  }
  ASSERT_TRUE(store_->SetReadOnlyForTest(false).ok());
  manager_->Tick();  // the first sweep after the fault
  auto stored = store_->GetTask(t[0].task_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, TaskState::kLeased);
  auto done = CompleteTask(w, t[0]);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_FALSE(done->duplicate());
  ExpectDoneOnFirstAttempt(t[0]);
}

// While sweeps are suspended by a full database, the holder's result is
// checked as if its lease were live even after the lease time passed: it is
// stored if it fits (or refused with the store fault, which executors
// retry), never refused as "expired"; once there is room it counts, on
// attempt 1.
TEST_F(LeaseOutageTest, HolderResultDuringAStoreFaultIsNotRefusedAsExpired) {
  auto job = manager_->SubmitJob(TinySpec(2));  // lease_seconds 10
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  store_->FailNextCommitsForTest(1, absl::ResourceExhaustedError("database or disk is full"));
  ASSERT_TRUE(store_->SetMaxBytes(1).ok());  // the probe finds no headroom
  auto refused = Beat(w, t[0]);              // the batch fails: the fault begins
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  clock_.Advance(30000);
  manager_->Tick();
  auto during = CompleteTask(w, t[0]);
  EXPECT_NE(during.status().code(), absl::StatusCode::kFailedPrecondition) << during.status();
  ASSERT_TRUE(store_->SetMaxBytes(0).ok());
  manager_->Tick();
  if (!during.ok()) {
    auto after = CompleteTask(w, t[0]);
    ASSERT_TRUE(after.ok()) << after.status();
  }
  ExpectDoneOnFirstAttempt(t[0]);
}

// A wall-clock step of an hour (NTP, an operator) expires no lease: lease
// durations are measured on the monotonic clock.
TEST_F(LeaseOutageTest, WallClockStepDoesNotExpireLeases) {
  auto job = manager_->SubmitJob(TinySpec(2));  // lease_seconds 10
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  clock_.StepWallClock(3600 * 1000);
  manager_->Tick();
  auto beat = Beat(w, t[0]);
  ASSERT_TRUE(beat.ok()) << beat.status();
  EXPECT_EQ(beat->extended_size(), 1);
  EXPECT_EQ(beat->lost_size(), 0);
  clock_.Advance(9000);
  manager_->Tick();
  auto done = CompleteTask(w, t[0]);
  ASSERT_TRUE(done.ok()) << done.status();
  ExpectDoneOnFirstAttempt(t[0]);
}

// A heartbeat for a lease held by another executor is refused with
// PERMISSION_DENIED (as the README says), naming the field but not the
// holder, and extends nothing.
TEST_F(LeaseOutageTest, HeartbeatFromANonHolderIsPermissionDenied) {
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w1 = RegisterExecutor(v1::WORKER);
  const std::string w2 = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w1);
  ASSERT_EQ(t.size(), 1u);
  auto before = store_->GetTask(t[0].task_id());
  ASSERT_TRUE(before.ok());
  clock_.Advance(1000);
  auto beat = Beat(w2, t[0]);
  EXPECT_EQ(beat.status().code(), absl::StatusCode::kPermissionDenied) << beat.status();
  EXPECT_THAT(beat.status().message(), HasSubstr("leases[0]"));
  EXPECT_THAT(beat.status().message(), Not(HasSubstr(w1)));
  auto after = store_->GetTask(t[0].task_id());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->lease_expiry_ms, before->lease_expiry_ms);
  auto own = Beat(w1, t[0]);
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->extended_size(), 1);
}

// Refusals never name another executor: a stale token's Complete (the task
// was re-leased to w2), a non-holder's Complete and Fail.
TEST_F(LeaseOutageTest, RefusalsDoNotNameAnotherExecutor) {
  auto job = manager_->SubmitJob(TinySpec(1));  // lease_seconds 10
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w1 = RegisterExecutor(v1::WORKER);
  const std::string w2 = RegisterExecutor(v1::WORKER);
  auto old = LeaseNow(w1);
  ASSERT_EQ(old.size(), 1u);
  clock_.Advance(11000);
  manager_->Tick();
  auto redo = LeaseNow(w2);
  ASSERT_EQ(redo.size(), 1u);
  auto stale = CompleteTask(w1, old[0]);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition) << stale.status();
  EXPECT_THAT(stale.status().message(), Not(HasSubstr(w2)));
  auto foreign = CompleteTask(w1, redo[0]);
  EXPECT_EQ(foreign.status().code(), absl::StatusCode::kPermissionDenied) << foreign.status();
  EXPECT_THAT(foreign.status().message(), Not(HasSubstr(w2)));
  v1::FailRequest fail;
  fail.set_executor_id(w1);
  fail.set_task_id(redo[0].task_id());
  fail.set_lease_token(redo[0].lease_token());
  fail.set_reason("x");
  absl::Status failed = manager_->Fail(fail);
  EXPECT_EQ(failed.code(), absl::StatusCode::kPermissionDenied) << failed;
  EXPECT_THAT(failed.message(), Not(HasSubstr(w2)));
}

}  // namespace
}  // namespace edgenas
