// Crash safety of the job manager over a real SQLite file: faults injected
// at the SQLite level (a size cap that fills the database, a read-only
// connection, a failed commit of a whole group-commit batch), results for
// leases granted before a restart, and tasks that fail on every attempt or
// whose executor vanished.
//
// Faults: Store::SetMaxBytes (PRAGMA max_page_count: SQLITE_FULL, as a
// full disk), Store::SetReadOnlyForTest (PRAGMA query_only:
// SQLITE_READONLY), Store::FailNextCommitsForTest (a commit that fails).
// File modes are no use here: tests may run as root, which ignores them.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

// How many rows of metric `name` the stored candidate has (0 when unknown).
int StoredRows(Store& store, const std::string& candidate_id, const std::string& name) {
  auto c = store.GetCandidate(candidate_id);
  if (!c.ok()) return 0;
  int rows = 0;
  for (const v1::Metric& m : c->metrics()) rows += m.name() == name;
  return rows;
}

// The metric a task of this kind reports (see CompleteTask).
std::string MetricOf(const v1::Task& task) {
  return task.kind() == v1::TASK_ACCURACY ? kMetricAccuracy : kMetricLatencyMs;
}

// Holds the committer thread inside OnBatchCommitted, once armed, until
// released: operations queued meanwhile all land in the next batch. Records
// every batch's size and outcome.
class BatchGate : public CoordinatorObserver {
 public:
  void Arm() {
    absl::MutexLock lock(&mu_);
    armed_ = true;
  }
  void WaitUntilHeld() { held_.WaitForNotification(); }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  void OnBatchCommitted(double, int operations, bool ok) override {
    absl::MutexLock lock(&mu_);
    batches_.push_back({operations, ok});
    if (!armed_) return;
    armed_ = false;
    held_.Notify();
    mu_.Await(absl::Condition(&released_));
  }
  std::vector<std::pair<int, bool>> batches() {
    absl::MutexLock lock(&mu_);
    return batches_;
  }

 private:
  absl::Mutex mu_;
  bool armed_ = false;
  bool released_ = false;
  absl::Notification held_;
  std::vector<std::pair<int, bool>> batches_;
};

class CrashSafetyTest : public JobManagerTest {
 protected:
  absl::StatusOr<std::vector<v1::Task>> TryLease(const std::string& executor) {
    v1::LeaseRequest req;
    req.set_executor_id(executor);
    req.set_max_tasks(1);
    req.set_wait_ms(0);
    auto resp = manager_->Lease(req);
    if (!resp.ok()) return resp.status();
    return std::vector<v1::Task>(resp->tasks().begin(), resp->tasks().end());
  }
  // Finished candidates as stored, by id (serialized, metrics included).
  // Finished candidates' records as stored, less the test_accuracy the end
  // of the job adds to front members (measured after the search).
  std::map<std::string, std::string> StoredFinished(const std::string& job_id) {
    std::map<std::string, std::string> out;
    auto stored = store_->ListCandidates(job_id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    if (!stored.ok()) return out;
    for (v1::Candidate c : *stored) {
      if (c.state() == v1::CANDIDATE_PENDING) continue;
      auto* metrics = c.mutable_metrics();
      metrics->erase(std::remove_if(metrics->begin(), metrics->end(),
                                    [](const v1::Metric& m) {
                                      return m.name() == kMetricTestAccuracy;
                                    }),
                     metrics->end());
      out[c.id()] = c.SerializeAsString();
    }
    return out;
  }
  BatchGate gate_;  // outlives the manager (destroyed after TearDown)
  int StoredDone(const std::string& job_id) {
    auto stored = store_->ListCandidates(job_id);
    EXPECT_TRUE(stored.ok()) << stored.status();
    if (!stored.ok()) return -1;
    int done = 0;
    for (const auto& c : *stored) done += c.state() == v1::CANDIDATE_DONE;
    return done;
  }
};

// The Store's fault seams themselves: a cap holds the file at its size
// and the probe says so; lifting it frees the probe; query_only refuses.
TEST_F(CrashSafetyTest, StoreCapAndReadOnlySeamsFailWritesAsTheRealFaultsDo) {
  manager_.reset();
  EXPECT_EQ(store_->SetMaxBytes(-1).status().code(), absl::StatusCode::kInvalidArgument);
  auto cap = store_->SetMaxBytes(1);  // below the file: held at its size
  ASSERT_TRUE(cap.ok()) << cap.status();
  EXPECT_GT(*cap, 0);
  absl::Status full = store_->CheckWritable(256 * 1024);
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted) << full;
  EXPECT_THAT(full.message(), HasSubstr("full"));
  EXPECT_THAT(StoreFaultStatus(full).message(), HasSubstr("database full: "));
  auto lifted = store_->SetMaxBytes(0);
  ASSERT_TRUE(lifted.ok());
  EXPECT_EQ(*lifted, 0);
  EXPECT_TRUE(store_->CheckWritable(256 * 1024).ok());
  ASSERT_TRUE(store_->SetReadOnlyForTest(true).ok());
  absl::Status read_only = store_->CheckWritable(1);
  EXPECT_EQ(read_only.code(), absl::StatusCode::kPermissionDenied) << read_only;
  const absl::Status told = StoreFaultStatus(read_only);
  EXPECT_EQ(told.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(told.message(), HasSubstr("database is read-only: "));
  EXPECT_TRUE(store_->ListJobs().ok());  // reads go on
  ASSERT_TRUE(store_->SetReadOnlyForTest(false).ok());
  EXPECT_TRUE(store_->CheckWritable(1).ok());
}

// A database that fills up mid-job (size cap at its current size): the
// write that does not fit is refused with RESOURCE_EXHAUSTED "database
// full", new work (leases, jobs) is refused the same way, the manager keeps
// answering with exactly what is stored, every result acknowledged before
// is intact, and once there is room the refused result is accepted (not
// as a duplicate) and the job finishes its whole budget, each candidate once.
TEST_F(CrashSafetyTest, FullDatabaseRefusesWhatItCannotStoreAndGoesOnWithRoom) {
  constexpr int kBudget = 100;
  auto job = manager_->SubmitJob(TinySpec(kBudget));
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(store_->SetMaxBytes(1).ok());  // no more pages from now on

  std::vector<std::pair<std::string, v1::Task>> acknowledged;
  std::optional<std::pair<std::string, v1::Task>> refused;
  absl::Status fault;
  for (int round = 0; round < kBudget && fault.ok(); ++round) {
    bool any = false;
    for (const std::string& ex : {w, a}) {
      auto leased = TryLease(ex);
      if (!leased.ok()) {
        fault = leased.status();
        break;
      }
      for (const v1::Task& t : *leased) {
        any = true;
        auto done = CompleteTask(ex, t);
        if (!done.ok()) {
          fault = done.status();
          refused = {ex, t};
          break;
        }
        acknowledged.push_back({ex, t});
      }
      if (!fault.ok()) break;
    }
    if (!any && fault.ok()) break;
  }
  ASSERT_FALSE(fault.ok()) << "the capped database never filled";
  EXPECT_EQ(fault.code(), absl::StatusCode::kResourceExhausted) << fault;
  EXPECT_THAT(fault.message(), HasSubstr("database full: "));
  EXPECT_THAT(fault.message(), HasSubstr("database or disk is full"));
  ASSERT_FALSE(store_errors_.empty());
  EXPECT_EQ(store_errors_.back().code(), absl::StatusCode::kResourceExhausted);

  // Still up; memory shows what is stored, nothing of the refused batch.
  auto during = manager_->GetJob(job->id());
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->state(), v1::JOB_SEARCHING);
  EXPECT_EQ(during->candidates_done(), StoredDone(job->id()));
  if (refused) {
    EXPECT_EQ(StoredRows(*store_, refused->second.candidate_id(), MetricOf(refused->second)), 0);
  }
  // New work is refused, saying why.
  for (const std::string& ex : {w, a}) {
    auto more = TryLease(ex);
    EXPECT_EQ(more.status().code(), absl::StatusCode::kResourceExhausted) << ex;
    EXPECT_THAT(more.status().message(), HasSubstr("database full"));
  }
  auto another = manager_->SubmitJob(TinySpec(1));
  EXPECT_EQ(another.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(another.status().message(), HasSubstr("database full"));
  // Every acknowledged result is stored, once.
  for (const auto& [ex, t] : acknowledged) {
    EXPECT_EQ(StoredRows(*store_, t.candidate_id(), MetricOf(t)), 1) << t.task_id();
  }
  const std::map<std::string, std::string> before = StoredFinished(job->id());
  EXPECT_FALSE(before.empty());

  // Room again: the refused result counts, and the job runs to its end.
  ASSERT_TRUE(store_->SetMaxBytes(0).ok());
  if (refused) {
    auto again = CompleteTask(refused->first, refused->second);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_FALSE(again->duplicate());
  }
  Drain(w, a);
  auto end = manager_->GetJob(job->id());
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->state(), v1::JOB_DONE) << end->message();
  EXPECT_EQ(end->candidates_done(), kBudget);
  EXPECT_EQ(end->candidates_failed(), 0);

  Open();  // and a restart reads the same
  auto stored = store_->ListCandidates(job->id());
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), static_cast<size_t>(kBudget));
  std::set<std::string> keys;
  for (const v1::Candidate& c : *stored) {
    EXPECT_TRUE(keys.insert(c.canonical_key()).second) << "counted twice: " << c.arch();
    EXPECT_EQ(StoredRows(*store_, c.id(), kMetricAccuracy), 1) << c.id();
  }
  for (const auto& [id, record] : StoredFinished(job->id())) {
    if (before.count(id) > 0) {
      EXPECT_EQ(record, before.at(id)) << id << " changed";
    }
  }
  for (const auto& [id, record] : before) EXPECT_EQ(StoredFinished(job->id()).count(id), 1u);
}

// A read-only database: results, leases, new jobs and registrations are
// refused with UNAVAILABLE "database is read-only" (a code executors retry,
// never FAILED_PRECONDITION, which they take as "drop the result"); reads
// go on; once writable, the same result is accepted as new.
TEST_F(CrashSafetyTest, ReadOnlyDatabaseRefusesChangesSayingWhyAndResumes) {
  auto job = manager_->SubmitJob(TinySpec(3));
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  ASSERT_TRUE(store_->SetReadOnlyForTest(true).ok());

  auto r = CompleteTask(w, t[0]);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("database is read-only: "));
  EXPECT_THAT(r.status().message(), HasSubstr("readonly database"));
  auto lease = TryLease(a);
  EXPECT_EQ(lease.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(lease.status().message(), HasSubstr("database is read-only"));
  EXPECT_THAT(manager_->SubmitJob(TinySpec(1)).status().message(),
              HasSubstr("database is read-only"));
  v1::RegisterRequest reg;
  reg.set_kind(v1::WORKER);
  reg.set_name("late");
  EXPECT_EQ(manager_->Register(reg).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(store_errors_.empty());
  auto during = manager_->GetJob(job->id());
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->candidates_done(), 0);
  EXPECT_EQ(manager_->ListJobs()->jobs_size(), 1);

  ASSERT_TRUE(store_->SetReadOnlyForTest(false).ok());
  auto again = CompleteTask(w, t[0]);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->duplicate());
  Drain(w, a);
  auto end = manager_->GetJob(job->id());
  EXPECT_EQ(end->state(), v1::JOB_DONE) << end->message();
  EXPECT_EQ(end->candidates_done(), 3);
  EXPECT_EQ(StoredRows(*store_, t[0].candidate_id(), kMetricAccuracy), 1);
}

// Group commit: when the commit of a batch fails, every operation in it is
// refused (not only the one that wrote last), and none of their changes
// shows in memory; each is then accepted when repeated.
TEST_F(CrashSafetyTest, FailedBatchRefusesEveryWaiterAndRollsMemoryBack) {
  observer_ = &gate_;
  Open();
  auto job = manager_->SubmitJob(TinySpec(4));  // parallelism 2
  ASSERT_TRUE(job.ok());
  const std::string w1 = RegisterExecutor(v1::WORKER);
  const std::string w2 = RegisterExecutor(v1::WORKER);
  auto t1 = LeaseNow(w1);
  auto t2 = LeaseNow(w2);
  ASSERT_EQ(t1.size(), 1u);
  ASSERT_EQ(t2.size(), 1u);

  // Hold the committer after a batch, queue three operations, fail the
  // next commit, let go: the three share that batch.
  gate_.Arm();
  absl::Notification first;
  v1::HeartbeatRequest hb;
  hb.set_executor_id(w1);
  manager_->HeartbeatAsync(hb, [&](absl::StatusOr<v1::HeartbeatResponse>) { first.Notify(); });
  gate_.WaitUntilHeld();
  store_->FailNextCommitsForTest(1, absl::InternalError("commit failed (injected)"));
  struct Answer {
    absl::Notification done;
    absl::Status status;
  };
  Answer c1, c2, reg;
  auto complete = [&](const std::string& ex, const v1::Task& t, Answer* answer) {
    v1::CompleteRequest req;
    req.set_executor_id(ex);
    req.set_task_id(t.task_id());
    req.set_lease_token(t.lease_token());
    *req.add_metrics() = M(kMetricAccuracy, 0.5);
    manager_->CompleteAsync(req, [answer](absl::StatusOr<v1::CompleteResponse> r) {
      answer->status = r.status();
      answer->done.Notify();
    });
  };
  complete(w1, t1[0], &c1);
  complete(w2, t2[0], &c2);
  v1::RegisterRequest req;
  req.set_kind(v1::WORKER);
  req.set_name("in-the-failed-batch");
  manager_->RegisterAsync(req, [&](absl::StatusOr<v1::RegisterResponse> r) {
    reg.status = r.status();
    reg.done.Notify();
  });
  gate_.Release();
  first.WaitForNotification();
  for (Answer* answer : {&c1, &c2, &reg}) {
    answer->done.WaitForNotification();
    EXPECT_EQ(answer->status.code(), absl::StatusCode::kUnavailable) << answer->status;
    EXPECT_THAT(answer->status.message(), HasSubstr("database write failed"));
    EXPECT_THAT(answer->status.message(), HasSubstr("commit failed (injected)"));
  }
  bool seen_failed_batch_of_three = false;
  for (const auto& [operations, ok] : gate_.batches()) {
    if (!ok && operations == 3) seen_failed_batch_of_three = true;
  }
  EXPECT_TRUE(seen_failed_batch_of_three) << "the three calls did not share one batch";
  ASSERT_EQ(store_errors_.size(), 1u);

  // Memory was rolled back with the batch: no result counted, both leases
  // still held (a repeat is not a duplicate), the registration unknown.
  auto during = manager_->GetJob(job->id());
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->candidates_done(), 0);
  int registered = 0, live = 0;
  for (const auto& [key, group] : manager_->Snapshot().executors) {
    registered += group.registered;
    live += group.live;
  }
  EXPECT_EQ(registered, 2);
  EXPECT_EQ(live, 2);  // a reload keeps when each was last heard from
  auto again1 = CompleteTask(w1, t1[0]);
  auto again2 = CompleteTask(w2, t2[0]);
  ASSERT_TRUE(again1.ok()) << again1.status();
  ASSERT_TRUE(again2.ok()) << again2.status();
  EXPECT_FALSE(again1->duplicate());
  EXPECT_FALSE(again2->duplicate());
  EXPECT_EQ(StoredRows(*store_, t1[0].candidate_id(), kMetricAccuracy), 1);
  EXPECT_EQ(StoredRows(*store_, t2[0].candidate_id(), kMetricAccuracy), 1);
}

// Stopping while the database is read-only (no transaction can begin)
// still answers a parked long poll, so the server can drain.
TEST_F(CrashSafetyTest, ShutdownWhileReadOnlyAnswersParkedPolls) {
  const std::string w = RegisterExecutor(v1::WORKER);
  absl::Notification answered;
  absl::StatusOr<v1::LeaseResponse> answer = absl::InternalError("not answered");
  v1::LeaseRequest req;
  req.set_executor_id(w);
  req.set_wait_ms(30000);
  manager_->LeaseAsync(req, [&](absl::StatusOr<v1::LeaseResponse> r) {
    answer = std::move(r);
    answered.Notify();
  });
  for (int i = 0; i < 10000 && manager_->Snapshot().parked_lease_polls == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(1));  // until the committer parked it
  }
  ASSERT_EQ(manager_->Snapshot().parked_lease_polls, 1);
  ASSERT_TRUE(store_->SetReadOnlyForTest(true).ok());
  manager_->Shutdown();
  ASSERT_TRUE(answered.HasBeenNotified());
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->tasks_size(), 0);
  ASSERT_TRUE(store_->SetReadOnlyForTest(false).ok());
}

// A result for a lease granted before a restart, while the lease is still
// live: accepted once; its repeat says duplicate; stored once.
TEST_F(CrashSafetyTest, ResultForALeaseFromBeforeARestartIsAcceptedOnce) {
  auto job = manager_->SubmitJob(TinySpec(2));  // lease_seconds 10
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  auto t = LeaseNow(w);
  ASSERT_EQ(t.size(), 1u);
  manager_.reset();
  clock_.Advance(4000);  // down for 4 s: the lease has 6 s left
  Open();
  manager_->Tick();
  auto first = CompleteTask(w, t[0]);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate());
  auto repeat = CompleteTask(w, t[0]);
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_TRUE(repeat->duplicate());
  Open();  // and across another restart, still a duplicate
  auto later = CompleteTask(w, t[0]);
  ASSERT_TRUE(later.ok()) << later.status();
  EXPECT_TRUE(later->duplicate());
  EXPECT_EQ(StoredRows(*store_, t[0].candidate_id(), kMetricAccuracy), 1);
  auto stored = store_->GetTask(t[0].task_id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, TaskState::kDone);
  EXPECT_EQ(stored->attempts, 1);
}

// A lease that ran out while the coordinator was down gets one lease
// duration of grace after the restart (lease_outage_test.cc); once that has
// passed without a heartbeat, its result is refused with
// FAILED_PRECONDITION (before and after the task is leased to another
// executor), and the other executor's result is the one stored.
TEST_F(CrashSafetyTest, ResultForALeaseThatExpiredAfterTheRestartGraceIsRefusedClearly) {
  auto job = manager_->SubmitJob(TinySpec(1));  // lease_seconds 10
  ASSERT_TRUE(job.ok());
  const std::string w1 = RegisterExecutor(v1::WORKER);
  const std::string w2 = RegisterExecutor(v1::WORKER);
  auto old = LeaseNow(w1);
  ASSERT_EQ(old.size(), 1u);
  manager_.reset();
  clock_.Advance(11000);  // down past the lease's expiry
  Open();
  clock_.Advance(10000);  // and the grace passes without a heartbeat
  auto late = CompleteTask(w1, old[0]);
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition) << late.status();
  manager_->Tick();
  auto redo = LeaseNow(w2);
  ASSERT_EQ(redo.size(), 1u);
  EXPECT_EQ(redo[0].task_id(), old[0].task_id());
  EXPECT_EQ(redo[0].attempt(), 2);
  EXPECT_NE(redo[0].lease_token(), old[0].lease_token());
  auto stale = CompleteTask(w1, old[0]);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition) << stale.status();
  EXPECT_THAT(stale.status().message(), HasSubstr(old[0].task_id()));
  // The redo reports its own value, so the stored one shows whose it is.
  v1::CompleteRequest req;
  req.set_executor_id(w2);
  req.set_task_id(redo[0].task_id());
  req.set_lease_token(redo[0].lease_token());
  *req.add_metrics() = M(kMetricAccuracy, 0.625);
  auto accepted = manager_->Complete(req);
  ASSERT_TRUE(accepted.ok()) << accepted.status();
  EXPECT_FALSE(accepted->duplicate());
  EXPECT_EQ(CompleteTask(w1, old[0]).status().code(), absl::StatusCode::kFailedPrecondition);
  auto c = store_->GetCandidate(redo[0].candidate_id());
  ASSERT_TRUE(c.ok());
  int rows = 0;
  for (const v1::Metric& m : c->metrics()) {
    if (m.name() != kMetricAccuracy) continue;
    ++rows;
    EXPECT_EQ(m.value(), 0.625);
  }
  EXPECT_EQ(rows, 1);
  auto task = store_->GetTask(redo[0].task_id());
  ASSERT_TRUE(task.ok());
  EXPECT_EQ(task->lease_owner, w2);
}

// A task that fails on every attempt (retryable failures) ends its
// candidate FAILED with the reason, and the job goes on to DONE with the
// other candidates instead of waiting.
TEST_F(CrashSafetyTest, TaskFailingEveryAttemptFailsItsCandidateAndTheJobGoesOn) {
  auto job = manager_->SubmitJob(TinySpec(3));  // max_attempts 2
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  auto doomed = LeaseNow(w);
  ASSERT_EQ(doomed.size(), 1u);
  for (int attempt = 1; attempt <= 2; ++attempt) {
    if (attempt > 1) {
      auto retry = LeaseNow(w);
      ASSERT_EQ(retry.size(), 1u);
      ASSERT_EQ(retry[0].task_id(), doomed[0].task_id());  // requeued first
      EXPECT_EQ(retry[0].attempt(), attempt);
      doomed = retry;
    }
    v1::FailRequest fail;
    fail.set_executor_id(w);
    fail.set_task_id(doomed[0].task_id());
    fail.set_lease_token(doomed[0].lease_token());
    fail.set_reason("INTERNAL: out of memory (injected)");
    fail.set_retryable(true);
    ASSERT_TRUE(manager_->Fail(fail).ok());
  }
  Drain(w, a);
  auto end = manager_->GetJob(job->id());
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(end->state(), v1::JOB_DONE) << end->message();
  EXPECT_EQ(end->candidates_failed(), 1);
  EXPECT_EQ(end->candidates_done(), 2);
  auto c = store_->GetCandidate(doomed[0].candidate_id());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->state(), v1::CANDIDATE_FAILED);
  EXPECT_THAT(c->failure_reason(), HasSubstr("after 2 attempt(s)"));
  EXPECT_THAT(c->failure_reason(), HasSubstr("out of memory (injected)"));
}

// A device agent that vanished mid-task (killed): its latency lease runs
// out, another agent gets the task, and the candidate is counted once.
TEST_F(CrashSafetyTest, VanishedAgentsLatencyTaskIsLeasedToAnotherAgent) {
  auto job = manager_->SubmitJob(TinySpec(1));  // lease_seconds 10
  ASSERT_TRUE(job.ok());
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string gone = RegisterExecutor(v1::DEVICE_AGENT);
  const std::string rescuer = RegisterExecutor(v1::DEVICE_AGENT);
  auto acc = LeaseNow(w);
  ASSERT_EQ(acc.size(), 1u);
  ASSERT_TRUE(CompleteTask(w, acc[0]).ok());
  auto lost = LeaseNow(gone);
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].kind(), v1::TASK_LATENCY);
  EXPECT_TRUE(LeaseNow(rescuer).empty());
  clock_.Advance(11000);
  manager_->Tick();
  auto redo = LeaseNow(rescuer);
  ASSERT_EQ(redo.size(), 1u);
  EXPECT_EQ(redo[0].task_id(), lost[0].task_id());
  EXPECT_EQ(redo[0].attempt(), 2);
  ASSERT_TRUE(CompleteTask(rescuer, redo[0]).ok());
  Drain(w, rescuer);  // the front's test_eval
  auto end = manager_->GetJob(job->id());
  EXPECT_EQ(end->state(), v1::JOB_DONE) << end->message();
  EXPECT_EQ(end->candidates_done(), 1);
  EXPECT_EQ(StoredRows(*store_, redo[0].candidate_id(), kMetricLatencyMs), 1);
}

}  // namespace
}  // namespace edgenas
