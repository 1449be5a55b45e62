// End-to-end test of table jobs over the real binaries on loopback: a job in
// evaluation.mode "table" runs through coordinator, leases, a worker that
// looks accuracy up and an agent whose replay runner answers latency and
// energy, and every stored value equals the table's, labelled with its
// source. An architecture missing from the table fails its candidate clearly.
// `edgenas local` runs such a job and refuses one it cannot serve.
#include <grpcpp/grpcpp.h>

#include <cmath>
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
#include "common/nb201_space.h"
#include "coordinator/store.h"
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

  auto exit = cluster.StopCoordinator();
  ASSERT_TRUE(exit.ok()) << exit.status();
  auto store = Store::Open(cluster.db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  auto candidates = (*store)->ListCandidates(job_id);
  ASSERT_TRUE(candidates.ok()) << candidates.status();
  bool seen = false;
  for (const v1::Candidate& c : *candidates) {
    if (c.arch() != missing) continue;
    seen = true;
    EXPECT_EQ(c.state(), v1::CANDIDATE_FAILED);
    EXPECT_THAT(c.failure_reason(), HasSubstr("task.arch"));
    EXPECT_THAT(c.failure_reason(), HasSubstr(partial));
    EXPECT_THAT(c.failure_reason(), HasSubstr(missing));
  }
  EXPECT_TRUE(seen);
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
