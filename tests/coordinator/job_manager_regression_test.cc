// Regression tests for the defects found in the first coordinator core
// (issue "the coordinator core, ready for every strategy..."): each test
// reproduces one finding and pins the fixed behaviour.
#include <set>
#include <string>
#include <vector>

#include "common/job_spec.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/evaluators/measure_evaluator.h"
#include "coordinator/job_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class RegressionTest : public JobManagerTest {
 protected:
  // The architectures of the job's candidates in creation order.
  std::vector<std::string> Archs(const std::string& job_id) {
    std::vector<std::string> out;
    auto stored = store_->ListCandidates(job_id);
    EXPECT_TRUE(stored.ok());
    for (const auto& c : *stored) out.push_back(c.arch());
    return out;
  }
  // Completes `rounds` candidates, worker task first, in a fixed order.
  void CompleteRounds(const std::string& w, const std::string& a, int rounds) {
    for (int i = 0; i < rounds; ++i) {
      auto acc = LeaseNow(w);
      ASSERT_EQ(acc.size(), 1u);
      ASSERT_TRUE(CompleteTask(w, acc[0]).ok());
      auto lat = LeaseNow(a);
      ASSERT_EQ(lat.size(), 1u);
      ASSERT_TRUE(CompleteTask(a, lat[0]).ok());
    }
  }
  v1::CompleteRequest Request(const std::string& executor, const v1::Task& task) {
    v1::CompleteRequest req;
    req.set_executor_id(executor);
    req.set_task_id(task.task_id());
    req.set_lease_token(task.lease_token());
    return req;
  }
};

// Found: a heartbeat extension lived only in memory, so after a restart a
// task running longer than lease_seconds was refused. Now it is stored.
TEST_F(RegressionTest, HeartbeatExtensionSurvivesRestart) {
  auto job = manager_->SubmitJob(TinySpec(2));  // lease_seconds 10
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  clock_.Advance(8000);
  v1::HeartbeatRequest hb;
  hb.set_executor_id(w);
  hb.add_leases()->set_task_id(t[0].task_id());
  hb.mutable_leases(0)->set_lease_token(t[0].lease_token());
  auto extended = manager_->Heartbeat(hb);
  ASSERT_TRUE(extended.ok());
  ASSERT_EQ(extended->extended_size(), 1);
  Open();                // restart
  clock_.Advance(8000);  // 16 s after the lease: past the original expiry
  manager_->Tick();
  EXPECT_TRUE(CompleteTask(w, t[0]).ok());
}

// Found: random search re-drew its old sequence after a restart and the
// duplicate guard ended the job early. Now a restarted job continues
// exactly as an uninterrupted one (same candidates in the same order).
TEST_F(RegressionTest, RestartContinuesTheSuggestionSequenceExactly) {
  for (const char* strategy : {"random", "regularized_evolution"}) {
    SCOPED_TRACE(strategy);
    v1::JobSpec spec = TinySpec(30);
    spec.mutable_strategy()->set_name(strategy);
    spec.mutable_strategy()->set_population_size(4);
    spec.mutable_strategy()->set_sample_size(2);
    spec.set_parallelism(1);
    // Uninterrupted run.
    auto a_job = manager_->SubmitJob(spec);
    ASSERT_TRUE(a_job.ok());
    std::string w = RegisterExecutor(v1::WORKER), ag = RegisterExecutor(v1::DEVICE_AGENT);
    CompleteRounds(w, ag, 30);
    Drain(w, ag);  // FINALIZING: the front's test_eval tasks
    EXPECT_EQ(manager_->GetJob(a_job->id())->state(), v1::JOB_DONE);
    // The same spec with a restart after 12 results.
    auto b_job = manager_->SubmitJob(spec);
    ASSERT_TRUE(b_job.ok());
    CompleteRounds(w, ag, 12);
    Open();
    CompleteRounds(w, ag, 18);
    Drain(w, ag);
    auto b = manager_->GetJob(b_job->id());
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->state(), v1::JOB_DONE) << b->message();
    EXPECT_EQ(b->candidates_done(), 30);
    EXPECT_EQ(Archs(a_job->id()), Archs(b_job->id()));
  }
}

// Found: the duplicate guard summed duplicates over one fill, so a job with
// a parallelism above 2,000 stopped early. Now only consecutive duplicates
// count, and the first fill creates `parallelism` candidates.
TEST_F(RegressionTest, LargeParallelismFillsCompletely) {
  v1::JobSpec spec = TinySpec(2500);
  spec.set_parallelism(2500);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->candidates_pending(), 2500);
  EXPECT_EQ(job->state(), v1::JOB_SEARCHING);
}

// A job asking for more candidates than the space has distinct cells stops
// creating at the last one and says why (instead of drawing duplicates).
TEST(JobRuntimeTest, StopsAtTheSpacesDistinctCount) {
  v1::Job job;
  job.set_id("job-x");
  job.set_state(v1::JOB_SEARCHING);
  *job.mutable_spec() = TinySpec(10000);
  job.mutable_spec()->set_parallelism(10000);
  ASSERT_TRUE(NormalizeJobSpec(job.mutable_spec(), RegisteredJobSpecNames()).ok());
  auto rt = JobRuntime::Create(job);
  ASSERT_TRUE(rt.ok()) << rt.status();
  auto created = (*rt)->Fill(/*now_ms=*/1);
  EXPECT_EQ(created.size(), 6466u);
  EXPECT_TRUE((*rt)->CreationFinished());
  EXPECT_THAT((*rt)->job().message(), HasSubstr("search space exhausted: all 6466"));
}

// Found: a crash between storing a task's failure and failing its
// candidate left the job SEARCHING forever. Now such a candidate is failed
// at restart and the job goes on.
TEST_F(RegressionTest, RestartRepairsCandidateWhoseTaskFailed) {
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  // Simulate the old crash: the task is stored failed, its candidate not.
  auto tasks = store_->ListTasks(job->id());
  ASSERT_TRUE(tasks.ok());
  for (TaskRecord task : *tasks) {
    if (task.candidate_id != t[0].candidate_id()) continue;
    task.state = task.task_id == t[0].task_id() ? TaskState::kFailed : TaskState::kCancelled;
    task.last_error = "simulated";
    ASSERT_TRUE(store_->PutTask(task).ok());
  }
  Open();
  auto c = manager_->GetCandidate(job->id(), t[0].candidate_id());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), v1::CANDIDATE_FAILED);
  EXPECT_THAT(c->failure_reason(), HasSubstr("simulated"));
  Drain(RegisterExecutor(v1::WORKER), RegisterExecutor(v1::DEVICE_AGENT));
  auto done = manager_->GetJob(job->id());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
}

// Found: Complete changed memory before its transaction committed, so a
// failed commit was later answered duplicate=true and the result was lost.
// Now the change is refused with why, memory goes back to what is stored,
// the manager goes on, and the same result is then accepted as new (and
// after a restart it is still there, once).
TEST_F(RegressionTest, FailedCommitLosesNothingAndIsNotADuplicate) {
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  store_->FailNextCommitsForTest(1, absl::InternalError("disk I/O error (injected)"));
  auto r = CompleteTask(w, t[0]);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("database write failed"));
  EXPECT_THAT(r.status().message(), HasSubstr("disk I/O error (injected)"));
  ASSERT_EQ(store_errors_.size(), 1u);
  // Still serving, and nothing of the refused result shows.
  auto running = manager_->GetJob(job->id());
  ASSERT_TRUE(running.ok()) << running.status();
  EXPECT_EQ(running->candidates_done(), 0);
  auto again = CompleteTask(w, t[0]);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate());
  auto repeat = CompleteTask(w, t[0]);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->duplicate());
  Open();
  auto c = store_->GetCandidate(t[0].candidate_id());
  ASSERT_TRUE(c.ok());
  int accuracy_rows = 0;
  for (const auto& m : c->metrics()) accuracy_rows += m.name() == kMetricAccuracy;
  EXPECT_EQ(accuracy_rows, 1);
}

// Found: when a candidate failed, its other tasks stayed leasable (an agent
// was handed latency work of a failed candidate or ended job).
TEST_F(RegressionTest, FailedCandidateAndEndedJobRevokeTheirTasks) {
  auto job = manager_->SubmitJob(TinySpec(1));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  v1::FailRequest fail;
  fail.set_executor_id(w);
  fail.set_task_id(t[0].task_id());
  fail.set_lease_token(t[0].lease_token());
  fail.set_reason("cannot build");
  fail.set_retryable(false);
  ASSERT_TRUE(manager_->Fail(fail).ok());
  EXPECT_TRUE(LeaseNow(a).empty());
  auto j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_FAILED);
  auto tasks = store_->ListTasks(job->id());
  ASSERT_TRUE(tasks.ok());
  for (const TaskRecord& task : *tasks) {
    EXPECT_TRUE(task.state == TaskState::kFailed || task.state == TaskState::kCancelled)
        << task.task_id << " " << TaskStateName(task.state);
  }
}

// Issue 20: a job-fatal failure (e.g. an unusable dataset) ends the job at
// once with the executor's reason, even with attempts and candidates left,
// and revokes its other tasks.
TEST_F(RegressionTest, JobFatalFailureEndsTheJobAtOnce) {
  auto job = manager_->SubmitJob(TinySpec(8));
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w, /*max_tasks=*/2);
  ASSERT_EQ(t.size(), 2u);
  v1::FailRequest fail;
  fail.set_executor_id(w);
  fail.set_task_id(t[0].task_id());
  fail.set_lease_token(t[0].lease_token());
  fail.set_reason("dataset image_folder /data/x is unusable (1 problem): /data/x/train/a/1.png: "
                  "truncated PNG");
  fail.set_retryable(true);
  fail.set_job_fatal(true);
  ASSERT_TRUE(manager_->Fail(fail).ok());
  auto j = manager_->GetJob(job->id());
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->state(), v1::JOB_FAILED);
  EXPECT_THAT(j->message(), HasSubstr("train/a/1.png: truncated PNG"));
  // The other leased task is revoked: its result is refused.
  EXPECT_EQ(CompleteTask(w, t[1]).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(LeaseNow(w).empty());
}

// Only the holder of a task's lease may fail its job: a stale token is
// refused and the job goes on.
TEST_F(RegressionTest, JobFatalFailureNeedsTheLease) {
  auto job = manager_->SubmitJob(TinySpec(8));
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  v1::FailRequest fail;
  fail.set_executor_id(w);
  fail.set_task_id(t[0].task_id());
  fail.set_lease_token("not-the-token");
  fail.set_reason("dataset unusable");
  fail.set_job_fatal(true);
  EXPECT_FALSE(manager_->Fail(fail).ok());
  auto j = manager_->GetJob(job->id());
  ASSERT_TRUE(j.ok());
  EXPECT_NE(j->state(), v1::JOB_FAILED);
  EXPECT_TRUE(CompleteTask(w, t[0]).ok());
}

// Found: capabilities sent at Register were dropped, so energy tasks went
// to agents without a meter. Now they go only to agents that have one.
TEST_F(RegressionTest, EnergyTasksGoOnlyToAgentsWithAMeter) {
  v1::JobSpec spec = TinySpec(1);
  auto* o = spec.add_objectives();
  o->set_metric(kMetricAccuracy);
  o->set_direction(v1::MAXIMIZE);
  o = spec.add_objectives();
  o->set_metric(kMetricEnergyMj);
  o->set_direction(v1::MINIMIZE);
  o->set_device_class("cpu");
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string plain = RegisterExecutor(v1::DEVICE_AGENT, {"latency:libtorch-cpu"});
  EXPECT_TRUE(LeaseNow(plain).empty());
  const std::string metered = RegisterExecutor(v1::DEVICE_AGENT, {kCapabilityEnergyMeter});
  auto t = LeaseNow(metered);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].kind(), v1::TASK_LATENCY);
}

// Found: a constraint on a metric that was never measured marked the
// candidate INFEASIBLE; not measuring is a failure, not evidence.
TEST_F(RegressionTest, UnmeasuredConstraintMetricFailsTheCandidate) {
  v1::JobSpec spec = TinySpec(1);
  auto* k = spec.add_constraints();
  k->set_metric(kMetricParams);
  k->set_max_value(1e9);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto acc = LeaseNow(w);
  ASSERT_EQ(acc.size(), 1u);
  v1::CompleteRequest req = Request(w, acc[0]);
  *req.add_metrics() = M(kMetricAccuracy, 0.8);  // no params
  ASSERT_TRUE(manager_->Complete(req).ok());
  auto lat = LeaseNow(a);
  ASSERT_EQ(lat.size(), 1u);
  ASSERT_TRUE(CompleteTask(a, lat[0]).ok());
  auto c = manager_->GetCandidate(job->id(), acc[0].candidate_id());
  EXPECT_EQ(c->state(), v1::CANDIDATE_FAILED);
  EXPECT_THAT(c->failure_reason(), HasSubstr("was not measured"));
}

// Found: wrong reports were accepted (a metric twice, 100,000 metrics, a
// latency metric from an accuracy task, a 1 MB note). Each is now refused
// naming the field, and the task can still be completed properly.
TEST_F(RegressionTest, MalformedReportsAreRefusedNamingTheField) {
  auto job = manager_->SubmitJob(TinySpec(1));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  auto refused = [&](v1::CompleteRequest req) {
    auto r = manager_->Complete(req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  v1::CompleteRequest twice = Request(w, t[0]);
  *twice.add_metrics() = M(kMetricAccuracy, 0.8);
  *twice.add_metrics() = M(kMetricAccuracy, 0.9);
  EXPECT_THAT(refused(twice), HasSubstr("metrics[1].name: accuracy reported more than once"));
  v1::CompleteRequest many = Request(w, t[0]);
  for (int i = 0; i < 100000; ++i) *many.add_metrics() = M(kMetricAccuracy, 0.5);
  EXPECT_THAT(refused(many), HasSubstr("metrics: at most 16"));
  v1::CompleteRequest foreign = Request(w, t[0]);
  *foreign.add_metrics() = M(kMetricAccuracy, 0.8);
  *foreign.add_metrics() = M(kMetricLatencyMs, 3.0);
  EXPECT_THAT(refused(foreign), HasSubstr("metrics[1].name: a accuracy task does not report"));
  v1::CompleteRequest big_note = Request(w, t[0]);
  *big_note.add_metrics() = M(kMetricAccuracy, 0.8);
  big_note.add_notes(std::string(1 << 20, 'x'));
  EXPECT_THAT(refused(big_note), HasSubstr("notes[0]: at most 1024 bytes"));
  v1::CompleteRequest good = Request(w, t[0]);
  *good.add_metrics() = M(kMetricAccuracy, 0.8);
  EXPECT_TRUE(manager_->Complete(good).ok());
}

// Found: Complete was accepted from an executor that did not hold the
// lease (the token alone was checked), and NOT_FOUND meant both "unknown
// task" and "unknown executor". Now: PERMISSION_DENIED for a non-holder,
// NOT_FOUND only for an unknown executor, FAILED_PRECONDITION for an
// unknown task.
TEST_F(RegressionTest, OnlyTheLeaseHolderCompletesAndErrorsAreDistinct) {
  auto job = manager_->SubmitJob(TinySpec(1));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string other = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(CompleteTask(other, t[0]).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(CompleteTask("worker-nobody", t[0]).status().code(), absl::StatusCode::kNotFound);
  v1::Task unknown = t[0];
  unknown.set_task_id("no-such-task");
  EXPECT_EQ(CompleteTask(w, unknown).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CompleteTask(w, t[0]).ok());
}

// A finished task leaves memory, yet a repeated completion is still
// recognised (from the store) as a duplicate, and only for its executor.
TEST_F(RegressionTest, RepeatedCompletionOfAFinishedTaskIsADuplicate) {
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string other = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  auto first = CompleteTask(w, t[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->duplicate());
  auto again = CompleteTask(w, t[0]);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(CompleteTask(other, t[0]).status().code(), absl::StatusCode::kPermissionDenied);
  v1::Task stale = t[0];
  stale.set_lease_token("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(CompleteTask(w, stale).status().code(), absl::StatusCode::kFailedPrecondition);
}

// Heartbeats carry a bounded number of leases.
TEST_F(RegressionTest, HeartbeatRefusesTooManyLeases) {
  const std::string w = RegisterExecutor(v1::WORKER);
  v1::HeartbeatRequest hb;
  hb.set_executor_id(w);
  for (int i = 0; i < kMaxLeasesPerHeartbeat + 1; ++i) hb.add_leases()->set_task_id("t");
  auto r = manager_->Heartbeat(hb);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("leases: at most 64"));
}

// Found: the hypervolume reference moved with the worst value seen, so the
// hypervolume was not monotone. Now the reference is fixed at the first
// result and stored, and the hypervolume never decreases.
TEST_F(RegressionTest, HypervolumeReferenceIsFixedAndHypervolumeMonotone) {
  auto job = manager_->SubmitJob(TinySpec(12));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  double last = 0.0;
  std::vector<double> reference;
  for (int i = 0; i < 6; ++i) {
    CompleteRounds(w, a, 1);
    auto j = manager_->GetJob(job->id());
    ASSERT_TRUE(j.ok());
    ASSERT_EQ(j->reference_point_size(), 2);
    std::vector<double> ref(j->reference_point().begin(), j->reference_point().end());
    if (reference.empty()) reference = ref;
    EXPECT_EQ(ref, reference);
    EXPECT_GE(j->hypervolume(), last);
    last = j->hypervolume();
  }
  Open();
  auto j = manager_->GetJob(job->id());
  EXPECT_EQ(std::vector<double>(j->reference_point().begin(), j->reference_point().end()),
            reference);
  EXPECT_DOUBLE_EQ(j->hypervolume(), last);
}

// A finished job is kept as its record only; its front and candidates are
// still served (from the store), also after a restart.
TEST_F(RegressionTest, FinishedJobIsServedFromTheStore) {
  auto job = manager_->SubmitJob(TinySpec(3));
  ASSERT_TRUE(job.ok());
  Drain(RegisterExecutor(v1::WORKER), RegisterExecutor(v1::DEVICE_AGENT));
  auto live_front = manager_->GetParetoFront(job->id());
  ASSERT_TRUE(live_front.ok());
  Open();
  auto front = manager_->GetParetoFront(job->id());
  ASSERT_TRUE(front.ok());
  EXPECT_EQ(front->candidates_size(), live_front->candidates_size());
  EXPECT_DOUBLE_EQ(front->hypervolume(), live_front->hypervolume());
  ASSERT_GT(front->candidates_size(), 0);
  EXPECT_TRUE(manager_->GetCandidate(job->id(), front->candidates(0).id()).ok());
  EXPECT_EQ(manager_->CancelJob(job->id()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // Watching an ended job returns its events and says it has ended.
  auto events = manager_->WaitForEvents(job->id(), 0, /*timeout_ms=*/10000);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->job_terminal);
  ASSERT_FALSE(events->events.empty());
  auto rest = manager_->WaitForEvents(job->id(), events->events.back().sequence(), 10000);
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(rest->events.empty());
  EXPECT_TRUE(rest->job_terminal);
}

// A result is on disk before its reply: every asynchronous Complete's
// callback finds its task stored as done (results that arrive together
// share a commit).
TEST_F(RegressionTest, ResultsAreCommittedBeforeTheyAreAcknowledged) {
  v1::JobSpec spec = TinySpec(200);
  spec.set_parallelism(200);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto tasks = LeaseNow(w, 16);
  ASSERT_EQ(tasks.size(), 16u);
  absl::Mutex mu;
  int answered = 0, stored_done = 0;
  for (const v1::Task& t : tasks) {
    v1::CompleteRequest req = Request(w, t);
    *req.add_metrics() = M(kMetricAccuracy, 0.7);
    const std::string task_id = t.task_id();
    manager_->CompleteAsync(req, [&, task_id](absl::StatusOr<v1::CompleteResponse> r) {
      EXPECT_TRUE(r.ok()) << r.status();
      auto stored = store_->ListTasks(job->id());
      bool done = false;
      for (const auto& st : *stored) done |= st.task_id == task_id && st.state == TaskState::kDone;
      absl::MutexLock lock(&mu);
      ++answered;
      stored_done += done;
    });
  }
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(+[](int* n) { return *n == 16; }, &answered));
  EXPECT_EQ(stored_done, 16);
}

// An evaluator with a job-level task: the job is PREPARING until it is
// done, candidate tasks depend on it, and a finalize task on the front
// keeps the job FINALIZING until it is done.
class StagedEvaluator : public MeasureEvaluator {
 public:
  StagedEvaluator() : MeasureEvaluator("full_train") {}
  std::vector<TaskRecord> PrepareTasks(const v1::Job& job, int64_t now_ms) const override {
    TaskRecord t = MakeTask(job, "", job.id() + ".teacher", TaskKind::kAccuracy, now_ms);
    t.operation = "train_teacher";
    return {t};
  }
  std::vector<TaskRecord> FinalizeTasks(const v1::Job& job, const std::vector<v1::Candidate>& front,
                                        int64_t now_ms) const override {
    std::vector<TaskRecord> out;
    for (const auto& c : front) {
      TaskRecord t = MakeTask(job, c.id(), c.id() + ".final", TaskKind::kAccuracy, now_ms);
      t.operation = "full_train_finalist";
      out.push_back(t);
    }
    return out;
  }
};

TEST_F(RegressionTest, EvaluatorStagesDriveTheJobLifecycle) {
  evaluator_override_ = [](const v1::JobSpec&) { return std::make_unique<StagedEvaluator>(); };
  Open();
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_PREPARING);
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  EXPECT_TRUE(LeaseNow(a).empty());  // no candidates yet
  auto teacher = LeaseNow(w);
  ASSERT_EQ(teacher.size(), 1u);
  EXPECT_EQ(teacher[0].operation(), "train_teacher");
  Open();  // a restart while PREPARING keeps the stage
  v1::CompleteRequest req = Request(w, teacher[0]);
  *req.add_metrics() = M(kMetricAccuracy, 0.91);
  ASSERT_TRUE(manager_->Complete(req).ok());
  auto j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_SEARCHING);
  ASSERT_EQ(j->stage_metrics_size(), 1);
  EXPECT_EQ(j->stage_metrics(0).source(), "train_teacher");
  CompleteRounds(w, a, 2);
  j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_FINALIZING) << j->message();
  for (const v1::Task& t : LeaseNow(w, 16)) {
    EXPECT_EQ(t.operation(), "full_train_finalist");
    v1::CompleteRequest fin = Request(w, t);
    *fin.add_metrics() = M(kMetricAccuracy, 0.93);
    ASSERT_TRUE(manager_->Complete(fin).ok());
  }
  j = manager_->GetJob(job->id());
  EXPECT_EQ(j->state(), v1::JOB_DONE) << j->message();
}

}  // namespace
}  // namespace edgenas
