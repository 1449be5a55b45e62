// Tests of the "table" evaluator: which tasks a candidate gets, where they
// may run, and what they may report.
#include "coordinator/evaluators/table_evaluator.h"

#include <algorithm>

#include "coordinator/evaluators/measure_evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::Job TableJob() {
  v1::Job job;
  job.set_id("j1");
  v1::JobSpec* spec = job.mutable_spec();
  spec->mutable_evaluation()->set_mode("table");
  spec->mutable_evaluation()->mutable_table()->set_path("t.csv");
  spec->mutable_evaluation()->mutable_table()->set_accuracy_column("acc");
  auto* acc = spec->add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec->add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class("rpi5");
  spec->set_max_attempts(2);
  return job;
}

v1::Candidate Cand() {
  v1::Candidate c;
  c.set_id("j1-c1");
  return c;
}

// The registry serves "table" with this evaluator.
TEST(TableEvaluator, IsRegisteredAsTable) {
  v1::Job job = TableJob();
  auto evaluator = CreateEvaluator(job.spec());
  ASSERT_TRUE(evaluator.ok()) << evaluator.status();
  EXPECT_EQ((*evaluator)->Name(), "table");
}

// One accuracy task for a table worker and one latency task per device
// class, as a measured job would get.
TEST(TableEvaluator, MakesTableAccuracyTaskAndLatencyTasks) {
  v1::Job job = TableJob();
  std::vector<TaskRecord> tasks = TableEvaluator().CandidateTasks(job, Cand(), {"prep"}, 7);
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0].task_id, "j1-c1.accuracy");
  EXPECT_EQ(tasks[0].kind, TaskKind::kAccuracy);
  EXPECT_THAT(tasks[0].requires_capabilities, ElementsAre(kCapabilityAccuracyTable));
  EXPECT_THAT(tasks[0].depends_on, ElementsAre("prep"));
  EXPECT_EQ(tasks[0].max_attempts, 2);
  EXPECT_EQ(tasks[1].task_id, "j1-c1.latency.rpi5");
  EXPECT_EQ(tasks[1].kind, TaskKind::kLatency);
  EXPECT_EQ(tasks[1].device_class, "rpi5");
  EXPECT_THAT(tasks[1].requires_capabilities, IsEmpty());
  EXPECT_EQ(tasks[1].created_ms, 7);
}

// Latency tasks match the measure evaluator's (shared helper), including the
// energy-meter requirement, and a latency-only job gets no accuracy task.
TEST(TableEvaluator, LatencyTasksMatchMeasureEvaluator) {
  v1::Job job = TableJob();
  job.mutable_spec()->mutable_objectives()->DeleteSubrange(0, 1);  // latency only
  auto* energy = job.mutable_spec()->add_constraints();
  energy->set_metric("energy_mj");
  energy->set_max_value(10);
  energy->set_device_class("rpi5");
  auto* cpu = job.mutable_spec()->add_objectives();
  cpu->set_metric("latency_ms");
  cpu->set_direction(v1::MINIMIZE);
  cpu->set_device_class("cpu");
  std::vector<TaskRecord> table = TableEvaluator().CandidateTasks(job, Cand(), {}, 0);
  std::vector<TaskRecord> measure =
      MeasureEvaluator("full_train").CandidateTasks(job, Cand(), {}, 0);
  ASSERT_EQ(table.size(), 2u);
  ASSERT_EQ(measure.size(), 2u);
  for (size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(table[i].task_id, measure[i].task_id);
    EXPECT_EQ(table[i].kind, TaskKind::kLatency);
    EXPECT_EQ(table[i].requires_capabilities, measure[i].requires_capabilities);
  }
  EXPECT_EQ(table[1].task_id, "j1-c1.latency.rpi5");
  EXPECT_THAT(table[1].requires_capabilities, ElementsAre(kCapabilityEnergyMeter));
}

// A table accuracy task reports accuracy only; latency tasks as usual.
TEST(TableEvaluator, AccuracyTasksReportOnlyAccuracy) {
  TableEvaluator evaluator;
  TaskRecord acc;
  acc.kind = TaskKind::kAccuracy;
  TaskRecord lat;
  lat.kind = TaskKind::kLatency;
  EXPECT_TRUE(evaluator.MetricBelongs(acc, "accuracy"));
  EXPECT_FALSE(evaluator.MetricBelongs(acc, "params"));
  EXPECT_FALSE(evaluator.MetricBelongs(acc, "train_seconds"));
  EXPECT_EQ(evaluator.MainMetric(acc), "accuracy");
  EXPECT_TRUE(evaluator.MetricBelongs(lat, "latency_ms"));
  EXPECT_TRUE(evaluator.MetricBelongs(lat, "energy_mj"));
  EXPECT_EQ(evaluator.MainMetric(lat), "latency_ms");
}

}  // namespace
}  // namespace edgenas
