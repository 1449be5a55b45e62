// Crash safety of the real coordinator binary when its database fills up
// mid-job: a table job runs with a real worker and a replay agent against
// a coordinator started with --db_max_bytes (a size cap: SQLite's
// max_page_count, so writes past it fail with SQLITE_FULL exactly as on a
// full disk). The coordinator must refuse what it cannot store, saying
// why, stay up, keep every result it acknowledged, and, restarted with
// room, finish the job's whole budget with no candidate counted twice.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "coordinator/store/store.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"
#include "tests/integration/made_up_table.h"

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Ctx;
using testing::Submit;
using testing::WaitForLogLine;
using testing::WatchToEnd;
using ::testing::HasSubstr;

// Guards against hangs, not timing checks.
constexpr int kBoundSeconds = 600;
constexpr char kDeviceClass[] = "board";

v1::JobSpec TableSpec(const std::string& table, int evaluations) {
  v1::JobSpec spec;
  spec.set_name("store-fault");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  auto* eval = spec.mutable_evaluation();
  eval->set_mode("table");
  eval->mutable_table()->set_path(table);
  eval->mutable_table()->set_accuracy_column("acc_pct");
  auto* acc = spec.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class(kDeviceClass);
  spec.mutable_budget()->set_max_evaluations(evaluations);
  spec.set_parallelism(4);
  spec.set_seed(11);
  // Short leases: results refused while full are redone soon after.
  spec.set_lease_seconds(5);
  spec.set_max_attempts(10);
  return spec;
}

// Task ids whose report the executor logged as acknowledged, with counts.
std::map<std::string, int> AcknowledgedTasks(const std::string& log_path) {
  std::map<std::string, int> ids;
  std::ifstream in(log_path);
  const std::string marker = "report acknowledged task=";
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    const std::string rest = line.substr(at + marker.size());
    ++ids[rest.substr(0, rest.find(' '))];
  }
  return ids;
}

bool HasMetric(const v1::Candidate& c, const std::string& name) {
  for (const auto& m : c.metrics()) {
    if (m.name() == name) return true;
  }
  return false;
}

// The job's candidates as stored, by id.
std::map<std::string, v1::Candidate> Stored(Cluster& cluster, const std::string& job_id) {
  std::map<std::string, v1::Candidate> out;
  auto store = Store::Open(cluster.db_path());
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return out;
  auto candidates = (*store)->ListCandidates(job_id);
  EXPECT_TRUE(candidates.ok()) << candidates.status();
  if (!candidates.ok()) return out;
  for (const v1::Candidate& c : *candidates) out[c.id()] = c;
  return out;
}

// Every task an executor saw acknowledged has its metric stored.
void ExpectAcknowledgedStored(Cluster& cluster, const std::map<std::string, v1::Candidate>& stored,
                              int* acknowledged) {
  *acknowledged = 0;
  for (const char* log : {"worker-1.log", "replay-1.log"}) {
    for (const auto& [task_id, times] : AcknowledgedTasks(cluster.dir() + "/" + log)) {
      *acknowledged += times;
      EXPECT_EQ(times, 1) << task_id << " acknowledged " << times << " times";
      auto it = stored.find(task_id.substr(0, task_id.find('.')));
      ASSERT_NE(it, stored.end()) << task_id << " acknowledged, candidate not stored";
      const std::string metric =
          task_id.find(".latency") != std::string::npos ? "latency_ms" : "accuracy";
      EXPECT_TRUE(HasMetric(it->second, metric)) << task_id << " acknowledged, not stored";
    }
  }
}

bool LogHas(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (absl::StrContains(line, needle)) return true;
  }
  return false;
}

TEST(StoreFault, FullDatabaseMidJobRefusesWritesKeepsResultsAndFinishesWithRoom) {
  ::setenv("EDGENAS_LOG_LEVEL", "info", 1);  // executors log acknowledgements
  constexpr int kEvaluations = 300;
  // Room for the schema and some tens of candidates, far less than the job
  // needs (each candidate stores its record, two tasks, metrics and events).
  constexpr int64_t kCapBytes = 384 * 1024;
  Cluster cluster;
  const std::string table = testing::WriteMadeUpNb201Table(cluster.dir() + "/t.csv");
  ASSERT_TRUE(
      cluster.StartCoordinator(false, {absl::StrCat("--db_max_bytes=", kCapBytes)}).ok());
  auto worker = cluster.StartWorker("worker-1");
  ASSERT_TRUE(worker.ok());
  auto agent = cluster.StartAgentWithFlags(
      "replay-1", {absl::StrCat("--device_class=", kDeviceClass), "--runner=replay",
                   "--replay_table=" + table, "--replay_latency_column=lat_ms",
                   "--replay_energy_column=energy_mj"});
  ASSERT_TRUE(agent.ok());
  const std::string job_id = Submit(cluster, TableSpec(table, kEvaluations));
  ASSERT_FALSE(job_id.empty());

  // The job runs until the cap: the write that does not fit is refused.
  ASSERT_TRUE(WaitForLogLine(cluster.coordinator(), "database or disk is full", kBoundSeconds))
      << TailOfFile(cluster.coordinator()->log_file_path(), 30);
  // An executor is told why its work was refused, and keeps going.
  bool told = false;
  for (int i = 0; i < 600 && !told; ++i) {  // polling other processes' logs
    told = LogHas((*worker)->log_file_path(), "database full") ||
           LogHas((*agent)->log_file_path(), "database full");
    if (!told) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(told) << "no executor log says \"database full\"";
  EXPECT_TRUE((*worker)->IsRunning());
  EXPECT_TRUE((*agent)->IsRunning());

  // The coordinator is up: reads are answered, new work is refused saying why.
  ASSERT_TRUE(cluster.coordinator()->IsRunning());
  v1::GetJobRequest get;
  get.set_job_id(job_id);
  v1::Job during;
  ASSERT_TRUE(cluster.search()->GetJob(Ctx().get(), get, &during).ok());
  EXPECT_EQ(during.state(), v1::JOB_SEARCHING);
  EXPECT_GT(during.candidates_done(), 0);
  EXPECT_LT(during.candidates_done(), kEvaluations);
  {
    v1::SubmitJobRequest req;
    *req.mutable_spec() = TableSpec(table, 1);
    v1::Job refused;
    const grpc::Status s = cluster.search()->SubmitJob(Ctx().get(), req, &refused);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("database full"));
  }
  auto stopped = cluster.StopCoordinator();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  EXPECT_TRUE(stopped->Success());

  // What was acknowledged before and during the fault is stored.
  const std::map<std::string, v1::Candidate> before = Stored(cluster, job_id);
  int finished_before = 0;
  for (const auto& [id, c] : before) finished_before += c.state() != v1::CANDIDATE_PENDING;
  EXPECT_GE(finished_before, during.candidates_done());
  EXPECT_LT(finished_before, kEvaluations);
  int acknowledged = 0;
  ExpectAcknowledgedStored(cluster, before, &acknowledged);
  EXPECT_GT(acknowledged, 0);

  // Room again (no cap): the same database, the same executors.
  ASSERT_TRUE(cluster.StartCoordinator(/*same_port=*/true).ok());
  const v1::Job job = WatchToEnd(cluster, job_id, kBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), kEvaluations);
  EXPECT_EQ(job.candidates_failed(), 0);
  ASSERT_TRUE(cluster.StopCoordinator().ok());

  const std::map<std::string, v1::Candidate> after = Stored(cluster, job_id);
  ASSERT_EQ(after.size(), static_cast<size_t>(kEvaluations));
  std::set<std::string> keys;
  for (const auto& [id, c] : after) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << id << ": " << c.failure_reason();
    EXPECT_TRUE(keys.insert(c.canonical_key()).second) << "counted twice: " << c.arch();
  }
  for (const auto& [id, c] : before) {
    if (c.state() == v1::CANDIDATE_PENDING) continue;
    auto it = after.find(id);
    ASSERT_NE(it, after.end()) << id << " lost";
    EXPECT_EQ(it->second.SerializeAsString(), c.SerializeAsString()) << id << " changed";
  }
  ExpectAcknowledgedStored(cluster, after, &acknowledged);
  EXPECT_EQ(acknowledged, 2 * kEvaluations);  // each task acknowledged once, to someone
}

}  // namespace
}  // namespace edgenas
