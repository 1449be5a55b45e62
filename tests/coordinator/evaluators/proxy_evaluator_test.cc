// Tests of the proxy evaluators ("flash_distill", "supernet"): the job-level
// task that prepares them, the routing of their tasks, what those tasks may
// report, and the full training of the front's best when the search ends.
#include "coordinator/evaluators/proxy_evaluator.h"

#include "common/job_spec.h"
#include "common/metric_names.h"
#include "coordinator/evaluators/evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;

v1::Job ProxyJob(const std::string& mode) {
  v1::Job job;
  job.set_id("j1");
  v1::JobSpec* spec = job.mutable_spec();
  spec->mutable_space()->set_name("nb201");
  spec->mutable_evaluation()->set_mode(mode);
  auto* lat = spec->add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  auto* acc = spec->add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  spec->mutable_budget()->set_max_evaluations(4);
  EXPECT_TRUE(NormalizeJobSpec(spec, RegisteredJobSpecNames()).ok());
  return job;
}

v1::Candidate Cand(int seq, double accuracy, double latency) {
  v1::Candidate c;
  c.set_id("j1-000" + std::to_string(seq));
  c.set_sequence(seq);
  auto* a = c.add_metrics();
  a->set_name("accuracy");
  a->set_value(accuracy);
  auto* l = c.add_metrics();
  l->set_name("latency_ms");
  l->set_value(latency);
  l->set_device_class("cpu");
  return c;
}

TEST(ProxyEvaluator, BothModesAreRegistered) {
  for (const char* mode : {"flash_distill", "supernet"}) {
    auto evaluator = CreateEvaluator(ProxyJob(mode).spec());
    ASSERT_TRUE(evaluator.ok()) << evaluator.status();
    EXPECT_EQ((*evaluator)->Name(), mode);
  }
}

TEST(ProxyEvaluator, PreparesTheTeacherOrSupernetOnceAndCandidatesDependOnIt) {
  const v1::Job job = ProxyJob("flash_distill");
  ProxyEvaluator distill("flash_distill");
  std::vector<TaskRecord> prep = distill.PrepareTasks(job, 5);
  ASSERT_EQ(prep.size(), 1u);
  EXPECT_EQ(prep[0].task_id, "j1.train_teacher");
  EXPECT_EQ(prep[0].operation, kOperationTrainTeacher);
  EXPECT_TRUE(prep[0].candidate_id.empty());
  EXPECT_THAT(prep[0].requires_capabilities, ElementsAre("accuracy:flash_distill"));

  std::vector<TaskRecord> tasks = distill.CandidateTasks(job, Cand(1, 0, 0), {prep[0].task_id}, 6);
  ASSERT_EQ(tasks.size(), 2u);  // accuracy + latency on cpu
  EXPECT_EQ(tasks[0].kind, TaskKind::kAccuracy);
  EXPECT_THAT(tasks[0].depends_on, ElementsAre("j1.train_teacher"));
  EXPECT_THAT(tasks[0].requires_capabilities, ElementsAre("accuracy:flash_distill"));
  EXPECT_TRUE(tasks[0].operation.empty());
  EXPECT_EQ(tasks[1].kind, TaskKind::kLatency);
  EXPECT_TRUE(tasks[1].depends_on.empty());  // latency needs no teacher

  ProxyEvaluator supernet("supernet");
  prep = supernet.PrepareTasks(ProxyJob("supernet"), 5);
  ASSERT_EQ(prep.size(), 1u);
  EXPECT_EQ(prep[0].operation, kOperationTrainSupernet);
  EXPECT_THAT(prep[0].requires_capabilities, ElementsAre("accuracy:supernet"));
}

TEST(ProxyEvaluator, SupernetTaskReportsItsCostNotAnAccuracy) {
  ProxyEvaluator supernet("supernet");
  TaskRecord t = supernet.PrepareTasks(ProxyJob("supernet"), 0)[0];
  EXPECT_EQ(supernet.MainMetric(t), kMetricTrainSeconds);
  EXPECT_TRUE(supernet.MetricBelongs(t, kMetricTrainSeconds));
  EXPECT_FALSE(supernet.MetricBelongs(t, kMetricAccuracy));
  TaskRecord candidate;
  candidate.kind = TaskKind::kAccuracy;
  EXPECT_EQ(supernet.MainMetric(candidate), kMetricAccuracy);
}

// The front's best by accuracy (an objective, though not the first), at
// most top_k of them, each a full_train task on a full_train worker.
TEST(ProxyEvaluator, FinalizesTheTopKOfTheFrontByAccuracy) {
  v1::Job job = ProxyJob("flash_distill");
  job.mutable_spec()->mutable_evaluation()->mutable_finalize()->set_top_k(2);
  const std::vector<v1::Candidate> front = {Cand(1, 0.80, 1.0), Cand(2, 0.90, 2.0),
                                            Cand(3, 0.85, 1.5)};
  std::vector<TaskRecord> tasks = ProxyEvaluator("flash_distill").FinalizeTasks(job, front, 9);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].candidate_id, "j1-0002");
  EXPECT_EQ(tasks[1].candidate_id, "j1-0003");
  EXPECT_EQ(tasks[0].task_id, "j1-0002.full_train");
  EXPECT_EQ(tasks[0].operation, kOperationFullTrain);
  EXPECT_THAT(tasks[0].requires_capabilities, ElementsAre("accuracy:full_train"));

  job.mutable_spec()->mutable_evaluation()->mutable_finalize()->set_top_k(-1);
  EXPECT_TRUE(ProxyEvaluator("flash_distill").FinalizeTasks(job, front, 9).empty());
}

}  // namespace
}  // namespace edgenas
