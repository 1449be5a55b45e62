// A multi-fidelity job through the JobManager (real SQLite, fake clock,
// results given by hand): candidates start on the supernet rung, the best
// are promoted to flash distillation, the search ranks each by the highest
// rung it reached, a restart keeps the promotion state, and the finalist's
// full training is stored beside the search's value (fidelity -1).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/str_join.h"
#include "coordinator/search_value.h"
#include "gmock/gmock.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

class MultiFidelityJobTest : public JobManagerTest {
 protected:
  // Supernet values are a scrambled version of the distilled ones, so the
  // two rungs disagree and promotion matters.
  absl::Status Answer(const std::string& worker, const v1::Task& task) {
    v1::CompleteRequest req;
    req.set_executor_id(worker);
    req.set_task_id(task.task_id());
    req.set_lease_token(task.lease_token());
    const double h = static_cast<double>(std::hash<std::string>()(task.arch()) % 1000) / 1000.0;
    v1::Metric m;
    // A finalist's full training reports as full_train, as the worker does.
    const std::string method = task.operation() == "finalize" ? "full_train" : task.operation();
    m.set_source("worker:" + (method.empty() ? "?" : method) + ":cpu");
    if (task.operation() == "train_supernet") {
      m.set_name(kMetricTrainSeconds);
      m.set_value(12.0);
    } else {
      m.set_name(kMetricAccuracy);
      if (task.operation() == "train_teacher") m.set_value(0.9);
      if (task.operation() == "supernet") m.set_value(0.3 + 0.4 * std::fmod(h * 7.0, 1.0));
      if (task.operation() == "flash_distill") m.set_value(0.5 + 0.4 * h);
      if (method == "full_train") m.set_value(0.93);
    }
    *req.add_metrics() = m;
    if (task.operation() == "finalize") {  // and its test split, once
      v1::Metric test = m;
      test.set_name(kMetricTestAccuracy);
      test.set_value(0.91);
      *req.add_metrics() = test;
    }
    return manager_->Complete(req).status();
  }
};

TEST_F(MultiFidelityJobTest, PromotesTheBestAndRanksByTheHighestRungReached) {
  v1::JobSpec spec = TinySpec(10);
  auto* objective = spec.add_objectives();
  objective->set_metric(kMetricAccuracy);
  objective->set_direction(v1::MAXIMIZE);
  auto* ev = spec.mutable_evaluation();
  ev->set_mode("multi_fidelity");
  ev->mutable_multi_fidelity()->add_rungs("supernet");
  ev->mutable_multi_fidelity()->add_rungs("flash_distill");
  ev->mutable_multi_fidelity()->set_reduction_factor(2);
  ev->mutable_finalize()->set_top_k(1);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), v1::JOB_PREPARING);
  const std::vector<std::string> caps = {"accuracy:supernet", "accuracy:flash_distill",
                                         "accuracy:full_train"};
  std::string w = RegisterExecutor(v1::WORKER, caps);
  std::map<std::string, int> ran;  // operation -> tasks answered
  for (int round = 0; round < 200; ++round) {
    if (round == 6) {  // a restart in the middle of the search
      Open();
      w = RegisterExecutor(v1::WORKER, caps);
    }
    std::vector<v1::Task> tasks = LeaseNow(w, 4);
    if (tasks.empty()) break;
    for (const v1::Task& t : tasks) {
      ASSERT_TRUE(Answer(w, t).ok()) << t.task_id();
      ++ran[t.operation()];
    }
  }
  auto done = manager_->GetJob(job->id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
  EXPECT_EQ(ran["supernet"], 10);
  EXPECT_GE(ran["flash_distill"], 1);
  EXPECT_LT(ran["flash_distill"], 10);
  EXPECT_EQ(ran["finalize"], 1);

  auto stored = store_->ListCandidates(job->id());
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 10u);
  const v1::Candidate* best = nullptr;
  for (const v1::Candidate& c : *stored) {
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE) << c.failure_reason();
    std::map<int, const v1::Metric*> by_fidelity;
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() == kMetricAccuracy) by_fidelity[m.fidelity()] = &m;
    }
    ASSERT_TRUE(by_fidelity.count(0)) << c.id();
    EXPECT_EQ(by_fidelity[0]->source(), "worker:supernet:cpu");
    const bool promoted = by_fidelity.count(1) > 0;
    const std::string notes = absl::StrJoin(c.notes(), "; ");
    EXPECT_THAT(notes, HasSubstr(promoted ? "promoted to rung 1" : "stopped at rung 0"));
    // The search's value is the highest rung's.
    const v1::Metric* search = SearchMetric(c, kMetricAccuracy, "");
    ASSERT_NE(search, nullptr);
    EXPECT_EQ(search->fidelity(), promoted ? 1 : 0);
    if (best == nullptr || search->value() > FindMetric(*best, kMetricAccuracy, "").value()) {
      best = &c;
    }
  }
  // The finalist is the best by the search's values; its full training is
  // kept beside them at fidelity -1 and does not replace them.
  ASSERT_NE(best, nullptr);
  bool finalist_seen = false;
  for (const v1::Candidate& c : *stored) {
    for (const v1::Metric& m : c.metrics()) {
      if (m.fidelity() != -1) continue;
      finalist_seen = true;
      EXPECT_EQ(c.id(), best->id());
      EXPECT_EQ(m.source(), "worker:full_train:cpu");
      EXPECT_NE(FindMetric(c, kMetricAccuracy, "").value(), 0.93);
      EXPECT_TRUE(m.name() == kMetricAccuracy || m.name() == kMetricTestAccuracy) << m.name();
    }
  }
  EXPECT_TRUE(finalist_seen);
}

}  // namespace
}  // namespace edgenas
