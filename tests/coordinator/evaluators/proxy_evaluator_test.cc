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
  EXPECT_EQ(tasks[0].operation, kOperationFinalize);
  EXPECT_THAT(tasks[0].requires_capabilities, ElementsAre("accuracy:full_train"));

  job.mutable_spec()->mutable_evaluation()->mutable_finalize()->set_top_k(-1);
  EXPECT_TRUE(ProxyEvaluator("flash_distill").FinalizeTasks(job, front, 9).empty());
}

// A finalist's full training reports test_accuracy beside its accuracy; a
// test_eval task reports test_accuracy only (its main metric); no search
// task may report test_accuracy.
TEST(ProxyEvaluator, OnlyFinalizeAndTestEvalReportTestAccuracy) {
  const ProxyEvaluator evaluator("flash_distill");
  TaskRecord finalize;
  finalize.kind = TaskKind::kAccuracy;
  finalize.operation = kOperationFinalize;
  EXPECT_TRUE(evaluator.MetricBelongs(finalize, kMetricTestAccuracy));
  EXPECT_TRUE(evaluator.MetricBelongs(finalize, kMetricAccuracy));
  EXPECT_EQ(evaluator.MainMetric(finalize), kMetricAccuracy);
  TaskRecord test = finalize;
  test.operation = kOperationTestEval;
  EXPECT_TRUE(evaluator.MetricBelongs(test, kMetricTestAccuracy));
  EXPECT_FALSE(evaluator.MetricBelongs(test, kMetricAccuracy));
  EXPECT_EQ(evaluator.MainMetric(test), kMetricTestAccuracy);
  TaskRecord search = finalize;
  search.operation = "";
  EXPECT_FALSE(evaluator.MetricBelongs(search, kMetricTestAccuracy));
  search.operation = kOperationFullTrain;  // a multi-fidelity rung
  EXPECT_FALSE(evaluator.MetricBelongs(search, kMetricTestAccuracy));
}

// full_train mode: when the search ends every front member gets one
// test_eval task (no capability, as its training needed none), whatever
// finalize.top_k says; a job that trains nothing (no worker metric) none.
TEST(MeasureEvaluator, FullTrainFinalizesEveryFrontMemberWithATestEval) {
  v1::Job job = ProxyJob("full_train");
  job.mutable_spec()->mutable_evaluation()->mutable_finalize()->set_top_k(1);
  const std::vector<v1::Candidate> front = {Cand(1, 0.80, 1.0), Cand(2, 0.90, 2.0),
                                            Cand(3, 0.85, 1.5)};
  auto evaluator = CreateEvaluator(job.spec());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  std::vector<TaskRecord> tasks = (*evaluator)->FinalizeTasks(job, front, 9);
  ASSERT_EQ(tasks.size(), 3u);
  for (size_t i = 0; i < tasks.size(); ++i) {
    EXPECT_EQ(tasks[i].candidate_id, front[i].id());
    EXPECT_EQ(tasks[i].task_id, front[i].id() + ".test_eval");
    EXPECT_EQ(tasks[i].operation, kOperationTestEval);
    EXPECT_EQ(tasks[i].kind, TaskKind::kAccuracy);
    EXPECT_TRUE(tasks[i].requires_capabilities.empty());
  }
  job.mutable_spec()->clear_objectives();
  auto* lat = job.mutable_spec()->add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class("cpu");
  EXPECT_TRUE((*evaluator)->FinalizeTasks(job, front, 9).empty());
}

}  // namespace
}  // namespace edgenas
