// JobManager end to end without RPC: jobs run to DONE through the lease
// protocol driven by hand, bad input is refused without losing results,
// leases expire on a fake clock, and a restart resumes from SQLite.
#include "coordinator/job_manager.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "common/metric_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/fake_clock.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

// A job runs to DONE with every candidate measured and a non-empty front.
TEST_F(JobManagerTest, RunsJobToDoneThroughLeases) {
  auto job = manager_->SubmitJob(TinySpec(5));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_SEARCHING);
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  Drain(w, a);
  auto done = manager_->GetJob(job->id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
  EXPECT_EQ(done->candidates_done(), 5);
  auto front = manager_->GetParetoFront(job->id());
  ASSERT_TRUE(front.ok());
  EXPECT_GE(front->candidates_size(), 1);
  EXPECT_GT(front->hypervolume(), 0.0);
  // The store holds the same five candidates with their metrics.
  auto stored = store_->ListCandidates(job->id());
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 5u);
  for (const auto& c : *stored) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE);
    // accuracy, params, latency_ms; front members also test_accuracy.
    EXPECT_GE(c.metrics_size(), 3);
    // Executors' notes stay with the result, prefixed by the task.
    EXPECT_THAT(c.notes(), ::testing::Contains(
                               "latency.cpu: energy_mj unavailable: no meter in this test"));
  }
}

// Workers only get accuracy tasks; agents only latency tasks of their class.
TEST_F(JobManagerTest, LeasesTasksByExecutorKind) {
  ASSERT_TRUE(manager_->SubmitJob(TinySpec(2)).ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  for (const auto& t : LeaseNow(w, 8)) EXPECT_EQ(t.kind(), v1::TASK_ACCURACY);
  for (const auto& t : LeaseNow(a, 8)) {
    EXPECT_EQ(t.kind(), v1::TASK_LATENCY);
    EXPECT_EQ(t.device_class(), "cpu");
  }
}

// Bad specs are refused with the field named, and nothing is stored.
TEST_F(JobManagerTest, RefusesBadSpecNamingField) {
  v1::JobSpec unknown_space = TinySpec();
  unknown_space.mutable_space()->set_name("nb301");
  auto r = manager_->SubmitJob(unknown_space);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("space.name"));

  v1::JobSpec bad_objective = TinySpec();
  auto* o = bad_objective.add_objectives();
  o->set_metric("latncy");
  o->set_direction(v1::MINIMIZE);
  r = manager_->SubmitJob(bad_objective);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("objectives[0].metric"));

  v1::JobSpec negative = TinySpec();
  negative.mutable_budget()->set_max_evaluations(-3);
  r = manager_->SubmitJob(negative);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("budget.max_evaluations"));

  EXPECT_EQ(manager_->ListJobs()->jobs_size(), 0);
  EXPECT_TRUE(store_->ListJobs()->empty());
}

// A NaN metric or a stale token is refused and the stored result stays.
TEST_F(JobManagerTest, RefusesBadResultsWithoutLosingStoredOnes) {
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto tasks = LeaseNow(w, 2);
  ASSERT_EQ(tasks.size(), 2u);
  ASSERT_TRUE(CompleteTask(w, tasks[0]).ok());
  auto before = store_->GetCandidate(tasks[0].candidate_id());
  ASSERT_TRUE(before.ok());

  v1::CompleteRequest nan;
  nan.set_executor_id(w);
  nan.set_task_id(tasks[1].task_id());
  nan.set_lease_token(tasks[1].lease_token());
  *nan.add_metrics() = M(kMetricAccuracy, std::numeric_limits<double>::quiet_NaN());
  auto r = manager_->Complete(nan);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("metrics[0].value"));

  v1::CompleteRequest stale;
  stale.set_executor_id(w);
  stale.set_task_id(tasks[0].task_id());
  stale.set_lease_token("not-the-token");
  *stale.add_metrics() = M(kMetricAccuracy, 0.1);
  r = manager_->Complete(stale);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);

  // The same completion again is accepted as a duplicate and changes nothing.
  auto again = CompleteTask(w, tasks[0]);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate());

  auto after = store_->GetCandidate(tasks[0].candidate_id());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->SerializeAsString(), before->SerializeAsString());
  // The NaN-refused task is still leased and can be completed properly.
  EXPECT_TRUE(CompleteTask(w, tasks[1]).ok());
}

// An expired lease is re-queued; the old token is refused, a new executor
// completes the task, and the candidate is counted once.
TEST_F(JobManagerTest, ExpiredLeaseIsRequeuedAndCountedOnce) {
  auto job = manager_->SubmitJob(TinySpec(1));
  ASSERT_TRUE(job.ok());
  const std::string w1 = RegisterExecutor(v1::WORKER);
  const std::string w2 = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto first = LeaseNow(w1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_TRUE(LeaseNow(w2).empty());
  clock_.Advance(11000);  // lease_seconds = 10
  manager_->Tick();
  auto second = LeaseNow(w2);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].task_id(), first[0].task_id());
  EXPECT_EQ(second[0].attempt(), 2);
  EXPECT_EQ(CompleteTask(w1, first[0]).status().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(CompleteTask(w2, second[0]).ok());
  Drain(w2, a);
  auto done = manager_->GetJob(job->id());
  EXPECT_EQ(done->state(), v1::JOB_DONE);
  EXPECT_EQ(done->candidates_done(), 1);
  EXPECT_EQ(store_->ListCandidates(job->id())->size(), 1u);
}

// A task that keeps expiring fails its candidate after max_attempts.
TEST_F(JobManagerTest, ExhaustedTaskFailsCandidate) {
  auto job = manager_->SubmitJob(TinySpec(1));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ASSERT_EQ(LeaseNow(w).size(), 1u);
    clock_.Advance(11000);
    manager_->Tick();
  }
  auto j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_FAILED);
  EXPECT_EQ(j->candidates_failed(), 1);
  auto c = store_->ListCandidates(job->id());
  ASSERT_EQ(c->size(), 1u);
  EXPECT_EQ((*c)[0].state(), v1::CANDIDATE_FAILED);
  EXPECT_THAT((*c)[0].failure_reason(), HasSubstr("lease expired"));
}

// A non-retryable Fail fails the candidate at once.
TEST_F(JobManagerTest, NonRetryableFailFailsCandidate) {
  auto job = manager_->SubmitJob(TinySpec(1));
  const std::string w = RegisterExecutor(v1::WORKER);
  auto tasks = LeaseNow(w);
  ASSERT_EQ(tasks.size(), 1u);
  v1::FailRequest fail;
  fail.set_executor_id(w);
  fail.set_task_id(tasks[0].task_id());
  fail.set_lease_token(tasks[0].lease_token());
  fail.set_reason("cannot build");
  fail.set_retryable(false);
  ASSERT_TRUE(manager_->Fail(fail).ok());
  auto c = manager_->GetCandidate(job->id(), tasks[0].candidate_id());
  EXPECT_EQ(c->state(), v1::CANDIDATE_FAILED);
  EXPECT_THAT(c->failure_reason(), HasSubstr("cannot build"));
}

// Constraints mark candidates infeasible and keep them off the front.
TEST_F(JobManagerTest, ConstraintMarksInfeasible) {
  v1::JobSpec spec = TinySpec(3);
  auto* k = spec.add_constraints();
  k->set_metric(kMetricLatencyMs);
  k->set_max_value(0.5);  // every fake latency is >= 1 ms
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  Drain(RegisterExecutor(v1::WORKER), RegisterExecutor(v1::DEVICE_AGENT));
  auto j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_FAILED);
  EXPECT_EQ(j->candidates_failed(), 3);
  EXPECT_EQ(manager_->GetParetoFront(job->id())->candidates_size(), 0);
  auto stored = store_->ListCandidates(job->id());
  ASSERT_TRUE(stored.ok());
  for (const auto& c : *stored) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_INFEASIBLE);
  }
}

// Cancelling revokes outstanding leases; late results are refused.
TEST_F(JobManagerTest, CancelRevokesLeases) {
  auto job = manager_->SubmitJob(TinySpec(4));
  const std::string w = RegisterExecutor(v1::WORKER);
  auto tasks = LeaseNow(w);
  ASSERT_EQ(tasks.size(), 1u);
  auto cancelled = manager_->CancelJob(job->id());
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state(), v1::JOB_CANCELLED);
  EXPECT_EQ(CompleteTask(w, tasks[0]).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(LeaseNow(w).empty());
  EXPECT_EQ(manager_->CancelJob(job->id()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// Events are numbered from 1 and end with the final state change.
TEST_F(JobManagerTest, EmitsOrderedEvents) {
  auto job = manager_->SubmitJob(TinySpec(2));
  Drain(RegisterExecutor(v1::WORKER), RegisterExecutor(v1::DEVICE_AGENT));
  auto batch = manager_->WaitForEvents(job->id(), 0, 0);
  ASSERT_TRUE(batch.ok());
  ASSERT_FALSE(batch->events.empty());
  for (size_t i = 0; i < batch->events.size(); ++i) {
    EXPECT_EQ(batch->events[i].sequence(), static_cast<int64_t>(i + 1));
  }
  EXPECT_TRUE(batch->job_terminal);
  EXPECT_EQ(batch->events.back().type(), v1::EVENT_STATE_CHANGED);
  EXPECT_EQ(batch->events.back().job().state(), v1::JOB_DONE);
  int done_events = 0;
  for (const auto& e : batch->events) done_events += e.type() == v1::EVENT_CANDIDATE_DONE;
  EXPECT_EQ(done_events, 2);
}

// A restarted manager resumes a half-finished job from the database.
TEST_F(JobManagerTest, ResumesAfterRestart) {
  auto job = manager_->SubmitJob(TinySpec(4));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto t = LeaseNow(w);
  ASSERT_TRUE(CompleteTask(w, t[0]).ok());
  auto l = LeaseNow(a);
  ASSERT_TRUE(CompleteTask(a, l[0]).ok());
  auto in_flight = LeaseNow(w);  // held across the restart
  ASSERT_EQ(in_flight.size(), 1u);
  const int done_before = manager_->GetJob(job->id())->candidates_done();
  EXPECT_EQ(done_before, 1);
  Open();  // restart over the same file
  // The executor is still known and its lease still valid.
  ASSERT_TRUE(CompleteTask(w, in_flight[0]).ok());
  auto resumed = manager_->GetJob(job->id());
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ(resumed->state(), v1::JOB_SEARCHING);
  EXPECT_EQ(resumed->candidates_done(), done_before);
  Drain(RegisterExecutor(v1::WORKER), RegisterExecutor(v1::DEVICE_AGENT));
  auto done = manager_->GetJob(job->id());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
  EXPECT_EQ(done->candidates_done(), 4);
  std::set<std::string> keys;
  auto stored = store_->ListCandidates(job->id());
  ASSERT_TRUE(stored.ok());
  for (const auto& c : *stored) keys.insert(c.canonical_key());
  EXPECT_EQ(keys.size(), 4u);
}

// Initial architectures are evaluated first, in order.
TEST_F(JobManagerTest, EvaluatesInitialArchitecturesFirst) {
  v1::JobSpec spec = TinySpec(3);
  const std::string a0 =
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|";
  const std::string a1 =
      "|skip_connect~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|none~1|avg_pool_3x3~2|";
  spec.add_initial_architectures(a0);
  spec.add_initial_architectures(a1);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  auto stored = store_->ListCandidates(job->id());
  ASSERT_TRUE(stored.ok());
  ASSERT_GE(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].arch(), a0);
  EXPECT_EQ((*stored)[1].arch(), a1);
}

// When the wall-time budget runs out, outstanding work is revoked and the
// job ends with what it has.
TEST_F(JobManagerTest, WallTimeBudgetEndsJobWithWhatItHas) {
  v1::JobSpec spec = TinySpec(10);
  spec.mutable_budget()->set_max_wall_seconds(60);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto acc = LeaseNow(w);
  auto lat = LeaseNow(a);
  ASSERT_EQ(acc.size(), 1u);
  ASSERT_EQ(lat.size(), 1u);
  ASSERT_EQ(acc[0].candidate_id(), lat[0].candidate_id());
  ASSERT_TRUE(CompleteTask(w, acc[0]).ok());
  ASSERT_TRUE(CompleteTask(a, lat[0]).ok());
  auto late = LeaseNow(w);
  ASSERT_EQ(late.size(), 1u);
  clock_.Advance(61000);
  manager_->Tick();
  auto j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_DONE);
  EXPECT_THAT(j->message(), HasSubstr("wall-time budget reached"));
  EXPECT_EQ(j->candidates_done(), 1);
  EXPECT_EQ(j->candidates_pending(), 0);
  EXPECT_EQ(CompleteTask(w, late[0]).status().code(), absl::StatusCode::kFailedPrecondition);
}

// An unknown executor is told to register again.
TEST_F(JobManagerTest, UnknownExecutorGetsNotFound) {
  v1::LeaseRequest req;
  req.set_executor_id("worker-nobody");
  EXPECT_EQ(manager_->Lease(req).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgenas
