#include "coordinator/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

// A database file path unique to the running test, removed (with its WAL
// side files) before and after.
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = absl::StrCat(::testing::TempDir(), "/edgenas_store_", info->name(), "_", getpid(),
                         ".db");
    RemoveFiles();
  }
  void TearDown() override { RemoveFiles(); }

  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }

  std::unique_ptr<Store> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string path_;
};

v1::Job MakeJob(const std::string& id, int64_t created_ms = 1000) {
  v1::Job job;
  job.set_id(id);
  job.set_state(v1::JOB_SEARCHING);
  job.set_created_unix_ms(created_ms);
  job.set_updated_unix_ms(created_ms + 1);
  job.mutable_spec()->set_name("name-" + id);
  job.mutable_spec()->mutable_budget()->set_max_evaluations(50);
  job.mutable_spec()->set_seed(7);
  return job;
}

v1::Candidate MakeCandidate(const std::string& id, const std::string& job_id, int sequence,
                            const std::string& key) {
  v1::Candidate c;
  c.set_id(id);
  c.set_job_id(job_id);
  c.set_sequence(sequence);
  c.set_space("nb201");
  c.set_arch("|nor_conv_3x3~0|+|skip_connect~0|none~1|");
  c.set_canonical_key(key);
  c.add_encoding(3);
  c.add_encoding(1);
  c.set_state(v1::CANDIDATE_PENDING);
  c.set_created_unix_ms(2000 + sequence);
  return c;
}

v1::Metric MakeMetric(const std::string& name, double value, const std::string& device = "") {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_source("worker:test");
  m.set_device_class(device);
  return m;
}

v1::JobEvent MakeEvent(const std::string& job_id, int64_t sequence) {
  v1::JobEvent e;
  e.set_job_id(job_id);
  e.set_sequence(sequence);
  e.set_type(v1::EVENT_STATE_CHANGED);
  e.set_unix_ms(5000 + sequence);
  e.mutable_job()->set_id(job_id);
  return e;
}

// Open creates the schema, and what was written survives a reopen.
TEST_F(StoreTest, DataSurvivesReopen) {
  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
    ASSERT_TRUE(store->PutCandidate(MakeCandidate("c1", "j1", 0, "k1")).ok());
    ASSERT_TRUE(store->PutMetrics("c1", "t1", {MakeMetric("accuracy", 0.91)}).ok());
  }
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<v1::Job> job = store->GetJob("j1");
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->spec().name(), "name-j1");
  EXPECT_EQ(job->spec().seed(), 7u);
  absl::StatusOr<v1::Candidate> c = store->GetCandidate("c1");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->metrics_size(), 1);
  EXPECT_DOUBLE_EQ(c->metrics(0).value(), 0.91);
}

// A file written by a newer schema is refused rather than misread.
TEST_F(StoreTest, RefusesNewerSchemaVersion) {
  ASSERT_NE(OpenOrDie(), nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE schema_version SET version = 99", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(store.status().message().find("99"), std::string::npos) << store.status();
}

// PutJob replaces an existing job; GetJob of an unknown id is NOT_FOUND.
TEST_F(StoreTest, PutJobUpsertsAndListsOldestFirst) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(":memory:");
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->PutJob(MakeJob("late", 3000)).ok());
  ASSERT_TRUE((*store)->PutJob(MakeJob("early", 1000)).ok());
  ASSERT_TRUE((*store)->PutCandidate(MakeCandidate("c1", "early", 0, "k")).ok());
  v1::Job changed = MakeJob("early", 1000);
  changed.set_state(v1::JOB_DONE);
  changed.set_front_size(4);
  ASSERT_TRUE((*store)->PutJob(changed).ok());

  absl::StatusOr<std::vector<v1::Job>> jobs = (*store)->ListJobs();
  ASSERT_TRUE(jobs.ok()) << jobs.status();
  ASSERT_EQ(jobs->size(), 2u);
  EXPECT_EQ((*jobs)[0].id(), "early");
  EXPECT_EQ((*jobs)[0].state(), v1::JOB_DONE);
  EXPECT_EQ((*jobs)[0].front_size(), 4);
  EXPECT_EQ((*store)->GetJob("nope").status().code(), absl::StatusCode::kNotFound);
  // Updating the job kept its candidates (no delete-and-insert cascade).
  EXPECT_TRUE((*store)->GetCandidate("c1").ok());
}

// Candidates upsert; metrics upsert by (name, device_class) and come back with them.
TEST_F(StoreTest, CandidateAndMetricsRoundTrip) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  v1::Candidate c1 = MakeCandidate("c1", "j1", 1, "k1");
  c1.add_metrics()->CopyFrom(MakeMetric("ignored", 1.0));  // not written by PutCandidate
  ASSERT_TRUE(store.PutCandidate(c1).ok());
  ASSERT_TRUE(store.PutCandidate(MakeCandidate("c0", "j1", 0, "k0")).ok());
  ASSERT_TRUE(store.PutMetrics("c1", "t1",
                               {MakeMetric("accuracy", 0.5), MakeMetric("latency_ms", 3.25, "rpi5"),
                                MakeMetric("latency_ms", 1.5, "jetson")})
                  .ok());
  ASSERT_TRUE(store.PutMetrics("c1", "t2", {MakeMetric("accuracy", 0.75)}).ok());
  c1.set_state(v1::CANDIDATE_DONE);
  c1.set_finished_unix_ms(9999);
  ASSERT_TRUE(store.PutCandidate(c1).ok());

  absl::StatusOr<std::vector<v1::Candidate>> list = store.ListCandidates("j1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id(), "c0");
  EXPECT_EQ((*list)[0].metrics_size(), 0);
  const v1::Candidate& got = (*list)[1];
  EXPECT_EQ(got.state(), v1::CANDIDATE_DONE);
  EXPECT_EQ(got.finished_unix_ms(), 9999);
  EXPECT_EQ(got.encoding_size(), 2);
  ASSERT_EQ(got.metrics_size(), 3);  // ordered by name, then device class
  EXPECT_EQ(got.metrics(0).name(), "accuracy");
  EXPECT_DOUBLE_EQ(got.metrics(0).value(), 0.75);
  EXPECT_EQ(got.metrics(1).device_class(), "jetson");
  EXPECT_DOUBLE_EQ(got.metrics(1).value(), 1.5);
  EXPECT_EQ(got.metrics(2).device_class(), "rpi5");
  EXPECT_EQ(got.metrics(2).source(), "worker:test");
  EXPECT_EQ(store.GetCandidate("nope").status().code(), absl::StatusCode::kNotFound);
}

// A NaN or infinite metric is refused by name, and none of the batch is written.
TEST_F(StoreTest, NonFiniteMetricRefusedAndNothingWritten) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store.PutCandidate(MakeCandidate("c1", "j1", 0, "k1")).ok());
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    absl::Status s = store.PutMetrics(
        "c1", "t1", {MakeMetric("accuracy", 0.5), MakeMetric("latency_ms", bad, "rpi5")});
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("latency_ms"), std::string::npos) << s;
  }
  EXPECT_EQ(store.GetCandidate("c1")->metrics_size(), 0);
  // Metrics of an unknown candidate break the foreign key: nothing written.
  EXPECT_EQ(store.PutMetrics("ghost", "t1", {MakeMetric("accuracy", 0.5)}).code(),
            absl::StatusCode::kFailedPrecondition);
}

// Two candidates of one job may not share a canonical key; other jobs may.
TEST_F(StoreTest, CanonicalKeyUniquePerJob) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store.PutJob(MakeJob("j2")).ok());
  ASSERT_TRUE(store.PutCandidate(MakeCandidate("c1", "j1", 0, "same")).ok());
  absl::Status dup = store.PutCandidate(MakeCandidate("c2", "j1", 1, "same"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_NE(dup.message().find("c2"), std::string::npos) << dup;
  EXPECT_TRUE(store.PutCandidate(MakeCandidate("c3", "j2", 0, "same")).ok());
  // An empty key is "unknown" and never collides.
  EXPECT_TRUE(store.PutCandidate(MakeCandidate("c4", "j1", 2, "")).ok());
  EXPECT_TRUE(store.PutCandidate(MakeCandidate("c5", "j1", 3, "")).ok());
  EXPECT_EQ(store.PutCandidate(MakeCandidate("c6", "nojob", 0, "x")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.ListCandidates("j1")->size(), 3u);
}

// A failing transaction body rolls back every write it made.
TEST_F(StoreTest, TransactionRollbackLeavesNothing) {
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::Status s = store->RunInTransaction([&]() -> absl::Status {
    absl::Status put = store->PutJob(MakeJob("j1"));
    if (!put.ok()) return put;
    put = store->AppendEvent(MakeEvent("j1", 1));
    if (!put.ok()) return put;
    return absl::AbortedError("body gave up");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(store->GetJob("j1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*store->LastEventSequence("j1"), 0);

  ASSERT_TRUE(store->RunInTransaction([&] { return store->PutJob(MakeJob("j2")); }).ok());
  EXPECT_TRUE(store->GetJob("j2").ok());
}

// A failing nested transaction undoes only its own writes.
TEST_F(StoreTest, NestedTransactionRollsBackOnlyInnerWork) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  absl::Status s = store.RunInTransaction([&]() -> absl::Status {
    absl::Status put = store.PutJob(MakeJob("outer"));
    if (!put.ok()) return put;
    absl::Status inner = store.RunInTransaction([&]() -> absl::Status {
      absl::Status p = store.PutJob(MakeJob("inner"));
      return p.ok() ? absl::InternalError("inner fails") : p;
    });
    EXPECT_EQ(inner.code(), absl::StatusCode::kInternal);
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_TRUE(store.GetJob("outer").ok());
  EXPECT_EQ(store.GetJob("inner").status().code(), absl::StatusCode::kNotFound);
}

// Events come back in sequence order, after the given sequence, up to the limit.
TEST_F(StoreTest, EventsOrderedAndFilteredByAfterSequence) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store.PutJob(MakeJob("j2")).ok());
  for (int64_t seq : {3, 1, 2, 5, 4}) ASSERT_TRUE(store.AppendEvent(MakeEvent("j1", seq)).ok());
  ASSERT_TRUE(store.AppendEvent(MakeEvent("j2", 1)).ok());
  EXPECT_EQ(store.AppendEvent(MakeEvent("j1", 3)).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.AppendEvent(MakeEvent("j1", 0)).code(), absl::StatusCode::kInvalidArgument);

  absl::StatusOr<std::vector<v1::JobEvent>> after2 = store.ListEvents("j1", 2, 0);
  ASSERT_TRUE(after2.ok()) << after2.status();
  ASSERT_EQ(after2->size(), 3u);
  EXPECT_EQ((*after2)[0].sequence(), 3);
  EXPECT_EQ((*after2)[2].sequence(), 5);
  EXPECT_EQ((*after2)[0].job().id(), "j1");
  EXPECT_EQ((*after2)[0].unix_ms(), 5003);

  absl::StatusOr<std::vector<v1::JobEvent>> limited = store.ListEvents("j1", 0, 2);
  ASSERT_TRUE(limited.ok()) << limited.status();
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].sequence(), 2);
  EXPECT_EQ(*store.LastEventSequence("j1"), 5);
  EXPECT_EQ(*store.LastEventSequence("j2"), 1);
  EXPECT_EQ(*store.LastEventSequence("none"), 0);
}

// Every TaskRecord field survives a write and a read; unfinished lists only live tasks.
TEST_F(StoreTest, TasksRoundTripAllFields) {
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
  TaskRecord t;
  t.task_id = "t1";
  t.job_id = "j1";
  t.candidate_id = "c1";
  t.kind = TaskKind::kLatency;
  t.device_class = "rpi5";
  t.state = TaskState::kLeased;
  t.attempts = 2;
  t.max_attempts = 4;
  t.lease_token = "00ff";
  t.lease_owner = "agent-7";
  t.lease_expiry_ms = 123456789012;
  t.created_ms = 100;
  t.updated_ms = 200;
  t.last_error = "lease expired (owner agent-3)";
  ASSERT_TRUE(store->PutTask(t).ok());
  TaskRecord done = t;
  done.task_id = "t0";
  done.kind = TaskKind::kAccuracy;
  done.state = TaskState::kDone;
  done.created_ms = 50;
  ASSERT_TRUE(store->PutTask(done).ok());
  t.attempts = 3;  // upsert replaces
  ASSERT_TRUE(store->PutTask(t).ok());

  absl::StatusOr<std::vector<TaskRecord>> all = store->ListTasks("j1");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].task_id, "t0");
  const TaskRecord& got = (*all)[1];
  EXPECT_EQ(got.task_id, t.task_id);
  EXPECT_EQ(got.job_id, t.job_id);
  EXPECT_EQ(got.candidate_id, t.candidate_id);
  EXPECT_EQ(got.kind, t.kind);
  EXPECT_EQ(got.device_class, t.device_class);
  EXPECT_EQ(got.state, t.state);
  EXPECT_EQ(got.attempts, 3);
  EXPECT_EQ(got.max_attempts, t.max_attempts);
  EXPECT_EQ(got.lease_token, t.lease_token);
  EXPECT_EQ(got.lease_owner, t.lease_owner);
  EXPECT_EQ(got.lease_expiry_ms, t.lease_expiry_ms);
  EXPECT_EQ(got.created_ms, t.created_ms);
  EXPECT_EQ(got.updated_ms, t.updated_ms);
  EXPECT_EQ(got.last_error, t.last_error);

  absl::StatusOr<std::vector<TaskRecord>> live = store->ListUnfinishedTasks();
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->size(), 1u);
  EXPECT_EQ((*live)[0].task_id, "t1");
}

// Another thread never sees half of a transaction and does not deadlock with it.
TEST_F(StoreTest, ConcurrentReaderSeesAllOrNothingOfTransaction) {
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  constexpr int kJobs = 40;
  std::thread writer([&] {
    absl::Status s = store->RunInTransaction([&]() -> absl::Status {
      for (int i = 0; i < kJobs; ++i) {
        absl::Status put = store->PutJob(MakeJob(absl::StrCat("j", i)));
        if (!put.ok()) return put;
      }
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
  });
  for (int i = 0; i < 200; ++i) {  // EXPECT, not ASSERT: the writer must be joined
    absl::StatusOr<std::vector<v1::Job>> jobs = store->ListJobs();
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    if (!jobs.ok()) break;
    EXPECT_TRUE(jobs->empty() || jobs->size() == static_cast<size_t>(kJobs)) << jobs->size();
  }
  writer.join();
  EXPECT_EQ(store->ListJobs()->size(), static_cast<size_t>(kJobs));
}

// An executor upsert keeps its first registration time and updates the rest.
TEST_F(StoreTest, ExecutorUpsertKeepsRegistrationTime) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  ExecutorRecord e{"e1", v1::DEVICE_AGENT, "pi-lab-1", "rpi5", 10, 10};
  ASSERT_TRUE((*opened)->PutExecutor(e).ok());
  e.registered_ms = 99;
  e.last_seen_ms = 500;
  e.name = "pi-lab-1b";
  ASSERT_TRUE((*opened)->PutExecutor(e).ok());
  absl::StatusOr<std::vector<ExecutorRecord>> all = (*opened)->ListExecutors();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].kind, v1::DEVICE_AGENT);
  EXPECT_EQ((*all)[0].registered_ms, 10);
  EXPECT_EQ((*all)[0].last_seen_ms, 500);
  EXPECT_EQ((*all)[0].name, "pi-lab-1b");
}

}  // namespace
}  // namespace edgenas
