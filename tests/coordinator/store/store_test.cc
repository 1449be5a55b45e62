#include "coordinator/store/store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

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

// A metric is kept per source, in the order first stored (the search's proxy
// value before a finalist's full-training value), with what it cost.
TEST_F(StoreTest, MetricsKeptPerSourceWithTheirCost) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store.PutCandidate(MakeCandidate("c1", "j1", 0, "k1")).ok());
  v1::Metric proxy = MakeMetric("accuracy", 0.81);
  proxy.set_source("worker:flash_distill:cpu");
  proxy.set_steps(200);
  proxy.set_cost_seconds(3.5);
  proxy.set_std_error(0.009);
  v1::Metric full = MakeMetric("accuracy", 0.86);
  full.set_source("worker:full_train:cpu");
  full.set_steps(2000);
  full.set_cost_seconds(35.0);
  full.set_fidelity(-1);
  // A source that sorts first: the order must be arrival, not by name.
  full.set_source("worker:a_full_train:cpu");
  ASSERT_TRUE(store.PutMetrics("c1", "t1", {proxy}).ok());
  ASSERT_TRUE(store.PutMetrics("c1", "t2", {full}).ok());
  proxy.set_value(0.82);  // the same source again replaces its value
  ASSERT_TRUE(store.PutMetrics("c1", "t1", {proxy}).ok());
  absl::StatusOr<v1::Candidate> got = store.GetCandidate("c1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->metrics_size(), 2);
  EXPECT_EQ(got->metrics(0).source(), "worker:flash_distill:cpu");
  EXPECT_DOUBLE_EQ(got->metrics(0).value(), 0.82);
  EXPECT_EQ(got->metrics(0).steps(), 200);
  EXPECT_DOUBLE_EQ(got->metrics(0).cost_seconds(), 3.5);
  EXPECT_DOUBLE_EQ(got->metrics(0).std_error(), 0.009);
  EXPECT_EQ(got->metrics(1).source(), "worker:a_full_train:cpu");
  EXPECT_EQ(got->metrics(1).steps(), 2000);
  EXPECT_EQ(got->metrics(0).fidelity(), 0);
  EXPECT_EQ(got->metrics(1).fidelity(), -1);
  absl::StatusOr<std::vector<v1::Candidate>> list = store.ListCandidates("j1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ((*list)[0].metrics_size(), 2);
  EXPECT_EQ((*list)[0].metrics(0).source(), "worker:flash_distill:cpu");
  EXPECT_EQ((*list)[0].metrics(1).fidelity(), -1);
}

// A device agent's measurement keeps its interval, unstable flag, method and
// device descriptor (schema v5), in GetCandidate and ListCandidates alike;
// an executor keeps the descriptor it registered with.
TEST_F(StoreTest, MeasurementQualityAndDeviceRoundTrip) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store.PutCandidate(MakeCandidate("c1", "j1", 0, "k1")).ok());
  v1::Metric latency = MakeMetric("latency_ms", 1.5);
  latency.set_source("agent:libtorch-cpu");
  latency.set_device_class("cpu");
  latency.set_ci_low(1.4);
  latency.set_ci_high(1.7);
  latency.set_unstable(true);
  latency.set_method("median of 240 runs in 12 blocks");
  latency.mutable_device()->set_cpu_model("Cortex-A76");
  latency.mutable_device()->set_affinity("1");
  v1::Metric accuracy = MakeMetric("accuracy", 0.9);  // no quality fields, no device
  ASSERT_TRUE(store.PutMetrics("c1", "t1", {latency, accuracy}).ok());
  absl::StatusOr<v1::Candidate> got = store.GetCandidate("c1");
  ASSERT_TRUE(got.ok()) << got.status();
  absl::StatusOr<std::vector<v1::Candidate>> list = store.ListCandidates("j1");
  ASSERT_TRUE(list.ok()) << list.status();
  for (const v1::Candidate& c : {*got, (*list)[0]}) {
    ASSERT_EQ(c.metrics_size(), 2);
    const v1::Metric& a = c.metrics(0);  // ordered by name
    const v1::Metric& l = c.metrics(1);
    EXPECT_EQ(l.name(), "latency_ms");
    EXPECT_DOUBLE_EQ(l.ci_low(), 1.4);
    EXPECT_DOUBLE_EQ(l.ci_high(), 1.7);
    EXPECT_TRUE(l.unstable());
    EXPECT_EQ(l.method(), "median of 240 runs in 12 blocks");
    EXPECT_EQ(l.device().cpu_model(), "Cortex-A76");
    EXPECT_EQ(l.device().affinity(), "1");
    EXPECT_FALSE(a.unstable());
    EXPECT_FALSE(a.has_device());
    EXPECT_EQ(a.method(), "");
  }
  ExecutorRecord agent;
  agent.id = "a1";
  agent.kind = v1::DEVICE_AGENT;
  agent.device_class = "rpi5";
  agent.device.set_runner("libtorch-cpu");
  agent.device.set_emulated(true);
  ASSERT_TRUE(store.PutExecutor(agent).ok());
  absl::StatusOr<std::vector<ExecutorRecord>> executors = store.ListExecutors();
  ASSERT_TRUE(executors.ok()) << executors.status();
  ASSERT_EQ(executors->size(), 1u);
  EXPECT_EQ((*executors)[0].device.runner(), "libtorch-cpu");
  EXPECT_TRUE((*executors)[0].device.emulated());
}

// A job's own latency tables and an executor's owner identity survive a
// reopen; the job's copies are not the shared table a re-profile replaces.
TEST_F(StoreTest, JobLatencyTablesAndExecutorOwnersSurviveReopen) {
  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
    v1::LatencyTable table;
    table.set_space("nb201");
    table.set_device_class("rpi5");
    table.set_overhead_ms(0.5);
    ASSERT_TRUE(store->PutLatencyTable(table, 1).ok());
    ASSERT_TRUE(store->PutJobLatencyTables("j1", {table}).ok());
    table.set_overhead_ms(9.0);
    ASSERT_TRUE(store->PutLatencyTable(table, 2).ok());  // re-profiled
    EXPECT_FALSE(store->PutJobLatencyTables("no-such-job", {table}).ok());
    table.set_device_class("");
    EXPECT_EQ(store->PutJobLatencyTables("j1", {table}).code(),
              absl::StatusCode::kInvalidArgument);
    ExecutorRecord worker;
    worker.id = "w1";
    worker.kind = v1::WORKER;
    worker.owner_identity = "3fa9";
    ASSERT_TRUE(store->PutExecutor(worker).ok());
  }
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto tables = store->ListJobLatencyTables("j1");
  ASSERT_TRUE(tables.ok()) << tables.status();
  ASSERT_EQ(tables->size(), 1u);
  EXPECT_DOUBLE_EQ((*tables)[0].overhead_ms(), 0.5);
  EXPECT_TRUE(store->ListJobLatencyTables("j2")->empty());
  auto executors = store->ListExecutors();
  ASSERT_TRUE(executors.ok());
  ASSERT_EQ(executors->size(), 1u);
  EXPECT_EQ((*executors)[0].owner_identity, "3fa9");
}

// A version-3 file (no fidelity column) migrates to version 4: its values
// read back at fidelity 0, except a finalist's full training ("<c>.full_train"
// task), which becomes -1 so the search keeps ranking by the proxy.
TEST_F(StoreTest, MigratesVersion3MetricsToFidelities) {
  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
    ASSERT_TRUE(store->PutCandidate(MakeCandidate("c1", "j1", 0, "k1")).ok());
    v1::Metric proxy = MakeMetric("accuracy", 0.81);
    proxy.set_source("worker:supernet:cpu");
    v1::Metric full = MakeMetric("accuracy", 0.86);
    full.set_source("worker:full_train:cpu");
    ASSERT_TRUE(store->PutMetrics("c1", "c1.accuracy", {proxy}).ok());
    ASSERT_TRUE(store->PutMetrics("c1", "c1.full_train", {full}).ok());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db,
                           // Undo v6, v5, then v4: what a version-3 file holds.
                           "DROP TABLE job_latency_tables;"
                           "ALTER TABLE executors DROP COLUMN owner_identity;"
                           "ALTER TABLE metrics DROP COLUMN ci_low;"
                           "ALTER TABLE metrics DROP COLUMN ci_high;"
                           "ALTER TABLE metrics DROP COLUMN unstable;"
                           "ALTER TABLE metrics DROP COLUMN method;"
                           "ALTER TABLE metrics DROP COLUMN device;"
                           "ALTER TABLE executors DROP COLUMN device;"
                           "DROP TABLE latency_tables;"
                           "ALTER TABLE metrics DROP COLUMN fidelity;"
                           "UPDATE schema_version SET version = 3;",
                           nullptr, nullptr, &error),
              SQLITE_OK)
        << error;
    sqlite3_close(db);
  }
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<v1::Candidate> got = store->GetCandidate("c1");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->metrics_size(), 2);
  EXPECT_EQ(got->metrics(0).source(), "worker:supernet:cpu");
  EXPECT_EQ(got->metrics(0).fidelity(), 0);
  EXPECT_EQ(got->metrics(1).source(), "worker:full_train:cpu");
  EXPECT_EQ(got->metrics(1).fidelity(), -1);
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
  EXPECT_NE(dup.message().find("canonical_key"), std::string::npos) << dup;
  EXPECT_TRUE(store.PutCandidate(MakeCandidate("c3", "j2", 0, "same")).ok());
  // An empty key is "unknown" and never collides.
  EXPECT_TRUE(store.PutCandidate(MakeCandidate("c4", "j1", 2, "")).ok());
  EXPECT_TRUE(store.PutCandidate(MakeCandidate("c5", "j1", 3, "")).ok());
  EXPECT_EQ(store.PutCandidate(MakeCandidate("c6", "nojob", 0, "x")).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.ListCandidates("j1")->size(), 3u);
}

// A constraint error names the record that broke it (the candidate id).
TEST_F(StoreTest, DuplicateCanonicalKeyErrorNamesCandidate) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store.PutCandidate(MakeCandidate("c1", "j1", 0, "same")).ok());
  absl::Status dup = store.PutCandidate(MakeCandidate("c2", "j1", 1, "same"));
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_NE(dup.message().find("c2"), std::string::npos) << dup;
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
  ExecutorRecord e{"e1", v1::DEVICE_AGENT, "pi-lab-1", "rpi5", 10, 10, {}, {}};
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

// The new task fields (depends_on, requires_capabilities, operation) survive
// a write, a reopen and a read, lists in order; empty lists come back empty.
TEST_F(StoreTest, TaskDependenciesCapabilitiesAndOperationRoundTrip) {
  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
    TaskRecord t;
    t.task_id = "t1";
    t.job_id = "j1";
    t.candidate_id = "c1";
    t.created_ms = 10;
    t.depends_on = {"teacher", "stage-1"};
    t.requires_capabilities = {"gpu", "energy_meter"};
    t.operation = "distill";
    ASSERT_TRUE(store->PutTask(t).ok());
    TaskRecord plain;
    plain.task_id = "t2";
    plain.job_id = "j1";
    plain.created_ms = 20;
    ASSERT_TRUE(store->PutTask(plain).ok());
    TaskRecord one = plain;
    one.task_id = "t3";
    one.created_ms = 30;
    one.depends_on = {"t1"};
    one.requires_capabilities = {"energy_meter"};
    one.operation = "train_teacher";
    ASSERT_TRUE(store->PutTask(one).ok());
    one.task_id = "t4";  // an upsert clears lists as well as sets them
    one.created_ms = 40;
    ASSERT_TRUE(store->PutTask(one).ok());
    one.depends_on.clear();
    one.requires_capabilities.clear();
    one.operation.clear();
    ASSERT_TRUE(store->PutTask(one).ok());
  }
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<TaskRecord>> all = store->ListTasks("j1");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 4u);
  EXPECT_EQ((*all)[0].depends_on, (std::vector<std::string>{"teacher", "stage-1"}));
  EXPECT_EQ((*all)[0].requires_capabilities, (std::vector<std::string>{"gpu", "energy_meter"}));
  EXPECT_EQ((*all)[0].operation, "distill");
  EXPECT_TRUE((*all)[1].depends_on.empty());
  EXPECT_TRUE((*all)[1].requires_capabilities.empty());
  EXPECT_EQ((*all)[1].operation, "");
  EXPECT_EQ((*all)[2].depends_on, (std::vector<std::string>{"t1"}));
  EXPECT_EQ((*all)[2].requires_capabilities, (std::vector<std::string>{"energy_meter"}));
  EXPECT_EQ((*all)[2].operation, "train_teacher");
  EXPECT_TRUE((*all)[3].depends_on.empty());
  EXPECT_TRUE((*all)[3].requires_capabilities.empty());
  EXPECT_EQ((*all)[3].operation, "");

  absl::StatusOr<std::vector<TaskRecord>> live = store->ListUnfinishedTasks();
  ASSERT_TRUE(live.ok()) << live.status();
  ASSERT_EQ(live->size(), 4u);
  EXPECT_EQ((*live)[0].depends_on, (std::vector<std::string>{"teacher", "stage-1"}));
  EXPECT_EQ((*live)[0].operation, "distill");
}

// Executor capabilities and accelerators survive a write, a reopen and a
// read, in order; an upsert replaces them and keeps registered_ms.
TEST_F(StoreTest, ExecutorCapabilitiesAndAcceleratorsRoundTrip) {
  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ExecutorRecord gpu;
    gpu.id = "w1";
    gpu.kind = v1::WORKER;
    gpu.name = "gpu-box";
    gpu.registered_ms = 5;
    gpu.last_seen_ms = 6;
    gpu.capabilities = {"gpu", "fp16"};
    gpu.accelerators = {"cuda:0 NVIDIA H100 80GB HBM3", "cuda:1 NVIDIA H100 80GB HBM3"};
    ASSERT_TRUE(store->PutExecutor(gpu).ok());
    ExecutorRecord pi;
    pi.id = "a1";
    pi.kind = v1::DEVICE_AGENT;
    pi.name = "pi";
    pi.device_class = "rpi5";
    pi.registered_ms = 7;
    pi.last_seen_ms = 7;
    ASSERT_TRUE(store->PutExecutor(pi).ok());
  }
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<std::vector<ExecutorRecord>> all = store->ListExecutors();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "w1");
  EXPECT_EQ((*all)[0].capabilities, (std::vector<std::string>{"gpu", "fp16"}));
  EXPECT_EQ((*all)[0].accelerators, (std::vector<std::string>{"cuda:0 NVIDIA H100 80GB HBM3",
                                                              "cuda:1 NVIDIA H100 80GB HBM3"}));
  EXPECT_EQ((*all)[1].id, "a1");
  EXPECT_TRUE((*all)[1].capabilities.empty());
  EXPECT_TRUE((*all)[1].accelerators.empty());

  ExecutorRecord pi = (*all)[1];
  pi.registered_ms = 900;
  pi.last_seen_ms = 901;
  pi.capabilities = {"energy_meter"};
  pi.accelerators = {"VideoCore VII"};
  ASSERT_TRUE(store->PutExecutor(pi).ok());
  all = store->ListExecutors();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].registered_ms, 7);
  EXPECT_EQ((*all)[1].last_seen_ms, 901);
  EXPECT_EQ((*all)[1].capabilities, (std::vector<std::string>{"energy_meter"}));
  EXPECT_EQ((*all)[1].accelerators, (std::vector<std::string>{"VideoCore VII"}));
}

StrategyCall Call(int64_t seq, StrategyCallType type, int64_t number,
                  const std::string& candidate_id = "", bool known_finished = false) {
  StrategyCall c;
  c.seq = seq;
  c.type = type;
  c.number = number;
  c.candidate_id = candidate_id;
  c.known_finished = known_finished;
  return c;
}

// The strategy log lists a job's calls by seq with every field; a batch that
// repeats a seq is refused (ALREADY_EXISTS) and none of it is written.
TEST_F(StoreTest, StrategyLogAppendsAndListsInOrder) {
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
  ASSERT_TRUE(store->PutJob(MakeJob("j2")).ok());
  ASSERT_TRUE(store->AppendStrategyCalls("j1", {}).ok());
  ASSERT_TRUE(store
                  ->AppendStrategyCalls("j1", {Call(1, StrategyCallType::kSuggest, 4),
                                               Call(2, StrategyCallType::kPending, 1, "c1"),
                                               Call(3, StrategyCallType::kDuplicate, 2, "c1",
                                                    /*known_finished=*/true)})
                  .ok());
  ASSERT_TRUE(store->AppendStrategyCalls("j2", {Call(1, StrategyCallType::kSuggest, 1)}).ok());
  // Appended out of order, listed by seq.
  ASSERT_TRUE(store
                  ->AppendStrategyCalls("j1", {Call(5, StrategyCallType::kCancelled, 3),
                                               Call(4, StrategyCallType::kObserve, 0, "c1")})
                  .ok());

  absl::Status dup = store->AppendStrategyCalls(
      "j1", {Call(6, StrategyCallType::kSuggest, 1), Call(3, StrategyCallType::kSuggest, 1)});
  EXPECT_EQ(dup.code(), absl::StatusCode::kAlreadyExists) << dup;
  EXPECT_EQ(store->AppendStrategyCalls("nojob", {Call(1, StrategyCallType::kSuggest, 1)}).code(),
            absl::StatusCode::kFailedPrecondition);

  absl::StatusOr<std::vector<StrategyCall>> log = store->ListStrategyCalls("j1");
  ASSERT_TRUE(log.ok()) << log.status();
  ASSERT_EQ(log->size(), 5u);  // seq 6 of the refused batch was rolled back
  for (size_t i = 0; i < log->size(); ++i) EXPECT_EQ((*log)[i].seq, static_cast<int64_t>(i + 1));
  EXPECT_EQ((*log)[0].type, StrategyCallType::kSuggest);
  EXPECT_EQ((*log)[0].number, 4);
  EXPECT_EQ((*log)[1].type, StrategyCallType::kPending);
  EXPECT_EQ((*log)[1].candidate_id, "c1");
  EXPECT_FALSE((*log)[1].known_finished);
  EXPECT_EQ((*log)[2].type, StrategyCallType::kDuplicate);
  EXPECT_EQ((*log)[2].number, 2);
  EXPECT_TRUE((*log)[2].known_finished);
  EXPECT_EQ((*log)[3].type, StrategyCallType::kObserve);
  EXPECT_EQ((*log)[4].type, StrategyCallType::kCancelled);
  EXPECT_EQ((*log)[4].number, 3);
  EXPECT_EQ(store->ListStrategyCalls("j2")->size(), 1u);
  absl::StatusOr<std::vector<StrategyCall>> none = store->ListStrategyCalls("unknown");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
}

// UpdateJobRecord writes state and record (counters, timestamps) but keeps
// the stored spec; an unknown job is NOT_FOUND and is not created.
TEST_F(StoreTest, UpdateJobRecordKeepsSpec) {
  absl::StatusOr<std::unique_ptr<Store>> opened = Store::Open(":memory:");
  ASSERT_TRUE(opened.ok()) << opened.status();
  Store& store = **opened;
  ASSERT_TRUE(store.PutJob(MakeJob("j1", 1000)).ok());
  ASSERT_TRUE(store.PutJob(MakeJob("j2", 2000)).ok());

  v1::Job changed = MakeJob("j1", 1000);
  changed.set_state(v1::JOB_DONE);
  changed.set_front_size(4);
  changed.set_updated_unix_ms(7777);
  changed.mutable_spec()->set_name("renamed");  // ignored: the spec is not rewritten
  changed.mutable_spec()->set_seed(99);
  ASSERT_TRUE(store.UpdateJobRecord(changed).ok());
  changed.set_front_size(5);  // a second update through the cached statement
  ASSERT_TRUE(store.UpdateJobRecord(changed).ok());

  absl::StatusOr<v1::Job> got = store.GetJob("j1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->state(), v1::JOB_DONE);
  EXPECT_EQ(got->front_size(), 5);
  EXPECT_EQ(got->updated_unix_ms(), 7777);
  EXPECT_EQ(got->created_unix_ms(), 1000);
  EXPECT_EQ(got->spec().name(), "name-j1");
  EXPECT_EQ(got->spec().seed(), 7u);
  EXPECT_EQ(got->spec().budget().max_evaluations(), 50);
  EXPECT_EQ(store.GetJob("j2")->state(), v1::JOB_SEARCHING);  // only j1 changed

  absl::Status missing = store.UpdateJobRecord(MakeJob("ghost"));
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound) << missing;
  EXPECT_EQ(store.GetJob("ghost").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store.ListJobs()->size(), 2u);
}

// The v1 schema exactly as store.cc's first migration creates it.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE jobs (
  id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, state INTEGER NOT NULL,
  spec BLOB NOT NULL,    -- edgenas.v1.JobSpec
  record BLOB NOT NULL,  -- edgenas.v1.Job without its spec
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE candidates (
  id TEXT PRIMARY KEY NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  sequence INTEGER NOT NULL, arch TEXT NOT NULL,
  canonical_key TEXT,    -- NULL when unknown, so it never collides
  state INTEGER NOT NULL, failure_reason TEXT NOT NULL,
  record BLOB NOT NULL,  -- edgenas.v1.Candidate without its metrics
  created_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,
  UNIQUE (job_id, canonical_key));
CREATE INDEX candidates_by_job ON candidates (job_id, sequence);
CREATE TABLE metrics (
  candidate_id TEXT NOT NULL REFERENCES candidates(id) ON DELETE CASCADE,
  name TEXT NOT NULL, value REAL NOT NULL, source TEXT NOT NULL,
  device_class TEXT NOT NULL, task_id TEXT NOT NULL,
  PRIMARY KEY (candidate_id, name, device_class)) WITHOUT ROWID;
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  candidate_id TEXT NOT NULL, kind INTEGER NOT NULL, device_class TEXT NOT NULL,
  state INTEGER NOT NULL, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL,
  lease_token TEXT NOT NULL, lease_owner TEXT NOT NULL, lease_expiry_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, last_error TEXT NOT NULL);
CREATE INDEX tasks_by_job ON tasks (job_id);
CREATE INDEX tasks_by_state ON tasks (state);
CREATE TABLE executors (
  id TEXT PRIMARY KEY NOT NULL, kind INTEGER NOT NULL, name TEXT NOT NULL,
  device_class TEXT NOT NULL, registered_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL);
CREATE TABLE events (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  sequence INTEGER NOT NULL, type INTEGER NOT NULL, unix_ms INTEGER NOT NULL,
  payload BLOB NOT NULL,  -- edgenas.v1.JobEvent
  PRIMARY KEY (job_id, sequence)) WITHOUT ROWID;
)sql";

// Runs `sql` on `db`, binding `blobs` to ?1, ?2, ... in order.
void ExecWithBlobs(sqlite3* db, const char* sql, const std::vector<std::string>& blobs) {
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  for (size_t i = 0; i < blobs.size(); ++i) {
    sqlite3_bind_blob(stmt, static_cast<int>(i + 1), blobs[i].data(),
                      static_cast<int>(blobs[i].size()), SQLITE_TRANSIENT);
  }
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
}

// A database written at schema version 1 opens, migrates to version 2 and
// keeps its jobs, tasks and executors; the new columns read back empty and
// the new strategy_log table works.
TEST_F(StoreTest, MigratesVersion1DatabaseKeepingRows) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, &error), SQLITE_OK)
        << error;
    ASSERT_EQ(sqlite3_exec(db, kSchemaV1, nullptr, nullptr, &error), SQLITE_OK) << error;
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                           "INSERT INTO schema_version (version) VALUES (1);",
                           nullptr, nullptr, &error),
              SQLITE_OK)
        << error;
    v1::Job job = MakeJob("old-job", 1000);
    v1::Job record = job;
    record.clear_spec();
    ExecWithBlobs(db,
                  "INSERT INTO jobs (id, name, state, spec, record, created_ms, updated_ms) "
                  "VALUES ('old-job', 'name-old-job', 2, ?1, ?2, 1000, 1001)",
                  {job.spec().SerializeAsString(), record.SerializeAsString()});
    ASSERT_EQ(sqlite3_exec(db,
                           "INSERT INTO tasks (id, job_id, candidate_id, kind, device_class, "
                           "state, attempts, max_attempts, lease_token, lease_owner, "
                           "lease_expiry_ms, created_ms, updated_ms, last_error) VALUES "
                           "('old-task', 'old-job', 'c1', 2, 'rpi5', 1, 1, 3, 'tok', 'agent-1', "
                           "99999, 100, 200, 'earlier error');"
                           "INSERT INTO executors (id, kind, name, device_class, registered_ms, "
                           "last_seen_ms) VALUES ('agent-1', 2, 'pi', 'rpi5', 10, 20);",
                           nullptr, nullptr, &error),
              SQLITE_OK)
        << error;
    sqlite3_close(db);
  }
  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    absl::StatusOr<v1::Job> job = store->GetJob("old-job");
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_EQ(job->spec().name(), "name-old-job");
    EXPECT_EQ(job->spec().seed(), 7u);
    EXPECT_EQ(job->state(), v1::JOB_SEARCHING);

    absl::StatusOr<std::vector<TaskRecord>> tasks = store->ListUnfinishedTasks();
    ASSERT_TRUE(tasks.ok()) << tasks.status();
    ASSERT_EQ(tasks->size(), 1u);
    const TaskRecord& t = (*tasks)[0];
    EXPECT_EQ(t.task_id, "old-task");
    EXPECT_EQ(t.job_id, "old-job");
    EXPECT_EQ(t.kind, TaskKind::kLatency);
    EXPECT_EQ(t.device_class, "rpi5");
    EXPECT_EQ(t.state, TaskState::kLeased);
    EXPECT_EQ(t.lease_token, "tok");
    EXPECT_EQ(t.lease_owner, "agent-1");
    EXPECT_EQ(t.lease_expiry_ms, 99999);
    EXPECT_EQ(t.last_error, "earlier error");
    EXPECT_TRUE(t.depends_on.empty());
    EXPECT_TRUE(t.requires_capabilities.empty());
    EXPECT_EQ(t.operation, "");

    absl::StatusOr<std::vector<ExecutorRecord>> executors = store->ListExecutors();
    ASSERT_TRUE(executors.ok()) << executors.status();
    ASSERT_EQ(executors->size(), 1u);
    EXPECT_EQ((*executors)[0].id, "agent-1");
    EXPECT_EQ((*executors)[0].kind, v1::DEVICE_AGENT);
    EXPECT_EQ((*executors)[0].device_class, "rpi5");
    EXPECT_EQ((*executors)[0].registered_ms, 10);
    EXPECT_TRUE((*executors)[0].capabilities.empty());
    EXPECT_TRUE((*executors)[0].accelerators.empty());

    absl::StatusOr<std::vector<StrategyCall>> log = store->ListStrategyCalls("old-job");
    ASSERT_TRUE(log.ok()) << log.status();
    EXPECT_TRUE(log->empty());
    EXPECT_TRUE(
        store->AppendStrategyCalls("old-job", {Call(1, StrategyCallType::kSuggest, 2)}).ok());
    TaskRecord updated = t;
    updated.requires_capabilities = {"energy_meter"};
    EXPECT_TRUE(store->PutTask(updated).ok());
  }
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(version) FROM schema_version", -1, &stmt,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 1);
    EXPECT_EQ(sqlite3_column_int(stmt, 1), Store::kSchemaVersion);
    EXPECT_EQ(Store::kSchemaVersion, 6);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }
  // A second open finds the current version and migrates nothing; the rows are still there.
  std::unique_ptr<Store> store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->ListStrategyCalls("old-job")->size(), 1u);
  absl::StatusOr<std::vector<TaskRecord>> tasks = store->ListTasks("old-job");
  ASSERT_TRUE(tasks.ok()) << tasks.status();
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].requires_capabilities, (std::vector<std::string>{"energy_meter"}));
}

// The connection a Store::Open makes, seen through an sqlite auto-extension,
// which also sets synchronous=OFF first so only Open itself can make it FULL.
sqlite3* g_opened_connection = nullptr;

int CaptureConnection(sqlite3* db, const char** error, const sqlite3_api_routines* api) {
  g_opened_connection = db;
  return sqlite3_exec(db, "PRAGMA synchronous=OFF", nullptr, nullptr, nullptr);
}

// Reads a one-row, one-column pragma as text on `db`.
std::string ReadPragma(sqlite3* db, const char* pragma) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, pragma, -1, &stmt, nullptr) != SQLITE_OK) return "prepare failed";
  std::string value = "no row";
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    value = text == nullptr ? "" : reinterpret_cast<const char*>(text);
  }
  sqlite3_finalize(stmt);
  return value;
}

// A file database is opened in WAL mode with PRAGMA synchronous = 2 (FULL),
// so an acknowledged commit survives power loss.
TEST_F(StoreTest, FileDatabaseUsesSynchronousFull) {
  auto hook = reinterpret_cast<void (*)()>(&CaptureConnection);
  g_opened_connection = nullptr;
  ASSERT_EQ(sqlite3_auto_extension(hook), SQLITE_OK);
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path_);
  sqlite3_cancel_auto_extension(hook);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_NE(g_opened_connection, nullptr) << "the auto-extension did not see the connection";
  EXPECT_EQ(ReadPragma(g_opened_connection, "PRAGMA synchronous"), "2");
  EXPECT_EQ(ReadPragma(g_opened_connection, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(ReadPragma(g_opened_connection, "PRAGMA foreign_keys"), "1");
  // The store still works after the peek.
  EXPECT_TRUE((*store)->PutJob(MakeJob("j1")).ok());
  g_opened_connection = nullptr;
}

// A file that is not a database, or a database with a damaged page, is
// refused at open with DATA_LOSS naming the file, and left as it was.
TEST_F(StoreTest, RefusesDamagedOrForeignFilesAtOpen) {
  {
    std::ofstream out(path_, std::ios::binary);
    for (int i = 0; i < 8192; ++i) out.put(static_cast<char>((i * 131 + 7) % 251));
  }
  absl::StatusOr<std::unique_ptr<Store>> foreign = Store::Open(path_);
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.status().message(), HasSubstr(path_));
  EXPECT_THAT(foreign.status().message(), HasSubstr("not a database"));
  EXPECT_EQ(std::filesystem::file_size(path_), 8192u);  // untouched
  std::filesystem::remove(path_);

  {
    std::unique_ptr<Store> store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->PutJob(MakeJob("j1")).ok());
    for (int i = 0; i < 400; ++i) {
      const std::string id = "c" + std::to_string(i);
      ASSERT_TRUE(store->PutCandidate(MakeCandidate(id, "j1", i, "k" + std::to_string(i))).ok());
      ASSERT_TRUE(store->PutMetrics(id, "t", {MakeMetric("accuracy", 0.5)}).ok());
    }
  }  // closed: the WAL is checkpointed into the file
  const uintmax_t size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 16u * 4096u);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));  // a page in the middle
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>(0xA5));
  }
  absl::StatusOr<std::unique_ptr<Store>> damaged = Store::Open(path_);
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss) << damaged.status();
  EXPECT_THAT(damaged.status().message(), HasSubstr("failed its integrity check"));
  EXPECT_THAT(damaged.status().message(), HasSubstr(path_));
}

}  // namespace
}  // namespace edgenas
