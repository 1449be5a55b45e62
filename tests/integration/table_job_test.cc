// End-to-end test of table jobs over the real binaries on loopback: a job in
// evaluation.mode "table" runs through coordinator, leases, a worker that
// looks accuracy up and an agent whose replay runner answers latency and
// energy, and every stored value equals the table's, labelled with its
// source. An architecture missing from the table fails its candidate clearly.
// `edgenas local` runs such a job and refuses one it cannot serve.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdlib>
#include <chrono>
#include <thread>
#include <set>
#include <random>
#include <map>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/csv_table.h"
#include "coordinator/store/store.h"
#include "spaces/nb201/nb201_space.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "edgenas/v1/task_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Ctx;
using testing::Submit;
using testing::WatchToEnd;
using ::testing::HasSubstr;

// Upper bound for one test job; a guard against hangs, not a timing check.
constexpr int kJobBoundSeconds = 600;
constexpr char kDeviceClass[] = "board";

// A synthetic NB201 table: every one of the 15,625 cells (skipping the
// indices in `skip`), with accuracy in percent and made-up board figures.
std::string WriteTable(const std::string& path, int skip = -1) {
  std::ofstream out(path);
  out << "arch_index,arch,acc_pct,lat_ms,energy_mj\n";
  Nb201Space space;
  for (int i = 0; i < 15625; ++i) {
    if (i == skip) continue;
    out << i << "," << space.Print(Nb201Space::FromIndex(i)) << ","
        << absl::StrFormat("%.4f,%.6f,%.6f", 40.0 + (i * 37 % 4000) / 100.0,
                           0.5 + (i * 13 % 997) / 100.0, 1.0 + (i * 29 % 991) / 50.0)
        << "\n";
  }
  return path;
}

v1::JobSpec TableSpec(const std::string& table, int evaluations) {
  v1::JobSpec spec;
  spec.set_name("table-e2e");
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
  // A cap no candidate breaks: energy must be answered too (by the agent that
  // registered an energy column).
  auto* energy = spec.add_constraints();
  energy->set_metric("energy_mj");
  energy->set_max_value(1e9);
  energy->set_device_class(kDeviceClass);
  spec.mutable_budget()->set_max_evaluations(evaluations);
  spec.set_parallelism(4);
  spec.set_seed(11);
  spec.set_lease_seconds(30);
  return spec;
}

const v1::Metric* Find(const v1::Candidate& c, const std::string& name) {
  for (const auto& m : c.metrics()) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

bool HasNote(const v1::Candidate& c, const std::string& needle) {
  for (const auto& note : c.notes()) {
    if (absl::StrContains(note, needle)) return true;
  }
  return false;
}

void StartExecutors(Cluster& cluster, const std::string& table) {
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster
                  .StartAgentWithFlags(
                      "replay-1", {absl::StrCat("--device_class=", kDeviceClass), "--runner=replay",
                                   "--replay_table=" + table, "--replay_latency_column=lat_ms",
                                   "--replay_energy_column=energy_mj"})
                  .ok());
}

// A table job runs to DONE through the real binaries; every candidate's
// accuracy, latency and energy equal the table's (accuracy scaled from
// percent), labelled "table:<column>" / "replay:<column>".
TEST(TableJob, RunsToDoneWithTableAndReplayedValues) {
  Cluster cluster;
  const std::string table = WriteTable(cluster.dir() + "/nb201_synthetic.csv");
  StartExecutors(cluster, table);
  const std::string job_id = Submit(cluster, TableSpec(table, 12));
  ASSERT_FALSE(job_id.empty());
  const v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), 12);
  EXPECT_EQ(job.candidates_failed(), 0);
  EXPECT_GT(job.hypervolume(), 0.0);

  auto exit = cluster.StopCoordinator();
  ASSERT_TRUE(exit.ok()) << exit.status();
  absl::StatusOr<CsvTable> expected = CsvTable::Load(table, "arch");
  ASSERT_TRUE(expected.ok()) << expected.status();
  auto store = Store::Open(cluster.db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  auto candidates = (*store)->ListCandidates(job_id);
  ASSERT_TRUE(candidates.ok()) << candidates.status();
  ASSERT_EQ(candidates->size(), 12u);
  for (const v1::Candidate& c : *candidates) {
    SCOPED_TRACE(c.arch());
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.failure_reason();
    const v1::Metric* acc = Find(c, "accuracy");
    const v1::Metric* lat = Find(c, "latency_ms");
    const v1::Metric* energy = Find(c, "energy_mj");
    ASSERT_NE(acc, nullptr);
    ASSERT_NE(lat, nullptr);
    ASSERT_NE(energy, nullptr);
    EXPECT_DOUBLE_EQ(acc->value(), *expected->Value(c.arch(), "acc_pct") * 0.01);
    EXPECT_EQ(lat->value(), *expected->Value(c.arch(), "lat_ms"));
    EXPECT_EQ(energy->value(), *expected->Value(c.arch(), "energy_mj"));
    EXPECT_EQ(acc->source(), "table:acc_pct");
    EXPECT_EQ(lat->source(), "replay:lat_ms");
    EXPECT_EQ(energy->source(), "replay:energy_mj");
    EXPECT_EQ(lat->device_class(), kDeviceClass);
    EXPECT_EQ(Find(c, "params"), nullptr);  // nothing was built or trained
    EXPECT_TRUE(HasNote(c, "not trained"));
    EXPECT_TRUE(HasNote(c, "not measured on this machine"));
  }
}

// The candidates of `job_id` in sequence order, from the stored database.
std::vector<v1::Candidate> StoredCandidates(Cluster& cluster, const std::string& job_id) {
  auto store = Store::Open(cluster.db_path());
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  auto candidates = (*store)->ListCandidates(job_id);
  EXPECT_TRUE(candidates.ok()) << candidates.status();
  return candidates.ok() ? *candidates : std::vector<v1::Candidate>{};
}

// An architecture missing from the table fails its candidate at once (not
// retried), with a reason naming the architecture; other candidates finish.
TEST(TableJob, ArchMissingFromTableFailsItsCandidateClearly) {
  Cluster cluster;
  const std::string full = WriteTable(cluster.dir() + "/full.csv");
  const std::string partial = WriteTable(cluster.dir() + "/partial.csv", /*skip=*/0);
  StartExecutors(cluster, full);
  v1::JobSpec spec = TableSpec(partial, 3);
  const std::string missing = Nb201Space().Print(Nb201Space::FromIndex(0));
  spec.add_initial_architectures(missing);
  const std::string job_id = Submit(cluster, spec);
  ASSERT_FALSE(job_id.empty());
  const v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  EXPECT_GE(job.candidates_failed(), 1);

  ASSERT_TRUE(cluster.StopCoordinator().ok());
  bool seen = false;
  for (const v1::Candidate& c : StoredCandidates(cluster, job_id)) {
    if (c.arch() != missing) continue;
    seen = true;
    EXPECT_EQ(c.state(), v1::CANDIDATE_FAILED);
    EXPECT_THAT(c.failure_reason(), HasSubstr("task.arch"));
    EXPECT_THAT(c.failure_reason(), HasSubstr(partial));
    EXPECT_THAT(c.failure_reason(), HasSubstr(missing));
  }
  EXPECT_TRUE(seen);
}

// A job whose table lies outside the worker's data roots (reached with
// "..") is refused at the worker with the reason, and nothing is read; a
// task that fails on every attempt ends its candidate FAILED with that
// reason, and the job ends instead of waiting.
TEST(TableJob, WorkerRefusesATableOutsideItsDataRoots) {
  Cluster cluster;
  const std::string outside_dir = cluster.dir() + "_outside";
  std::filesystem::create_directories(outside_dir);
  WriteTable(outside_dir + "/t.csv");
  const std::string escaping =
      cluster.dir() + "/../" + std::filesystem::path(outside_dir).filename().string() + "/t.csv";
  StartExecutors(cluster, WriteTable(cluster.dir() + "/full.csv"));
  v1::JobSpec spec = TableSpec(escaping, 2);
  spec.set_max_attempts(2);  // retryable (another worker may allow it): fails every attempt
  const std::string job_id = Submit(cluster, spec);
  ASSERT_FALSE(job_id.empty());
  const v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  EXPECT_EQ(job.state(), v1::JOB_FAILED) << job.message();
  EXPECT_EQ(job.candidates_done(), 0);

  ASSERT_TRUE(cluster.StopCoordinator().ok());
  const std::vector<v1::Candidate> candidates = StoredCandidates(cluster, job_id);
  ASSERT_FALSE(candidates.empty());
  for (const v1::Candidate& c : candidates) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_FAILED);
    EXPECT_THAT(c.failure_reason(), HasSubstr("after 2 attempt(s)"));
    EXPECT_THAT(c.failure_reason(), HasSubstr("PERMISSION_DENIED"));
    EXPECT_THAT(c.failure_reason(), HasSubstr("evaluation.table.path"));
    EXPECT_THAT(c.failure_reason(), HasSubstr("outside this worker's data roots"));
  }
  std::filesystem::remove_all(outside_dir);
}

// Bad requests to the real coordinator after a finished job: each is
// refused with a message naming the field, the server keeps answering, and
// every stored result is still there, unchanged.
TEST(TableJob, BadRequestsAreRefusedNamingTheFieldAndLoseNothing) {
  Cluster cluster;
  const std::string table = WriteTable(cluster.dir() + "/nb201_synthetic.csv");
  StartExecutors(cluster, table);
  const std::string job_id = Submit(cluster, TableSpec(table, 4));
  ASSERT_FALSE(job_id.empty());
  ASSERT_EQ(WatchToEnd(cluster, job_id, kJobBoundSeconds).state(), v1::JOB_DONE);

  auto channel = grpc::CreateChannel(cluster.address(), grpc::InsecureChannelCredentials());
  auto search = v1::SearchService::NewStub(channel);
  auto tasks = v1::TaskService::NewStub(channel);
  auto front = [&] {
    grpc::ClientContext ctx;
    v1::GetParetoFrontRequest req;
    req.set_job_id(job_id);
    v1::ParetoFront out;
    EXPECT_TRUE(search->GetParetoFront(&ctx, req, &out).ok());
    return out.SerializeAsString();
  };
  const std::string front_before = front();

  struct Case {
    std::string what;
    v1::JobSpec spec;
    std::string field;  // expected in the error
  };
  std::vector<Case> cases;
  v1::JobSpec huge = TableSpec(table, 4);
  for (int i = 0; i < 10000; ++i) huge.add_initial_architectures(std::string(1000, 'x'));
  cases.push_back({"a 10 MB job spec", huge, "job.initial_architectures"});
  v1::JobSpec bad_enum = TableSpec(table, 4);
  bad_enum.mutable_objectives(0)->set_direction(static_cast<v1::Direction>(99));
  cases.push_back({"an unknown enum value", bad_enum, "job.objectives[0].direction"});
  v1::JobSpec no_budget = TableSpec(table, 4);
  no_budget.mutable_budget()->set_max_evaluations(0);
  cases.push_back({"an empty budget", no_budget, "job.budget.max_evaluations"});
  v1::JobSpec absurd = TableSpec(table, 4);
  absurd.mutable_budget()->set_max_evaluations(2000000000);
  cases.push_back({"an absurd budget", absurd, "job.budget.max_evaluations"});
  for (const Case& c : cases) {
    grpc::ClientContext ctx;
    v1::SubmitJobRequest req;
    *req.mutable_spec() = c.spec;
    v1::Job out;
    const grpc::Status s = search->SubmitJob(&ctx, req, &out);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.what;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field)) << c.what;
  }

  // Results: a megabyte of note, NaN and negative metrics, strangers.
  v1::RegisterRequest reg;
  reg.set_kind(v1::WORKER);
  reg.set_name("intruder");
  reg.set_device_class("cpu");
  v1::RegisterResponse registered;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(tasks->Register(&ctx, reg, &registered).ok());
  }
  auto complete = [&](v1::CompleteRequest req) {
    grpc::ClientContext ctx;
    v1::CompleteResponse out;
    return tasks->Complete(&ctx, req, &out);
  };
  v1::CompleteRequest base;
  base.set_executor_id(registered.executor_id());
  base.set_task_id(job_id + "-0000.accuracy");
  base.set_lease_token("forged");
  v1::CompleteRequest note = base;
  note.add_notes(std::string(1 << 20, 'n'));
  v1::CompleteRequest nan = base;
  auto* m = nan.add_metrics();
  m->set_name("accuracy");
  m->set_value(std::numeric_limits<double>::quiet_NaN());
  v1::CompleteRequest negative = base;
  m = negative.add_metrics();
  m->set_name("latency_ms");
  m->set_value(-1.0);
  for (const auto& [req, field] : std::vector<std::pair<v1::CompleteRequest, std::string>>{
           {note, "notes[0]"}, {nan, "metrics[0]"}, {negative, "metrics[0]"}}) {
    const grpc::Status s = complete(req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(s.error_message(), HasSubstr(field));
  }
  v1::CompleteRequest forged = base;
  m = forged.add_metrics();
  m->set_name("accuracy");
  m->set_value(0.99);
  EXPECT_FALSE(complete(forged).ok());  // a finished task with a forged lease
  v1::CompleteRequest stranger = forged;
  stranger.set_executor_id("nobody");
  EXPECT_FALSE(complete(stranger).ok());

  // Still up, and nothing stored changed.
  EXPECT_EQ(front(), front_before);
  {
    grpc::ClientContext ctx;
    v1::GetJobRequest req;
    req.set_job_id(job_id);
    v1::Job job;
    ASSERT_TRUE(search->GetJob(&ctx, req, &job).ok());
    EXPECT_EQ(job.state(), v1::JOB_DONE);
    EXPECT_EQ(job.candidates_done(), 4);
  }
}

// Task ids whose report the executor logged as acknowledged.
std::set<std::string> AcknowledgedTasks(const std::string& log_path) {
  std::set<std::string> ids;
  std::ifstream in(log_path);
  const std::string marker = "report acknowledged task=";
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    const std::string rest = line.substr(at + marker.size());
    ids.insert(rest.substr(0, rest.find(' ')));
  }
  return ids;
}

// The coordinator is killed (SIGKILL) five times at seeded random points of
// progress while a job runs with a real worker and agent, and restarted each time on
// the same database. The job still completes its whole budget; every result
// an executor saw acknowledged is stored; no candidate is counted twice; and
// the candidates are exactly those an uninterrupted run of the same seed
// makes (the strategy's log is replayed at each restart).
TEST(TableJob, CoordinatorKilledFiveTimesLosesNothingAcknowledged) {
  ::setenv("EDGENAS_LOG_LEVEL", "info", 1);  // executors log acknowledgements
  constexpr int kEvaluations = 400;
  std::vector<std::string> uninterrupted;
  {
    Cluster cluster;
    const std::string table = WriteTable(cluster.dir() + "/t.csv");
    StartExecutors(cluster, table);
    const std::string job_id = Submit(cluster, TableSpec(table, kEvaluations));
    ASSERT_EQ(WatchToEnd(cluster, job_id, kJobBoundSeconds).state(), v1::JOB_DONE);
    ASSERT_TRUE(cluster.StopCoordinator().ok());
    for (const v1::Candidate& c : StoredCandidates(cluster, job_id)) uninterrupted.push_back(c.arch());
  }
  ASSERT_EQ(uninterrupted.size(), static_cast<size_t>(kEvaluations));

  Cluster cluster;
  const std::string table = WriteTable(cluster.dir() + "/t.csv");
  StartExecutors(cluster, table);
  v1::JobSpec spec = TableSpec(table, kEvaluations);
  spec.set_lease_seconds(5);
  spec.set_max_attempts(10);  // a lease may expire while the coordinator is away
  const std::string job_id = Submit(cluster, spec);
  ASSERT_FALSE(job_id.empty());
  // Kill points by progress, not by time, so every kill lands mid-job on a
  // fast or a slow machine: five seeded random counts of finished candidates.
  std::mt19937 rng(20261126);
  std::vector<int> kill_at;
  for (int k = 0; k < 5; ++k) {
    std::uniform_int_distribution<int> in_slice(k * kEvaluations / 6 + 10,
                                                (k + 1) * kEvaluations / 6);
    kill_at.push_back(in_slice(rng));
  }
  int kills = 0;
  for (; kills < 5; ++kills) {
    v1::Job running;
    for (int poll = 0; poll < kJobBoundSeconds * 50; ++poll) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::GetJobRequest get;
      get.set_job_id(job_id);
      // Right after a restart the coordinator may not answer yet: poll again.
      if (cluster.search()->GetJob(&ctx, get, &running).ok() &&
          running.candidates_done() >= kill_at[kills]) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(running.state(), v1::JOB_SEARCHING)
        << "kill " << kills + 1 << " at " << kill_at[kills] << " done came after the job ended";
    ASSERT_TRUE(cluster.coordinator()->Kill().ok());
    ASSERT_TRUE(cluster.StartCoordinator(/*same_port=*/true).ok());
  }
  const v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(kills, 5);
  EXPECT_EQ(job.candidates_done(), kEvaluations);
  EXPECT_EQ(job.candidates_failed(), 0);
  ASSERT_TRUE(cluster.StopCoordinator().ok());

  const std::vector<v1::Candidate> stored = StoredCandidates(cluster, job_id);
  ASSERT_EQ(stored.size(), static_cast<size_t>(kEvaluations));
  std::set<std::string> keys;
  std::map<std::string, const v1::Candidate*> by_id;
  std::vector<std::string> archs;
  for (const v1::Candidate& c : stored) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.id() << ": " << c.failure_reason();
    EXPECT_TRUE(keys.insert(c.canonical_key()).second) << "counted twice: " << c.arch();
    by_id[c.id()] = &c;
    archs.push_back(c.arch());
  }
  EXPECT_EQ(archs, uninterrupted);

  int acknowledged = 0;
  for (const char* log : {"worker-1.log", "replay-1.log"}) {
    for (const std::string& task_id : AcknowledgedTasks(cluster.dir() + "/" + log)) {
      ++acknowledged;
      const std::string candidate = task_id.substr(0, task_id.find('.'));
      auto it = by_id.find(candidate);
      ASSERT_NE(it, by_id.end()) << task_id;
      const std::string metric =
          task_id.find(".latency.") != std::string::npos ? "latency_ms" : "accuracy";
      EXPECT_NE(Find(*it->second, metric), nullptr) << task_id << " acknowledged, not stored";
    }
  }
  EXPECT_EQ(acknowledged, 2 * kEvaluations);  // each task acknowledged once, to someone
}

// Runs `edgenas local` with `args` (after the spec); returns its exit code
// and output.
std::pair<int, std::string> RunLocal(Cluster& cluster, const std::string& spec_path,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> argv = {Cluster::Binary("edgenas"), "local", spec_path,
                                   "--workdir=" + cluster.dir() + "/local",
                                   "--db=" + cluster.dir() + "/local.db"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto local = ChildProcess::Spawn(argv, cluster.dir() + "/local.out");
  EXPECT_TRUE(local.ok()) << local.status();
  if (!local.ok()) return {-1, ""};
  auto exit = (*local)->Wait(absl::Seconds(kJobBoundSeconds));
  EXPECT_TRUE(exit.ok()) << exit.status();
  return {exit.ok() ? exit->code : -1, TailOfFile((*local)->log_file_path(), 60)};
}

std::string WriteSpecYaml(Cluster& cluster, const std::string& table) {
  const std::string path = cluster.dir() + "/job.yaml";
  std::ofstream(path) << "name: local-table\n"
                      << "space: {name: nb201}\n"
                      << "strategy: {name: random}\n"
                      << "objectives:\n"
                      << "  - {metric: accuracy, direction: maximize}\n"
                      << "  - {metric: latency_ms, direction: minimize, device_class: "
                      << kDeviceClass << "}\n"
                      << "evaluation: {mode: table, table: {path: " << table
                      << ", accuracy_column: acc_pct}}\n"
                      << "budget: {max_evaluations: 6}\n"
                      << "parallelism: 3\n";
  return path;
}

// `edgenas local` runs a table job with a replay agent of another device
// class and prints the front.
TEST(TableJob, LocalCommandRunsTableJobWithReplayAgent) {
  Cluster cluster;  // only for its temporary directory
  const std::string table = WriteTable(cluster.dir() + "/nb201_synthetic.csv");
  const auto [code, out] =
      RunLocal(cluster, WriteSpecYaml(cluster, table),
               {absl::StrCat("--agent_device_class=", kDeviceClass), "--agent_runner=replay",
                "--replay_table=" + table, "--replay_latency_column=lat_ms"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("6 evaluated, 0 failed"));
  EXPECT_THAT(out, HasSubstr("hypervolume"));
}

// `edgenas local` refuses, before starting anything, a job whose table is
// absent or whose device class its agent does not serve, naming what to fix.
TEST(TableJob, LocalCommandRefusesAbsentTableAndUnservedDeviceClass) {
  Cluster cluster;
  const std::string absent = cluster.dir() + "/absent.csv";
  auto [code, out] = RunLocal(cluster, WriteSpecYaml(cluster, absent),
                              {absl::StrCat("--agent_device_class=", kDeviceClass)});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr("evaluation.table.path: " + absent + ": no such file"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("starting edgenas-coordinator")));

  const std::string table = WriteTable(cluster.dir() + "/nb201_synthetic.csv");
  std::tie(code, out) = RunLocal(cluster, WriteSpecYaml(cluster, table), {});
  EXPECT_EQ(code, 1);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("pass --agent_device_class=", kDeviceClass)));
}

}  // namespace
}  // namespace edgenas
