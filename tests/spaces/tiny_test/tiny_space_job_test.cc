// The proof that a search space is one folder: the tiny_test space (this
// folder only) runs a whole table-free job through the real coordinator,
// worker and agent, with real training on Fashion-MNIST and real latency.
#include <cmath>
#include <limits>
#include <string>

#include "coordinator/store/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Submit;

// A guard against hangs, not a timing check.
constexpr int kJobBoundSeconds = 900;

double MetricOf(const v1::Candidate& c, const std::string& name) {
  for (const auto& m : c.metrics()) {
    if (m.name() == name) return m.value();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

// Every candidate of a 4-evaluation job over the test space ends DONE with
// a trained accuracy, a measured latency and its parameter count, and the
// job carries the dataset's input shape.
TEST(TinySpaceJob, RunsToDoneThroughTheRealBinaries) {
  Cluster cluster;
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster.StartAgent("agent-1").ok());
  v1::JobSpec spec;
  spec.set_name("tiny-space");
  spec.mutable_space()->set_name("tiny_test");
  spec.mutable_strategy()->set_name("random");
  spec.mutable_evaluation()->set_train_steps(10);
  spec.mutable_evaluation()->set_batch_size(32);
  spec.mutable_evaluation()->set_validation_examples(256);
  spec.mutable_latency()->set_warmup_ms(20);
  spec.mutable_latency()->set_min_runs(5);
  spec.mutable_latency()->set_max_runs(10);
  spec.mutable_budget()->set_max_evaluations(4);
  spec.set_parallelism(2);
  spec.set_seed(5);
  const std::string job_id = Submit(cluster, spec);
  ASSERT_FALSE(job_id.empty());
  const v1::Job job = testing::WatchToEnd(cluster, job_id, kJobBoundSeconds);
  ASSERT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), 4);
  EXPECT_EQ(job.spec().dataset().channels(), 1);
  EXPECT_EQ(job.spec().dataset().num_classes(), 10);

  auto exit = cluster.StopCoordinator();
  ASSERT_TRUE(exit.ok());
  auto store = Store::Open(cluster.db_path());
  ASSERT_TRUE(store.ok()) << store.status();
  auto stored = (*store)->ListCandidates(job_id);
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 4u);
  for (const v1::Candidate& c : *stored) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.DebugString();
    EXPECT_THAT(c.arch(), ::testing::MatchesRegex("w[48]-k[13]-d[12]"));
    EXPECT_GT(MetricOf(c, "accuracy"), 0.0) << c.DebugString();
    EXPECT_LE(MetricOf(c, "accuracy"), 1.0);
    EXPECT_GT(MetricOf(c, "latency_ms"), 0.0) << c.DebugString();
    EXPECT_GT(MetricOf(c, "params"), 0.0) << c.DebugString();
  }
}

}  // namespace
}  // namespace edgenas
