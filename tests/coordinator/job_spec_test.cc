// NormalizeJobSpec: defaults for unset fields, and refusals that name the field.
#include "common/job_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

v1::JobSpec Minimal() {
  v1::JobSpec spec;
  spec.mutable_space()->set_name("nb201");
  spec.mutable_budget()->set_max_evaluations(10);
  return spec;
}

void ExpectRefused(const v1::JobSpec& spec, const std::string& field) {
  v1::JobSpec copy = spec;
  absl::Status s = NormalizeJobSpec(&copy);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_THAT(s.message(), HasSubstr(field));
}

// A minimal spec gets the documented defaults.
TEST(NormalizeJobSpec, FillsDefaults) {
  v1::JobSpec spec = Minimal();
  ASSERT_TRUE(NormalizeJobSpec(&spec).ok());
  EXPECT_EQ(spec.strategy().name(), "regularized_evolution");
  ASSERT_EQ(spec.objectives_size(), 2);
  EXPECT_EQ(spec.objectives(0).metric(), "accuracy");
  EXPECT_EQ(spec.objectives(0).direction(), v1::MAXIMIZE);
  EXPECT_EQ(spec.objectives(1).metric(), "latency_ms");
  EXPECT_EQ(spec.objectives(1).device_class(), "cpu");
  EXPECT_EQ(spec.evaluation().train_steps(), 200);
  EXPECT_EQ(spec.dataset().path(), "/usr/share/datasets/fashion-mnist");
  EXPECT_EQ(spec.parallelism(), 2);
  EXPECT_EQ(spec.max_attempts(), 3);
  EXPECT_EQ(spec.latency().batch_size(), 1);
}

// Each kind of bad field is refused with its path in the message.
TEST(NormalizeJobSpec, RefusesBadFieldsNamingThem) {
  v1::JobSpec s = Minimal();
  s.mutable_space()->set_name("darts");
  ExpectRefused(s, "job.space.name");

  s = Minimal();
  s.mutable_budget()->set_max_evaluations(-1);
  ExpectRefused(s, "job.budget.max_evaluations");

  s = Minimal();
  s.mutable_budget()->set_max_evaluations(0);
  ExpectRefused(s, "job.budget.max_evaluations");

  s = Minimal();
  s.mutable_budget()->set_max_wall_seconds(-5);
  ExpectRefused(s, "job.budget.max_wall_seconds");

  s = Minimal();
  auto* o = s.add_objectives();
  o->set_metric("accuracy");
  o->set_direction(v1::MAXIMIZE);
  o = s.add_objectives();
  o->set_metric("latncy");
  o->set_direction(v1::MINIMIZE);
  ExpectRefused(s, "job.objectives[1].metric");

  s = Minimal();
  s.add_objectives()->set_metric("accuracy");
  ExpectRefused(s, "job.objectives[0].direction");

  s = Minimal();
  s.mutable_strategy()->set_name("annealing");
  ExpectRefused(s, "job.strategy.name");

  s = Minimal();
  s.mutable_strategy()->set_population_size(4);
  s.mutable_strategy()->set_sample_size(9);
  ExpectRefused(s, "job.strategy.sample_size");

  s = Minimal();
  s.mutable_evaluation()->set_train_steps(-10);
  ExpectRefused(s, "job.evaluation.train_steps");

  s = Minimal();
  s.add_constraints()->set_metric("latency_ms");
  ExpectRefused(s, "job.constraints[0]");

  s = Minimal();
  s.mutable_latency()->set_min_runs(50);
  s.mutable_latency()->set_max_runs(10);
  ExpectRefused(s, "job.latency.max_runs");

  s = Minimal();
  o = s.add_objectives();
  o->set_metric("latency_ms");
  o->set_direction(v1::MINIMIZE);
  o->set_device_class("rpi 5; DROP");
  ExpectRefused(s, "job.objectives[0].device_class");

  s = Minimal();
  s.set_parallelism(-2);
  ExpectRefused(s, "job.parallelism");
}

// A malformed initial architecture is refused with its index named.
TEST(NormalizeJobSpec, RefusesMalformedInitialArchitecture) {
  v1::JobSpec s = Minimal();
  s.add_initial_architectures(
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|");
  s.add_initial_architectures("|conv_7x7~0|+|");
  ExpectRefused(s, "job.initial_architectures[1]");
}

// Device classes are only allowed on device metrics.
TEST(NormalizeJobSpec, RefusesDeviceClassOnAccuracy) {
  v1::JobSpec s = Minimal();
  auto* o = s.add_objectives();
  o->set_metric("accuracy");
  o->set_direction(v1::MAXIMIZE);
  o->set_device_class("rpi5");
  ExpectRefused(s, "job.objectives[0].device_class");
}

}  // namespace
}  // namespace edgenas
