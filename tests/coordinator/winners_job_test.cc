// The winners of a full_train job: every candidate's weights are kept while
// it is on the Pareto front and let go (JobManagerOptions::release_weights)
// once it is off it; when the search ends every front member gets one
// test_eval task whose test_accuracy (fidelity -1) sits beside the search's
// accuracy, and the job goes FINALIZING, then DONE.
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/metric_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class WinnersJobTest : public JobManagerTest {
 protected:
  void SetUp() override {
    release_weights_ = [this](const std::string& job, const std::string& candidate) {
      released_.emplace_back(job, candidate);
    };
    JobManagerTest::SetUp();
  }
  // Completes the only leasable task of `executor` with `metrics`.
  void CompleteWith(const std::string& executor, const std::vector<v1::Metric>& metrics,
                    const std::string& want_operation = "") {
    std::vector<v1::Task> tasks = LeaseNow(executor);
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].operation(), want_operation);
    v1::CompleteRequest req;
    req.set_executor_id(executor);
    req.set_task_id(tasks[0].task_id());
    req.set_lease_token(tasks[0].lease_token());
    for (const v1::Metric& m : metrics) *req.add_metrics() = m;
    auto done = manager_->Complete(req);
    ASSERT_TRUE(done.ok()) << done.status();
  }
  // Measures the next candidate: accuracy by the worker, latency by the agent.
  void Measure(double accuracy, double latency_ms) {
    CompleteWith(worker_, {M(kMetricAccuracy, accuracy), M(kMetricParams, 1000)});
    CompleteWith(agent_, {M(kMetricLatencyMs, latency_ms)});
  }
  std::vector<std::string> ReleasedCandidates() const {
    std::vector<std::string> ids;
    for (const auto& [job, candidate] : released_) ids.push_back(candidate);
    return ids;
  }

  std::vector<std::pair<std::string, std::string>> released_;
  std::string worker_, agent_;
};

TEST_F(WinnersJobTest, KeepsFrontWeightsAndTestsTheFrontOnceAtTheEnd) {
  v1::JobSpec spec = TinySpec(3);
  spec.set_parallelism(1);  // one candidate at a time: the order is known
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string id = job->id();
  worker_ = RegisterExecutor(v1::WORKER);
  agent_ = RegisterExecutor(v1::DEVICE_AGENT);

  Measure(0.50, 2.0);  // -0000 alone on the front: its weights stay
  EXPECT_TRUE(released_.empty());
  Measure(0.90, 1.0);  // -0001 dominates -0000, whose weights go
  EXPECT_THAT(released_, ElementsAre(std::make_pair(id, id + "-0000")));
  Measure(0.40, 3.0);  // -0002 finishes off the front: its weights go at once
  EXPECT_THAT(ReleasedCandidates(), ElementsAre(id + "-0000", id + "-0002"));

  // The search is over: the front's one member is evaluated on the test split.
  auto finalizing = manager_->GetJob(id);
  ASSERT_TRUE(finalizing.ok());
  EXPECT_EQ(finalizing->state(), v1::JOB_FINALIZING) << finalizing->message();
  EXPECT_TRUE(LeaseNow(agent_).empty());
  // A test_eval task reports test_accuracy; the search's accuracy is refused.
  {
    std::vector<v1::Task> tasks = LeaseNow(worker_);
    ASSERT_EQ(tasks.size(), 1u);
    EXPECT_EQ(tasks[0].operation(), "test_eval");
    EXPECT_EQ(tasks[0].candidate_id(), id + "-0001");
    v1::CompleteRequest bad;
    bad.set_executor_id(worker_);
    bad.set_task_id(tasks[0].task_id());
    bad.set_lease_token(tasks[0].lease_token());
    *bad.add_metrics() = M(kMetricAccuracy, 0.8);
    EXPECT_EQ(manager_->Complete(bad).status().code(), absl::StatusCode::kInvalidArgument);
    v1::CompleteRequest good = bad;
    good.clear_metrics();
    v1::Metric test = M(kMetricTestAccuracy, 0.87);
    test.set_source("worker:test_eval:cpu");
    *good.add_metrics() = test;
    auto done = manager_->Complete(good);
    ASSERT_TRUE(done.ok()) << done.status();
  }
  auto ended = manager_->GetJob(id);
  ASSERT_TRUE(ended.ok());
  EXPECT_EQ(ended->state(), v1::JOB_DONE) << ended->message();
  // The end lets go of every candidate off the final front, never a member.
  const std::vector<std::string> ids = ReleasedCandidates();
  const std::set<std::string> released(ids.begin(), ids.end());
  EXPECT_THAT(released, UnorderedElementsAre(id + "-0000", id + "-0002"));

  auto front = manager_->GetParetoFront(id);
  ASSERT_TRUE(front.ok()) << front.status();
  ASSERT_EQ(front->candidates_size(), 1);
  const v1::Candidate& winner = front->candidates(0);
  EXPECT_EQ(winner.id(), id + "-0001");
  bool has_accuracy = false, has_test = false;
  for (const v1::Metric& m : winner.metrics()) {
    if (m.name() == kMetricAccuracy) {
      has_accuracy = true;
      EXPECT_EQ(m.value(), 0.90);
      EXPECT_EQ(m.fidelity(), 0);
    }
    if (m.name() == kMetricTestAccuracy) {
      has_test = true;
      EXPECT_EQ(m.value(), 0.87);
      EXPECT_EQ(m.fidelity(), -1);  // after the search, never ranked by
      EXPECT_EQ(m.source(), "worker:test_eval:cpu");
    }
  }
  EXPECT_TRUE(has_accuracy);
  EXPECT_TRUE(has_test);
}

// A report of test_accuracy from a search task is refused (the search must
// not see the test split) and changes nothing.
TEST_F(WinnersJobTest, SearchTasksMayNotReportTestAccuracy) {
  auto job = manager_->SubmitJob(TinySpec(2));
  ASSERT_TRUE(job.ok()) << job.status();
  worker_ = RegisterExecutor(v1::WORKER);
  std::vector<v1::Task> tasks = LeaseNow(worker_);
  ASSERT_EQ(tasks.size(), 1u);
  v1::CompleteRequest req;
  req.set_executor_id(worker_);
  req.set_task_id(tasks[0].task_id());
  req.set_lease_token(tasks[0].lease_token());
  *req.add_metrics() = M(kMetricAccuracy, 0.8);
  *req.add_metrics() = M(kMetricTestAccuracy, 0.8);
  auto refused = manager_->Complete(req);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.status().message()), ::testing::HasSubstr("test_accuracy"));
}

}  // namespace
}  // namespace edgenas
