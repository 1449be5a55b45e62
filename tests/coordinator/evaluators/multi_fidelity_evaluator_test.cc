// Tests of the multi-fidelity evaluator: ASHA's promotion rule, the tasks
// of each rung and their routing, and the fidelity of their results.
#include "coordinator/evaluators/multi_fidelity_evaluator.h"

#include "common/job_spec.h"
#include "common/metric_names.h"
#include "coordinator/evaluators/evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Job MultiFidelityJob(std::vector<std::string> rungs, double eta) {
  v1::Job job;
  job.set_id("j1");
  v1::JobSpec* spec = job.mutable_spec();
  spec->mutable_space()->set_name("nb201");
  spec->mutable_evaluation()->set_mode("multi_fidelity");
  for (const auto& r : rungs) spec->mutable_evaluation()->mutable_multi_fidelity()->add_rungs(r);
  spec->mutable_evaluation()->mutable_multi_fidelity()->set_reduction_factor(eta);
  auto* acc = spec->add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec->add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  spec->mutable_budget()->set_max_evaluations(9);
  EXPECT_TRUE(NormalizeJobSpec(spec, RegisteredJobSpecNames()).ok());
  return job;
}

v1::Candidate Cand(int seq) {
  v1::Candidate c;
  c.set_id("j1-000" + std::to_string(seq));
  c.set_sequence(seq);
  return c;
}

TEST(PromotedAtRung, KeepsTheBestCeilNOverEtaWithTiesInFavour) {
  EXPECT_TRUE(PromotedAtRung(0.5, {0.5}, 3.0));              // the first is the best so far
  EXPECT_FALSE(PromotedAtRung(0.4, {0.5, 0.4}, 3.0));        // ceil(2/3) = 1
  EXPECT_TRUE(PromotedAtRung(0.6, {0.5, 0.4, 0.6}, 3.0));    // best of 3
  EXPECT_FALSE(PromotedAtRung(0.55, {0.5, 0.6, 0.55}, 3.0));  // second of 3, quota 1
  EXPECT_TRUE(PromotedAtRung(0.55, {0.5, 0.6, 0.55, 0.1}, 3.0));  // second of 4, quota 2
  EXPECT_TRUE(PromotedAtRung(0.5, {0.5, 0.5}, 3.0));          // a tie counts in its favour
  EXPECT_TRUE(PromotedAtRung(0.2, {0.5, 0.2}, 1.5));          // eta 1.5: quota ceil(2/1.5) = 2
}

TEST(MultiFidelityEvaluator, IsRegisteredAndPreparesWhatItsRungsNeed) {
  const v1::Job job = MultiFidelityJob({"supernet", "flash_distill"}, 3);
  auto evaluator = CreateEvaluator(job.spec());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  EXPECT_EQ((*evaluator)->Name(), "multi_fidelity");
  std::vector<TaskRecord> prep = (*evaluator)->PrepareTasks(job, 5);
  ASSERT_EQ(prep.size(), 2u);
  EXPECT_EQ(prep[0].task_id, "j1.train_supernet");
  EXPECT_THAT(prep[0].requires_capabilities, ElementsAre("accuracy:supernet"));
  EXPECT_EQ(prep[1].task_id, "j1.train_teacher");
  EXPECT_THAT(prep[1].requires_capabilities, ElementsAre("accuracy:flash_distill"));
  // The supernet task reports its cost, not an accuracy.
  EXPECT_EQ((*evaluator)->MainMetric(prep[0]), kMetricTrainSeconds);

  const v1::Job no_prepare = MultiFidelityJob({"full_train"}, 3);
  EXPECT_TRUE(MultiFidelityEvaluator().PrepareTasks(no_prepare, 5).empty());
}

// Rung 0 waits only for its own method's job-level task; latency for none.
TEST(MultiFidelityEvaluator, CandidateStartsAtRungZero) {
  const v1::Job job = MultiFidelityJob({"supernet", "flash_distill"}, 3);
  MultiFidelityEvaluator evaluator;
  std::vector<TaskRecord> tasks =
      evaluator.CandidateTasks(job, Cand(1), {"j1.train_supernet", "j1.train_teacher"}, 6);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].task_id, "j1-0001.accuracy");
  EXPECT_EQ(tasks[0].operation, "supernet");
  EXPECT_THAT(tasks[0].depends_on, ElementsAre("j1.train_supernet"));
  EXPECT_THAT(tasks[0].requires_capabilities, ElementsAre("accuracy:supernet"));
  EXPECT_EQ(evaluator.Fidelity(job, tasks[0]), 0);
  EXPECT_EQ(tasks[1].kind, TaskKind::kLatency);
  EXPECT_TRUE(tasks[1].depends_on.empty());
  EXPECT_EQ(evaluator.Fidelity(job, tasks[1]), 0);
}

TEST(MultiFidelityEvaluator, PromotesTheBestAndSaysWhy) {
  const v1::Job job = MultiFidelityJob({"supernet", "flash_distill", "full_train"}, 2);
  MultiFidelityEvaluator evaluator;
  const TaskRecord rung0 = evaluator.CandidateTasks(job, Cand(1), {}, 6)[0];
  std::vector<std::string> notes;
  std::vector<TaskRecord> next =
      evaluator.FollowUpTasks(job, Cand(1), rung0, 0.7, {0.6, 0.7}, 7, &notes);
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].task_id, "j1-0001.accuracy.r1");
  EXPECT_EQ(next[0].candidate_id, "j1-0001");
  EXPECT_EQ(next[0].operation, "flash_distill");
  EXPECT_THAT(next[0].depends_on, ElementsAre("j1.train_teacher"));
  EXPECT_THAT(next[0].requires_capabilities, ElementsAre("accuracy:flash_distill"));
  EXPECT_EQ(evaluator.Fidelity(job, next[0]), 1);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("promoted to rung 1 (flash_distill)"));
  EXPECT_THAT(notes[0], HasSubstr("ranks 1 of 2"));

  notes.clear();
  EXPECT_TRUE(evaluator.FollowUpTasks(job, Cand(2), rung0, 0.5, {0.6, 0.7, 0.5}, 7, &notes)
                  .empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_THAT(notes[0], HasSubstr("stopped at rung 0"));

  // The last rung promotes nowhere, and says nothing.
  const TaskRecord last = evaluator.FollowUpTasks(job, Cand(1), next[0], 0.9, {0.9}, 8, &notes)[0];
  EXPECT_EQ(last.operation, "full_train");
  EXPECT_TRUE(last.depends_on.empty());
  EXPECT_EQ(evaluator.Fidelity(job, last), 2);
  notes.clear();
  EXPECT_TRUE(evaluator.FollowUpTasks(job, Cand(1), last, 0.95, {0.95}, 9, &notes).empty());
  EXPECT_TRUE(notes.empty());
}

// A finalist that already reached the full_train rung is not trained again
// (its value would be overwritten, same source) but gets a test_eval task
// for its stored weights; the others are trained ("finalize").
TEST(MultiFidelityEvaluator, FinalizesOnlyFinalistsNotYetFullyTrained) {
  v1::Job job = MultiFidelityJob({"supernet", "full_train"}, 2);
  job.mutable_spec()->mutable_evaluation()->mutable_finalize()->set_top_k(2);
  std::vector<v1::Candidate> front = {Cand(1), Cand(2)};
  for (int i = 0; i < 2; ++i) {
    auto* screened = front[i].add_metrics();
    screened->set_name("accuracy");
    screened->set_value(0.7 + 0.1 * i);
  }
  auto* full = front[1].add_metrics();  // candidate 2 reached rung 1, full training
  full->set_name("accuracy");
  full->set_value(0.9);
  full->set_fidelity(1);
  std::vector<TaskRecord> tasks = MultiFidelityEvaluator().FinalizeTasks(job, front, 9);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].candidate_id, "j1-0001");
  EXPECT_EQ(tasks[0].operation, kOperationFinalize);
  EXPECT_EQ(tasks[1].candidate_id, "j1-0002");
  EXPECT_EQ(tasks[1].task_id, "j1-0002.test_eval");
  EXPECT_EQ(tasks[1].operation, kOperationTestEval);
  EXPECT_EQ(tasks[1].requires_capabilities, std::vector<std::string>{"accuracy:full_train"});
}

}  // namespace
}  // namespace edgenas
