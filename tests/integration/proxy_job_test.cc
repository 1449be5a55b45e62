// The proxy evaluation modes over the real binaries on loopback, with tiny
// schedules: a flash-distillation job goes PREPARING (teacher) -> SEARCHING
// (distilled candidates) -> FINALIZING (full training of the best) -> DONE,
// its finalist exports and `pareto --source all` shows proxy and truth side
// by side; a worker killed while training the supernet costs one lease, not
// the job.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "cli/process.h"
#include "coordinator/store/store.h"
#include "device_agent/runners/onnx_net.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::Cluster;
using testing::RunCli;
using testing::Submit;
using testing::WaitForLogLine;
using testing::WatchToEnd;

// Upper bound for one test job; a guard against hangs, not a timing check.
constexpr int kJobBoundSeconds = 900;

v1::JobSpec TinyProxySpec(const std::string& mode, int evaluations) {
  v1::JobSpec spec;
  spec.set_name("proxy-tiny");
  spec.mutable_space()->set_name("nb201");
  (*spec.mutable_space()->mutable_options())["channels"] = "4";
  spec.mutable_strategy()->set_name("random");
  auto* o = spec.add_objectives();
  o->set_metric("accuracy");
  o->set_direction(v1::MAXIMIZE);
  o = spec.add_objectives();
  o->set_metric("params");
  o->set_direction(v1::MINIMIZE);
  auto* ev = spec.mutable_evaluation();
  ev->set_mode(mode);
  ev->set_batch_size(32);
  ev->set_validation_examples(256);
  ev->mutable_finalize()->set_top_k(1);
  ev->mutable_finalize()->set_train_steps(40);
  if (mode == "flash_distill" || mode == "multi_fidelity") {
    ev->mutable_teacher()->set_channels(6);
    ev->mutable_teacher()->set_cells_per_stage(1);
    ev->mutable_teacher()->set_train_steps(20);
    ev->mutable_distill()->set_fraction(0.25);
  }
  if (mode == "supernet" || mode == "multi_fidelity") {
    ev->mutable_supernet()->set_train_steps(20);
    ev->mutable_supernet()->set_calibration_examples(64);
  }
  if (mode == "multi_fidelity") {
    ev->mutable_multi_fidelity()->add_rungs("supernet");
    ev->mutable_multi_fidelity()->add_rungs("flash_distill");
    ev->mutable_multi_fidelity()->set_reduction_factor(2);
  }
  spec.mutable_budget()->set_max_evaluations(evaluations);
  spec.set_parallelism(2);
  spec.set_seed(7);
  spec.set_lease_seconds(30);
  return spec;
}

std::vector<v1::JobState> StatesOf(Store& store, const std::string& job_id) {
  std::vector<v1::JobState> states;
  auto events = store.ListEvents(job_id, 0, 1000);
  EXPECT_TRUE(events.ok()) << events.status();
  if (!events.ok()) return states;
  for (const v1::JobEvent& e : *events) {
    if (e.type() != v1::EVENT_STATE_CHANGED) continue;
    if (states.empty() || states.back() != e.job().state()) states.push_back(e.job().state());
  }
  return states;
}


TEST(ProxyJob, FlashDistillationRunsThroughEveryStageAndExportsItsFinalist) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  const std::string job_id = Submit(cluster, TinyProxySpec("flash_distill", 3));
  ASSERT_TRUE(cluster.StartWorker("worker").ok());
  v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), 3);
  ASSERT_GE(job.stage_metrics_size(), 1);  // the teacher's accuracy and cost
  EXPECT_EQ(job.stage_metrics(0).source(), "worker:teacher:cpu");

  bool ok = false;
  std::string out = RunCli(cluster, {"pareto", job_id, "--source", "all"}, &ok);
  EXPECT_TRUE(ok) << out;
  EXPECT_THAT(out, HasSubstr("accuracy[flash_distill]"));
  EXPECT_THAT(out, HasSubstr("accuracy[full_train]"));

  // The finalist: the front's most accurate candidate, fully trained.
  auto store_or = Store::Open(cluster.db_path());
  ASSERT_TRUE(store_or.ok()) << store_or.status();
  Store& store = **store_or;
  auto candidates = store.ListCandidates(job_id);
  ASSERT_TRUE(candidates.ok());
  std::string finalist;
  for (const v1::Candidate& c : *candidates) {
    bool proxy = false, full = false;
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() != "accuracy") continue;
      if (m.source() == "worker:flash_distill:cpu") {
        proxy = true;
        EXPECT_EQ(m.steps(), 10);  // 0.25 of the full 40
        EXPECT_GT(m.cost_seconds(), 0.0);
      }
      if (m.source() == "worker:full_train:cpu") {
        full = true;
        EXPECT_EQ(m.steps(), 40);
      }
    }
    // The finalist, and only it, was evaluated once on the test split.
    int tested = 0;
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() != "test_accuracy") continue;
      ++tested;
      EXPECT_EQ(m.source(), "worker:full_train:cpu");
      EXPECT_EQ(m.fidelity(), -1);
      EXPECT_GT(m.value(), 0.0);
    }
    EXPECT_EQ(tested, full ? 1 : 0) << c.id();
    EXPECT_TRUE(proxy) << c.id();
    // The search's value comes first: what the candidate was ranked by.
    EXPECT_EQ(c.metrics(0).source(), "worker:flash_distill:cpu");
    if (full) finalist = c.id();
  }
  ASSERT_FALSE(finalist.empty());
  EXPECT_EQ(StatesOf(store, job_id),
            (std::vector<v1::JobState>{v1::JOB_PREPARING, v1::JOB_SEARCHING, v1::JOB_FINALIZING,
                                       v1::JOB_DONE}));

  const std::string script = cluster.dir() + "/finalist.pt";
  out = RunCli(cluster, {"export", job_id, finalist, "--format", "torchscript", "--out", script},
               &ok);
  EXPECT_TRUE(ok) << out;
  EXPECT_GT(std::filesystem::file_size(script), 0u);
  const std::string dict = cluster.dir() + "/finalist.state_dict.pt";
  out = RunCli(cluster, {"export", job_id, finalist, "--format", "state_dict", "--out", dict}, &ok);
  EXPECT_TRUE(ok) << out;
  EXPECT_GT(std::filesystem::file_size(dict), 0u);
  // The ONNX file a user takes to TensorRT / OpenVINO loads and runs in OpenCV DNN.
  const std::string onnx = cluster.dir() + "/finalist.onnx";
  out = RunCli(cluster, {"export", job_id, finalist, "--format", "onnx", "--out", onnx}, &ok);
  EXPECT_TRUE(ok) << out;
  std::ifstream onnx_in(onnx, std::ios::binary);
  const std::string onnx_bytes((std::istreambuf_iterator<char>(onnx_in)),
                               std::istreambuf_iterator<char>());
  absl::StatusOr<std::unique_ptr<OnnxNet>> onnx_runner = OnnxNet::Create(onnx_bytes);
  ASSERT_TRUE(onnx_runner.ok()) << onnx_runner.status();
  ASSERT_TRUE((*onnx_runner)->SetInput(FloatTensor{{1, 1, 28, 28}, std::vector<float>(784, 0.5f)})
                  .ok());
  absl::StatusOr<FloatTensor> logits = (*onnx_runner)->Forward();
  ASSERT_TRUE(logits.ok()) << logits.status();
  EXPECT_EQ(logits->dims, (std::vector<int64_t>{1, 10}));
  // A candidate that was never fully trained has no weights to export.
  for (const v1::Candidate& c : *candidates) {
    if (c.id() == finalist) continue;
    out = RunCli(cluster, {"export", job_id, c.id()}, &ok);
    EXPECT_FALSE(ok);
    EXPECT_THAT(out, HasSubstr("no trained weights"));
    break;
  }
}

// A worker with two slots registers two executors; each slot's uploads name
// its own executor id (the one holding the task's lease), so the coordinator
// stores the teacher and the finalist's weights without refusing any.
TEST(ProxyJob, TwoSlotWorkerStoresArtifactsUnderEachSlotsLease) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  const std::string job_id = Submit(cluster, TinyProxySpec("flash_distill", 3));
  ASSERT_TRUE(cluster.StartWorkerWithFlags("worker", {"--slots=2"}).ok());
  v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  const std::string log_path = cluster.coordinator()->log_file_path();
  ASSERT_TRUE(cluster.StopCoordinator().ok());
  std::ifstream log(log_path);
  const std::string logged((std::istreambuf_iterator<char>(log)),
                           std::istreambuf_iterator<char>());
  EXPECT_THAT(logged, Not(HasSubstr("upload refused")));

  auto store = Store::Open(cluster.db_path());
  ASSERT_TRUE(store.ok());
  auto tasks = (*store)->ListTasks(job_id);
  ASSERT_TRUE(tasks.ok());
  for (const TaskRecord& t : *tasks) {
    EXPECT_THAT(t.last_error, Not(HasSubstr("lease"))) << t.task_id;
    EXPECT_THAT(t.last_error, Not(HasSubstr("executor_id"))) << t.task_id;
  }
  std::ifstream teacher(cluster.db_path() + ".artifacts/refs/" + job_id + "/teacher");
  const std::string ref((std::istreambuf_iterator<char>(teacher)),
                        std::istreambuf_iterator<char>());
  EXPECT_THAT(ref, HasSubstr("task_id " + job_id + ".train_teacher")) << ref;
}

TEST(ProxyJob, WorkerKilledWhileTrainingTheSupernetDoesNotLoseTheJob) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  v1::JobSpec spec = TinyProxySpec("supernet", 2);
  spec.mutable_evaluation()->mutable_supernet()->set_train_steps(400);
  spec.set_lease_seconds(3);
  const std::string job_id = Submit(cluster, spec);
  auto doomed = cluster.StartWorker("doomed");
  ASSERT_TRUE(doomed.ok());
  ASSERT_TRUE(WaitForLogLine(*doomed, "task start")) << TailOfFile((*doomed)->log_file_path(), 20);
  auto killed = (*doomed)->Kill();
  ASSERT_TRUE(killed.ok());
  ASSERT_TRUE(cluster.StartWorker("rescuer").ok());
  v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), 2);
  ASSERT_TRUE(cluster.StopCoordinator().ok());

  auto store = Store::Open(cluster.db_path());
  ASSERT_TRUE(store.ok());
  auto tasks = (*store)->ListTasks(job_id);
  ASSERT_TRUE(tasks.ok());
  bool seen = false;
  for (const TaskRecord& t : *tasks) {
    if (t.operation != "train_supernet") continue;
    seen = true;
    EXPECT_EQ(t.state, TaskState::kDone);
    // The killed lease, then the rescue; on a loaded machine a 3 s lease may
    // also expire once more, which costs an attempt, not the job.
    EXPECT_GE(t.attempts, 2);
  }
  EXPECT_TRUE(seen);
  auto candidates = (*store)->ListCandidates(job_id);
  ASSERT_TRUE(candidates.ok());
  for (const v1::Candidate& c : *candidates) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.failure_reason();
    EXPECT_EQ(c.metrics(0).source(), "worker:supernet:cpu");
  }
}

// Supernet screens, flash distillation ranks the survivors, full training
// confirms the best: each value stored with its rung, the search ranking
// each candidate by the highest rung it reached.
TEST(ProxyJob, MultiFidelityPromotesThroughRungsWithTheRealBinaries) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  const std::string job_id = Submit(cluster, TinyProxySpec("multi_fidelity", 4));
  ASSERT_TRUE(cluster.StartWorker("worker").ok());
  v1::Job job = WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), 4);

  bool ok = false;
  std::string out = RunCli(cluster, {"pareto", job_id, "--source", "all"}, &ok);
  EXPECT_TRUE(ok) << out;
  EXPECT_THAT(out, HasSubstr("accuracy[supernet]"));
  ASSERT_TRUE(cluster.StopCoordinator().ok());

  auto store = Store::Open(cluster.db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  auto candidates = (*store)->ListCandidates(job_id);
  ASSERT_TRUE(candidates.ok());
  int promoted = 0, finalists = 0;
  for (const v1::Candidate& c : *candidates) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.failure_reason();
    bool screened = false;
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() != "accuracy") continue;
      if (m.source() == "worker:supernet:cpu") {
        screened = true;
        EXPECT_EQ(m.fidelity(), 0);
      } else if (m.source() == "worker:flash_distill:cpu") {
        ++promoted;
        EXPECT_EQ(m.fidelity(), 1);
        EXPECT_EQ(m.steps(), 10);
      } else if (m.source() == "worker:full_train:cpu") {
        ++finalists;
        EXPECT_EQ(m.fidelity(), -1);
      }
    }
    EXPECT_TRUE(screened) << c.id();
  }
  EXPECT_GE(promoted, 1);  // the first screened candidate always is
  EXPECT_EQ(finalists, 1);
}

}  // namespace
}  // namespace edgenas
