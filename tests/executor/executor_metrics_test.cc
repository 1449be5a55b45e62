// Worker and agent metrics read what tasks report: outcomes, training step
// time, latency CV, unstable measurements and energy availability.
#include "executor/executor_metrics.h"

#include "common/metric_names.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

v1::Metric M(const std::string& name, double value, int64_t steps = 0, double cost = 0) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_steps(steps);
  m.set_cost_seconds(cost);
  return m;
}

std::string Text(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

// A wrapped handler passes results through and counts them by outcome; a
// reported cost of 2 s over 200 steps is a 10 ms training step.
TEST(WorkerMetrics, CountsOutcomesAndStepTime) {
  prometheus::Registry registry;
  WorkerMetrics metrics(registry, "cpu", "cpu threads=1");
  int calls = 0;
  TaskHandler handler = metrics.Wrap(
      [&calls](const v1::Task&, const std::atomic<bool>*) -> absl::StatusOr<TaskOutcome> {
        if (++calls == 2) return absl::InvalidArgumentError("bad arch");
        TaskOutcome outcome;
        outcome.metrics.push_back(M(kMetricAccuracy, 0.9, /*steps=*/200, /*cost=*/2.0));
        return outcome;
      });
  v1::Task task;
  ASSERT_TRUE(handler(task, nullptr).ok());
  EXPECT_EQ(handler(task, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  const std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr("edgenas_worker_tasks_total{outcome=\"completed\"} 1"));
  EXPECT_THAT(text, HasSubstr("edgenas_worker_tasks_total{outcome=\"rejected\"} 1"));
  EXPECT_THAT(text, HasSubstr("edgenas_worker_training_steps_total 200"));
  EXPECT_THAT(text, HasSubstr("edgenas_worker_training_step_seconds_sum 0.01"));
  EXPECT_THAT(text, HasSubstr("edgenas_worker_busy_slots 0"));
  EXPECT_THAT(text, HasSubstr("edgenas_worker_device_info{device=\"cpu\",name=\"cpu threads=1\"} 1"));
}

// A measurement with CV above 0.10, or one that used every allowed run, is
// unstable; a result without energy_mj marks the meter unavailable.
TEST(AgentMetrics, FlagsUnstableMeasurementsAndEnergy) {
  prometheus::Registry registry;
  AgentMetrics metrics(registry, "libtorch", "rpi5", "rapl");
  EXPECT_THAT(Text(registry), HasSubstr(
      "edgenas_agent_energy_meter_available{device_class=\"rpi5\",meter=\"rapl\"} 1"));
  v1::Task task;
  task.mutable_spec()->mutable_latency()->set_max_runs(50);
  auto run = [&](double cv, double runs, bool energy) {
    TaskOutcome outcome;
    outcome.metrics.push_back(M(kMetricLatencyMs, 1.0));
    outcome.metrics.push_back(M(kMetricLatencyCv, cv));
    outcome.metrics.push_back(M(kMetricLatencyRuns, runs));
    if (energy) outcome.metrics.push_back(M(kMetricEnergyMj, 3.0));
    metrics.Observe(task, outcome, 0.5);
  };
  run(/*cv=*/0.02, /*runs=*/30, /*energy=*/true);   // stable
  run(/*cv=*/0.25, /*runs=*/30, /*energy=*/true);   // noisy
  run(/*cv=*/0.02, /*runs=*/50, /*energy=*/false);  // never settled
  metrics.Observe(task, absl::UnavailableError("board gone"), 0.1);
  const std::string text = Text(registry);
  EXPECT_THAT(text, HasSubstr("edgenas_agent_measurements_total{device_class=\"rpi5\","
                              "outcome=\"completed\",runner=\"libtorch\"} 3"));
  EXPECT_THAT(text, HasSubstr("edgenas_agent_measurements_total{device_class=\"rpi5\","
                              "outcome=\"failed\",runner=\"libtorch\"} 1"));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_agent_unstable_measurements_total{device_class=\"rpi5\",runner=\"libtorch\"} 2"));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_agent_measurement_cv_ratio_count{device_class=\"rpi5\",runner=\"libtorch\"} 3"));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_agent_energy_readings_total{device_class=\"rpi5\",outcome=\"unavailable\"} 1"));
  EXPECT_THAT(text, HasSubstr(
      "edgenas_agent_energy_meter_available{device_class=\"rpi5\",meter=\"rapl\"} 0"));
}

}  // namespace
}  // namespace edgenas
