// The agent's ONNX and external-command runners over the real binaries on
// loopback: a table job (accuracy looked up, so nothing trains) whose
// latency objective is answered by an edgenas-agent started with
// --runner=external (a script standing in for trtexec) or --runner=onnx
// (OpenCV DNN on this machine). Every stored latency is labelled with the
// runner that produced it, and the external tool's values are exactly what
// it printed for each architecture.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "coordinator/store/store.h"
#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Submit;
using testing::WatchToEnd;
using ::testing::HasSubstr;

constexpr int kJobBoundSeconds = 600;  // a guard against hangs, not a timing check
constexpr int kEvaluations = 6;

// Accuracy for every NB201 cell, so the worker only looks values up.
std::string WriteAccuracyTable(const std::string& path) {
  std::ofstream out(path);
  out << "arch,acc_pct\n";
  Nb201Space space;
  for (int i = 0; i < 15625; ++i) {
    out << space.Print(Nb201Space::FromIndex(i)) << ","
        << absl::StrFormat("%.2f", 40.0 + (i * 37 % 4000) / 100.0) << "\n";
  }
  return path;
}

v1::JobSpec Spec(const std::string& table, const std::string& device_class) {
  v1::JobSpec spec;
  spec.set_name("runner-e2e");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_space()->set_channels(4);
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
  lat->set_device_class(device_class);
  auto* ls = spec.mutable_latency();
  ls->set_warmup_ms(20);
  ls->set_min_runs(8);
  ls->set_max_runs(40);
  ls->set_max_measure_ms(500);
  ls->set_batch_size(2);
  spec.mutable_budget()->set_max_evaluations(kEvaluations);
  spec.set_parallelism(2);
  spec.set_seed(5);
  spec.set_lease_seconds(60);
  return spec;
}

const v1::Metric* Find(const v1::Candidate& c, const std::string& name) {
  for (const auto& m : c.metrics()) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

std::vector<v1::Candidate> RunJob(Cluster& cluster, const v1::JobSpec& spec) {
  const std::string job_id = Submit(cluster, spec);
  EXPECT_FALSE(job_id.empty());
  const v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  EXPECT_EQ(job.state(), v1::JOB_DONE) << job.message();
  auto exit = cluster.StopCoordinator();
  EXPECT_TRUE(exit.ok()) << exit.status();
  auto store = Store::Open(cluster.db_path());
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {};
  auto candidates = (*store)->ListCandidates(job_id);
  EXPECT_TRUE(candidates.ok()) << candidates.status();
  return candidates.ok() ? *candidates : std::vector<v1::Candidate>{};
}

// --runner=external: the exported model goes to the tool, and each stored
// latency is the one the tool printed for that architecture.
TEST(RunnerJob, ExternalToolAnswersLatencyThroughTheCoordinator) {
  Cluster cluster;
  const std::string table = WriteAccuracyTable(cluster.dir() + "/acc.csv");
  const std::string printed = cluster.dir() + "/printed.txt";
  // Prints a trtexec-like summary whose mean depends on the model's size,
  // and logs "<arch>\t<mean>" for the test.
  const std::string tool = cluster.dir() + "/fake_trtexec";
  std::ofstream(tool) << "#!/bin/sh\n"
                         "m=\"${1#--onnx=}\"\n"
                         "test -s \"$m\" || { echo \"[E] cannot read $m\"; exit 2; }\n"
                         "mean=\"0.$(wc -c < \"$m\" | tr -d ' ')\"\n"
                         "printf '%s\\t%s\\n' \"$2\" \"$mean\" >> " << printed << "\n"
                         "echo '[I] === Performance summary ==='\n"
                         "echo \"[I] Latency: min = 0.01 ms, max = 9.9 ms, mean = $mean ms, "
                         "median = 0.5 ms\"\n";
  chmod(tool.c_str(), 0755);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster
                  .StartAgentWithFlags(
                      "jetson-1",
                      {"--device_class=jetson", "--runner=external", "--external_name=faketrt",
                       "--external_command=" + tool + " --onnx={model} {arch} --batch={batch}",
                       "--external_latency_pattern=\\[I\\] Latency: min = [0-9.]+ ms, max = "
                       "[0-9.]+ ms, mean = ([0-9.]+) ms"})
                  .ok());
  const std::vector<v1::Candidate> candidates = RunJob(cluster, Spec(table, "jetson"));
  ASSERT_EQ(candidates.size(), static_cast<size_t>(kEvaluations));

  std::map<std::string, double> by_arch;
  std::ifstream in(printed);
  std::string line;
  while (std::getline(in, line)) {
    const std::vector<std::string> parts = absl::StrSplit(line, '\t');
    ASSERT_EQ(parts.size(), 2u) << line;
    ASSERT_TRUE(absl::SimpleAtod(parts[1], &by_arch[parts[0]])) << line;
  }
  for (const v1::Candidate& c : candidates) {
    SCOPED_TRACE(c.arch());
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.failure_reason();
    const v1::Metric* lat = Find(c, "latency_ms");
    ASSERT_NE(lat, nullptr);
    ASSERT_TRUE(by_arch.count(c.arch()));
    EXPECT_DOUBLE_EQ(lat->value(), by_arch[c.arch()]);
    EXPECT_EQ(lat->source(), "agent:external:faketrt");
    EXPECT_EQ(lat->device_class(), "jetson");
    EXPECT_THAT(lat->method(), HasSubstr("reported by faketrt"));
  }
}

// --runner=onnx: OpenCV DNN measures on this machine, labelled as such.
TEST(RunnerJob, OnnxRunnerAnswersLatencyThroughTheCoordinator) {
  Cluster cluster;
  const std::string table = WriteAccuracyTable(cluster.dir() + "/acc.csv");
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster.StartAgentWithFlags("onnx-1", {"--device_class=cpu", "--runner=onnx"}).ok());
  const std::vector<v1::Candidate> candidates = RunJob(cluster, Spec(table, "cpu"));
  ASSERT_EQ(candidates.size(), static_cast<size_t>(kEvaluations));
  for (const v1::Candidate& c : candidates) {
    SCOPED_TRACE(c.arch());
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.failure_reason();
    const v1::Metric* lat = Find(c, "latency_ms");
    ASSERT_NE(lat, nullptr);
    EXPECT_GT(lat->value(), 0.0);
    EXPECT_EQ(lat->source(), "agent:onnx-opencv");
    EXPECT_FALSE(lat->method().empty());
  }
}

}  // namespace
}  // namespace edgenas
