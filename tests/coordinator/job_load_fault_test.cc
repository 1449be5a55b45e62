// Faults while loading state from the store (issue 23): a job whose load
// fails is shown as such, its results are answered UNAVAILABLE, it can be
// cancelled and it loads once the fault clears; a manager that cannot reload
// at all backs off between attempts and still answers parked calls at their
// deadline and when they are cancelled.
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class JobLoadFaultTest : public JobManagerTest {
 protected:
  // Submits a job and leases one of its accuracy tasks to a new worker.
  void StartJobWithLease() {
    v1::JobSpec spec = TinySpec(4);
    spec.set_lease_seconds(3600);  // outlives the clock moves below
    auto job = manager_->SubmitJob(spec);
    ASSERT_TRUE(job.ok()) << job.status();
    job_id_ = job->id();
    worker_ = RegisterExecutor(v1::WORKER);
    std::vector<v1::Task> tasks = LeaseNow(worker_);
    ASSERT_EQ(tasks.size(), 1u);
    task_ = tasks[0];
  }
  // Restarts with the job's strategy log unreadable.
  void RestartWithJobUnreadable() {
    const std::string id = job_id_;
    on_store_open_ = [id](Store& store) {
      store.FailReadsForTest(id, absl::DataLossError("injected read error"));
    };
    Open();
  }
  std::string job_id_, worker_;
  v1::Task task_;
};

// Before: the job became an "ended" job still showing SEARCHING; its result
// was refused as for an ended job, CancelJob was refused, watchers were told
// it ended.
TEST_F(JobLoadFaultTest, JobThatFailsToLoadIsShownRefusesResultsAsUnavailableAndLoadsLater) {
  StartJobWithLease();
  RestartWithJobUnreadable();

  auto shown = manager_->GetJob(job_id_);
  ASSERT_TRUE(shown.ok()) << shown.status();
  EXPECT_TRUE(shown->load_failed());
  EXPECT_THAT(shown->message(), HasSubstr("injected read error"));
  bool listed = false;
  auto page = manager_->ListJobs();
  ASSERT_TRUE(page.ok()) << page.status();
  for (const v1::Job& j : page->jobs()) listed |= j.id() == job_id_ && j.load_failed();
  EXPECT_TRUE(listed);

  auto refused = CompleteTask(worker_, task_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  auto events = manager_->WaitForEvents(job_id_, 0, 0);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_FALSE(events->job_terminal);

  // Still failing: a housekeeping tick leaves it as it is.
  clock_.Advance(kMaxReloadBackoffMs);
  manager_->Tick();
  EXPECT_TRUE(manager_->GetJob(job_id_)->load_failed());

  // The fault clears: the next try after the back-off loads it, and the
  // result kept by the executor is accepted.
  store_->FailReadsForTest(job_id_, absl::OkStatus());
  clock_.Advance(kMaxReloadBackoffMs);
  manager_->Tick();
  auto loaded = manager_->GetJob(job_id_);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->load_failed());
  EXPECT_EQ(loaded->state(), v1::JOB_SEARCHING);
  auto accepted = CompleteTask(worker_, task_);
  EXPECT_TRUE(accepted.ok()) << accepted.status();
}

TEST_F(JobLoadFaultTest, JobThatFailsToLoadCanBeCancelled) {
  StartJobWithLease();
  RestartWithJobUnreadable();
  auto cancelled = manager_->CancelJob(job_id_);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->state(), v1::JOB_CANCELLED);
  EXPECT_FALSE(cancelled->load_failed());
  auto events = manager_->WaitForEvents(job_id_, 0, 0);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->job_terminal);
  // Stored as cancelled: a restart (fault still there) shows it ended.
  Open();
  auto after = manager_->GetJob(job_id_);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state(), v1::JOB_CANCELLED);
  auto task = store_->GetTask(task_.task_id());
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->state, TaskState::kCancelled);
}

// Breaks the manager: a failed commit whose reload cannot read the store.
class BrokenManagerTest : public JobManagerTest {
 protected:
  void Break() {
    store_->FailReadsForTest("", absl::UnavailableError("injected read error"));
    store_->FailNextCommitsForTest(1, absl::InternalError("commit failed (injected)"));
    ASSERT_FALSE(manager_->SubmitJob(TinySpec(4)).ok());
    auto refused = manager_->GetJob("job-x");
    ASSERT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
    ASSERT_THAT(refused.status().message(), HasSubstr("cannot read its database"));
  }
};

// Before: every batch (and every wakeup, with a deadline in the past) ran a
// full reload under the state lock.
TEST_F(BrokenManagerTest, ReloadsBackOffWhileBroken) {
  ASSERT_TRUE(manager_->SubmitJob(TinySpec(4)).ok());
  Break();
  const int64_t first = manager_->reload_attempts();
  for (int i = 0; i < 20; ++i) manager_->Tick();  // the clock does not move: no reload due
  EXPECT_EQ(manager_->reload_attempts(), first);
  int64_t backoff = kMinReloadBackoffMs;
  int64_t attempts = first;
  for (int round = 0; round < 12; ++round) {
    clock_.Advance(backoff - 1);
    manager_->Tick();
    EXPECT_EQ(manager_->reload_attempts(), attempts) << "round " << round;
    clock_.Advance(1);
    manager_->Tick();
    EXPECT_EQ(manager_->reload_attempts(), ++attempts) << "round " << round;
    backoff = std::min(backoff * 2, kMaxReloadBackoffMs);
  }
  EXPECT_EQ(backoff, kMaxReloadBackoffMs);  // capped by now
  store_->FailReadsForTest("", absl::OkStatus());
  clock_.Advance(kMaxReloadBackoffMs);
  manager_->Tick();
  EXPECT_TRUE(manager_->GetJob("job-x").status().code() == absl::StatusCode::kNotFound);
  EXPECT_EQ(manager_->ListJobs()->jobs_size(), 1);
}

// Before: a broken manager never answered parked polls and watches, and a
// cancelled poll was never finished.
TEST_F(BrokenManagerTest, ParkedCallsAreAnsweredWhileBroken) {
  auto job = manager_->SubmitJob(TinySpec(4));
  ASSERT_TRUE(job.ok());
  // Agents of a class no task is for: their polls park.
  auto register_idle_agent = [&]() {
    v1::RegisterRequest req;
    req.set_kind(v1::DEVICE_AGENT);
    req.set_device_class("rpi5");
    auto resp = manager_->Register(req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->executor_id() : std::string();
  };
  const std::string agent = register_idle_agent();
  const std::string other = register_idle_agent();
  auto park = [&](const std::string& executor, int wait_ms, absl::Notification* answered,
                  absl::StatusOr<v1::LeaseResponse>* out) {
    v1::LeaseRequest req;
    req.set_executor_id(executor);
    req.set_wait_ms(wait_ms);
    return manager_->LeaseAsync(req, [answered, out](absl::StatusOr<v1::LeaseResponse> r) {
      *out = std::move(r);
      answered->Notify();
    });
  };
  absl::Notification expired, cancelled, watched;
  absl::StatusOr<v1::LeaseResponse> expired_out, cancelled_out;
  park(agent, 200, &expired, &expired_out);  // no latency task yet: parks
  const uint64_t handle = park(other, 30000, &cancelled, &cancelled_out);
  absl::StatusOr<EventBatch> watch_out;
  auto last = manager_->WaitForEvents(job->id(), 0, 0);
  ASSERT_TRUE(last.ok());
  manager_->WatchEvents(job->id(), last->events.back().sequence(), 200,
                        [&](absl::StatusOr<EventBatch> r) {
                          watch_out = std::move(r);
                          watched.Notify();
                        });
  manager_->Tick();  // the three are parked
  Break();
  manager_->CancelLease(handle);
  // Bounds for a hang, not timings: the calls end at their own deadlines.
  ASSERT_TRUE(cancelled.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(cancelled_out.ok());
  EXPECT_EQ(cancelled_out->tasks_size(), 0);
  ASSERT_TRUE(expired.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_TRUE(expired_out.ok()) << expired_out.status();
  EXPECT_EQ(expired_out->tasks_size(), 0);
  ASSERT_TRUE(watched.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ASSERT_TRUE(watch_out.ok()) << watch_out.status();
  EXPECT_TRUE(watch_out->events.empty());
  EXPECT_FALSE(watch_out->job_terminal);
  store_->FailReadsForTest("", absl::OkStatus());
}

}  // namespace
}  // namespace edgenas
