// Coordinator metrics: events of the real JobManager (fake clock) become
// counters, and its Snapshot becomes gauges whose per-job series exist only
// while the job is unfinished. Label helpers keep label values bounded.
#include "coordinator/metrics/coordinator_metrics.h"

#include "coordinator/metrics/rpc_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CoordinatorMetricsTest : public JobManagerTest {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<CoordinatorMetrics>(*registry_);
    observer_ = metrics_.get();
    JobManagerTest::SetUp();
  }
  void TearDown() override {
    JobManagerTest::TearDown();  // the manager goes before its observer
    metrics_.reset();
  }
  // What a scrape would return: the event families plus the snapshot.
  std::string Scrape() {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    for (auto& f : SnapshotFamilies(manager_->Snapshot())) families.push_back(std::move(f));
    return prometheus::TextSerializer().Serialize(families);
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<CoordinatorMetrics> metrics_;
};

// A running job has per-job series, queue depth and live executors; an
// expired lease is counted; once the job is done its series are gone and
// finished tasks and results are counted.
TEST_F(CoordinatorMetricsTest, SeriesFollowAJobFromStartToEnd) {
  const std::string worker = RegisterExecutor(v1::WORKER);
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  auto job = manager_->SubmitJob(TinySpec(/*evaluations=*/2));
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string id = job->id();

  std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr("edgenas_coordinator_jobs{state=\"searching\"} 1"));
  EXPECT_THAT(text, HasSubstr("edgenas_job_info{job_id=\"" + id + "\",state=\"searching\"} 1"));
  EXPECT_THAT(text, HasSubstr("edgenas_job_budget_evaluations{job_id=\"" + id + "\"} 2"));
  EXPECT_THAT(text,
              HasSubstr("edgenas_job_candidates{job_id=\"" + id + "\",state=\"pending\"} 2"));
  EXPECT_THAT(text, HasSubstr("edgenas_coordinator_queue_depth{kind=\"accuracy\"} 2"));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_executors_live{kind=\"worker\",device_class=\"cpu\"} 1"));

  // A lease that runs out (lease_seconds 10) is requeued and counted.
  ASSERT_EQ(LeaseNow(worker).size(), 1u);
  clock_.Advance(11000);
  manager_->Tick();
  text = Scrape();
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_lease_expiries_total{kind=\"accuracy\",outcome=\"requeued\"} 1"));

  Drain(worker, agent);
  auto front = manager_->GetParetoFront(id);
  ASSERT_TRUE(front.ok()) << front.status();
  // Two trainings, then one test_eval per front member (FINALIZING).
  const std::string accuracy_tasks = std::to_string(2 + front->candidates_size());
  text = Scrape();
  EXPECT_THAT(text, HasSubstr("edgenas_coordinator_jobs{state=\"done\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("job_id=\"" + id + "\"")));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_tasks_finished_total{kind=\"accuracy\",outcome=\"done\"} " +
      accuracy_tasks));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_tasks_finished_total{kind=\"latency\",outcome=\"done\"} 2"));
  // The fixture's executors report no source.
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_candidate_results_total{kind=\"accuracy\",source=\"none\"} " +
      accuracy_tasks));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_task_duration_seconds_count{kind=\"accuracy\"} " + accuracy_tasks));
  EXPECT_THAT(text, Not(HasSubstr("edgenas_coordinator_sqlite_commit_seconds_count 0\n")));
}

// An executor not heard from for longer than a long poll plus two
// heartbeats stays registered but no longer counts as live.
TEST_F(CoordinatorMetricsTest, SilentExecutorIsRegisteredButNotLive) {
  RegisterExecutor(v1::DEVICE_AGENT);
  EXPECT_THAT(Scrape(), HasSubstr(
      "edgenas_coordinator_executors_live{kind=\"agent\",device_class=\"cpu\"} 1"));
  clock_.Advance(kMaxLeaseWaitMs + 2 * 5000 + 6000);
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_executors_live{kind=\"agent\",device_class=\"cpu\"} 0"));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_coordinator_executors_registered{kind=\"agent\",device_class=\"cpu\"} 1"));
}

// Sources keep their method and device only when both are known; user
// column names (table:, replay:) never reach a label.
TEST(BoundedSourceLabel, KeepsKnownPartsOnly) {
  EXPECT_EQ(BoundedSourceLabel("worker:flash_distill:cuda"), "worker:flash_distill:cuda");
  EXPECT_EQ(BoundedSourceLabel("worker:full_train:cpu"), "worker:full_train:cpu");
  EXPECT_EQ(BoundedSourceLabel("table:cifar10_valid_acc_epoch12"), "table");
  EXPECT_EQ(BoundedSourceLabel("replay:pi5_litert_latency_ms"), "replay");
  EXPECT_EQ(BoundedSourceLabel("agent:libtorch-cpu"), "agent:libtorch-cpu");
  EXPECT_EQ(BoundedSourceLabel("worker:full_train:arch-|nor_conv_3x3~0|"), "other");
  EXPECT_EQ(BoundedSourceLabel("something"), "other");
  EXPECT_EQ(BoundedSourceLabel(""), "none");
}

// Methods of compiled-in services keep their names; anything a client
// invents becomes "other".
TEST(RpcMetricsLabels, MethodsAreBoundedByTheCompiledServices) {
  EXPECT_EQ(MethodLabel("/edgenas.v1.TaskService/Lease"), "TaskService/Lease");
  EXPECT_EQ(MethodLabel("/edgenas.v1.SearchService/WatchJob"), "SearchService/WatchJob");
  EXPECT_EQ(MethodLabel("/edgenas.v1.TaskService/NoSuchMethod"), "other");
  EXPECT_EQ(MethodLabel("/made.up.Service/X"), "other");
  EXPECT_EQ(MethodLabel("garbage"), "other");
  EXPECT_EQ(StatusCodeLabel(0), "OK");
  EXPECT_EQ(StatusCodeLabel(9), "FAILED_PRECONDITION");
  EXPECT_EQ(StatusCodeLabel(99), "UNKNOWN");
}

// RpcMetrics records a histogram per method and code.
TEST(RpcMetrics, RecordsDurationByMethodAndCode) {
  prometheus::Registry registry;
  RpcMetrics rpc(registry);
  rpc.Record("/edgenas.v1.TaskService/Complete", 0, 0.002);
  rpc.Record("/edgenas.v1.TaskService/Complete", 9, 0.001);
  const std::string text = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_THAT(text, HasSubstr("edgenas_rpc_server_duration_seconds_count{code=\"OK\",method="
                              "\"TaskService/Complete\"} 1"));
  EXPECT_THAT(text, HasSubstr("edgenas_rpc_server_duration_seconds_count{code=\"FAILED_"
                              "PRECONDITION\",method=\"TaskService/Complete\"} 1"));
}

}  // namespace
}  // namespace edgenas
