// NormalizeJobSpec: defaults for unset fields, and refusals that name the field.
#include "common/job_spec.h"

#include <limits>
#include <string>
#include <vector>

#include "coordinator/evaluators/evaluator.h"
#include "gmock/gmock.h"
#include "spaces/nb201/nb201_space.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::ElementsAre;

v1::JobSpec Minimal() {
  v1::JobSpec spec;
  spec.mutable_space()->set_name("nb201");
  spec.mutable_budget()->set_max_evaluations(10);
  return spec;
}

void ExpectRefused(const v1::JobSpec& spec, const std::string& field) {
  v1::JobSpec copy = spec;
  absl::Status s = NormalizeJobSpec(&copy, RegisteredJobSpecNames());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << field;
  EXPECT_THAT(s.message(), HasSubstr(field));
}

// A minimal spec gets the documented defaults.
TEST(NormalizeJobSpec, FillsDefaults) {
  v1::JobSpec spec = Minimal();
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
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
  s.mutable_latency()->set_target_ci_rel(std::numeric_limits<double>::quiet_NaN());
  ExpectRefused(s, "job.latency.target_ci_rel");
  s = Minimal();
  s.mutable_latency()->set_target_ci_rel(-0.01);
  ExpectRefused(s, "job.latency.target_ci_rel");
  s = Minimal();
  s.mutable_latency()->set_blocks(30);  // more than min_runs (20)
  ExpectRefused(s, "job.latency.blocks");
  s = Minimal();
  s.mutable_latency()->set_max_measure_ms(-1);
  ExpectRefused(s, "job.latency.max_measure_ms");

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

// The test split is never seen by the search: test_accuracy is refused as
// an objective and as a constraint, naming the field and saying why.
TEST(NormalizeJobSpec, RefusesTestAccuracyAsObjectiveOrConstraint) {
  v1::JobSpec s = Minimal();
  auto* o = s.add_objectives();
  o->set_metric("test_accuracy");
  o->set_direction(v1::MAXIMIZE);
  ExpectRefused(s, "job.objectives[0].metric");
  v1::JobSpec copy = s;
  absl::Status status = NormalizeJobSpec(&copy, RegisteredJobSpecNames());
  EXPECT_THAT(status.message(), HasSubstr("test split"));

  s = Minimal();
  auto* k = s.add_constraints();
  k->set_metric("test_accuracy");
  k->set_min_value(0.5);
  ExpectRefused(s, "job.constraints[0].metric");
}

// Accuracy (maximised) then latency_ms on cpu (minimised), as a scalarized
// job would state them, with a target on the latency.
v1::JobSpec Scalarized() {
  v1::JobSpec spec = Minimal();
  spec.set_objective_mode(v1::SCALARIZED);
  auto* acc = spec.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_target(5.0);
  return spec;
}

// A table job with its required table settings.
v1::JobSpec Table() {
  v1::JobSpec spec = Minimal();
  spec.mutable_evaluation()->set_mode("table");
  spec.mutable_evaluation()->mutable_table()->set_path("/data/nb201.csv");
  spec.mutable_evaluation()->mutable_table()->set_accuracy_column("cifar10_valid");
  return spec;
}

// The objective mode defaults to PARETO; the other modes are kept.
TEST(NormalizeJobSpec, ObjectiveModeDefaultsToPareto) {
  v1::JobSpec spec = Minimal();
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_EQ(spec.objective_mode(), v1::PARETO);
  EXPECT_FALSE(spec.objectives(1).has_target());
  EXPECT_FALSE(spec.objectives(1).has_weight());

  spec = Minimal();
  spec.set_objective_mode(v1::LEXICOGRAPHIC);
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_EQ(spec.objective_mode(), v1::LEXICOGRAPHIC);

  spec = Minimal();
  spec.set_objective_mode(static_cast<v1::ObjectiveMode>(9));
  ExpectRefused(spec, "job.objective_mode");
}

// Scalarized mode multiplies objectives[0], so it must be maximised.
TEST(NormalizeJobSpec, ScalarizedNeedsMaximisedFirstObjective) {
  v1::JobSpec s = Minimal();
  s.set_objective_mode(v1::SCALARIZED);
  auto* lat = s.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  auto* acc = s.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  acc->set_target(0.9);
  ExpectRefused(s, "job.objectives[0].direction");
  // The default objectives put accuracy first, but their latency has no target.
  s = Minimal();
  s.set_objective_mode(v1::SCALARIZED);
  ExpectRefused(s, "job.objectives[1].target");
}

// Later objectives need a finite target > 0.
TEST(NormalizeJobSpec, ScalarizedNeedsFinitePositiveTarget) {
  v1::JobSpec s = Scalarized();
  s.mutable_objectives(1)->clear_target();
  ExpectRefused(s, "job.objectives[1].target");
  for (double bad : {0.0, -5.0, std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    SCOPED_TRACE(bad);
    s = Scalarized();
    s.mutable_objectives(1)->set_target(bad);
    ExpectRefused(s, "job.objectives[1].target");
  }
  // objectives[0] is the reward's base: no target or weight there.
  s = Scalarized();
  s.mutable_objectives(0)->set_target(0.9);
  ExpectRefused(s, "job.objectives[0].target");
  s = Scalarized();
  s.mutable_objectives(0)->set_weight(1.0);
  ExpectRefused(s, "job.objectives[0].weight");
}

// The weight defaults to -0.07 for minimised and +0.07 for maximised
// metrics; a given weight is kept.
TEST(NormalizeJobSpec, ScalarizedWeightDefaultsByDirection) {
  v1::JobSpec s = Scalarized();
  auto* params = s.add_objectives();
  params->set_metric("params");
  params->set_direction(v1::MAXIMIZE);
  params->set_target(1e6);
  ASSERT_TRUE(NormalizeJobSpec(&s, RegisteredJobSpecNames()).ok());
  EXPECT_FALSE(s.objectives(0).has_weight());
  ASSERT_TRUE(s.objectives(1).has_weight());
  EXPECT_DOUBLE_EQ(s.objectives(1).weight(), -0.07);
  ASSERT_TRUE(s.objectives(2).has_weight());
  EXPECT_DOUBLE_EQ(s.objectives(2).weight(), 0.07);
  EXPECT_DOUBLE_EQ(s.objectives(1).target(), 5.0);

  s = Scalarized();
  s.mutable_objectives(1)->set_weight(-0.15);
  ASSERT_TRUE(NormalizeJobSpec(&s, RegisteredJobSpecNames()).ok());
  EXPECT_DOUBLE_EQ(s.objectives(1).weight(), -0.15);
}

// Weights must be finite and in [-10, 10].
TEST(NormalizeJobSpec, ScalarizedWeightOutOfRangeRefused) {
  for (double ok : {-10.0, 10.0, 0.0}) {
    v1::JobSpec s = Scalarized();
    s.mutable_objectives(1)->set_weight(ok);
    EXPECT_TRUE(NormalizeJobSpec(&s, RegisteredJobSpecNames()).ok()) << ok;
  }
  for (double bad : {-10.5, 11.0, std::numeric_limits<double>::quiet_NaN(),
                     -std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(bad);
    v1::JobSpec s = Scalarized();
    s.mutable_objectives(1)->set_weight(bad);
    ExpectRefused(s, "job.objectives[1].weight");
  }
}

// target and weight only mean something in scalarized mode.
TEST(NormalizeJobSpec, TargetOrWeightOutsideScalarizedModeRefused) {
  for (auto mode : {v1::OBJECTIVE_MODE_UNSPECIFIED, v1::PARETO, v1::LEXICOGRAPHIC}) {
    SCOPED_TRACE(v1::ObjectiveMode_Name(mode));
    v1::JobSpec s = Scalarized();  // target on objectives[1]
    s.set_objective_mode(mode);
    ExpectRefused(s, "job.objectives[1].target");
    s = Scalarized();
    s.set_objective_mode(mode);
    s.mutable_objectives(1)->clear_target();
    s.mutable_objectives(1)->set_weight(-0.07);
    ExpectRefused(s, "job.objectives[1].weight");
  }
}

// Table mode needs the table's path and accuracy column, defaults the
// architecture column and refuses a bad scale.
TEST(NormalizeJobSpec, TableModeSettings) {
  v1::JobSpec s = Table();
  ASSERT_TRUE(NormalizeJobSpec(&s, RegisteredJobSpecNames()).ok());
  EXPECT_EQ(s.evaluation().table().arch_column(), "arch");
  EXPECT_EQ(s.evaluation().table().accuracy_scale(), 0.0);  // automatic

  s = Table();
  s.mutable_evaluation()->mutable_table()->set_arch_column("arch_str");
  s.mutable_evaluation()->mutable_table()->set_accuracy_scale(0.01);
  ASSERT_TRUE(NormalizeJobSpec(&s, RegisteredJobSpecNames()).ok());
  EXPECT_EQ(s.evaluation().table().arch_column(), "arch_str");
  EXPECT_DOUBLE_EQ(s.evaluation().table().accuracy_scale(), 0.01);

  s = Table();
  s.mutable_evaluation()->mutable_table()->clear_path();
  ExpectRefused(s, "job.evaluation.table.path");
  s = Table();
  s.mutable_evaluation()->clear_table();
  ExpectRefused(s, "job.evaluation.table.path");
  s = Table();
  s.mutable_evaluation()->mutable_table()->clear_accuracy_column();
  ExpectRefused(s, "job.evaluation.table.accuracy_column");
  for (double bad : {-0.01, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(bad);
    s = Table();
    s.mutable_evaluation()->mutable_table()->set_accuracy_scale(bad);
    ExpectRefused(s, "job.evaluation.table.accuracy_scale");
  }
}

// A table block with another mode (given or defaulted) is refused.
TEST(NormalizeJobSpec, TableOutsideTableModeRefused) {
  v1::JobSpec s = Table();
  s.mutable_evaluation()->set_mode("full_train");
  ExpectRefused(s, "job.evaluation.table");
  s = Table();
  s.mutable_evaluation()->clear_mode();
  ExpectRefused(s, "job.evaluation.table");
}

// A table job can only measure accuracy (workers) and device metrics
// (agents): objectives and constraints on params, flops or train_seconds,
// which no task of it reports, are refused naming the metric.
TEST(NormalizeJobSpec, TableModeRefusesUnmeasurableMetrics) {
  for (const std::string metric : {"params", "flops", "train_seconds"}) {
    SCOPED_TRACE(metric);
    v1::JobSpec s = Table();
    auto* acc = s.add_objectives();
    acc->set_metric("accuracy");
    acc->set_direction(v1::MAXIMIZE);
    auto* o = s.add_objectives();
    o->set_metric(metric);
    o->set_direction(v1::MINIMIZE);
    ExpectRefused(s, "job.objectives[1].metric");
    v1::JobSpec copy = s;
    EXPECT_THAT(NormalizeJobSpec(&copy, RegisteredJobSpecNames()).message(), HasSubstr("table"));

    s = Table();
    auto* k = s.add_constraints();
    k->set_metric("latency_ms");
    k->set_max_value(20);
    k = s.add_constraints();
    k->set_metric(metric);
    k->set_max_value(1e6);
    ExpectRefused(s, "job.constraints[1].metric");

    // The same objective and constraint are fine when the model is trained.
    s = Minimal();
    o = s.add_objectives();
    o->set_metric("accuracy");
    o->set_direction(v1::MAXIMIZE);
    o = s.add_objectives();
    o->set_metric(metric);
    o->set_direction(v1::MINIMIZE);
    s.add_constraints()->set_metric(metric);
    s.mutable_constraints(0)->set_max_value(1e6);
    absl::Status trained = NormalizeJobSpec(&s, RegisteredJobSpecNames());
    EXPECT_TRUE(trained.ok()) << trained;
  }
}

// flops (analytic multiply-accumulates) needs a space that counts them: the
// test space has no latency model, so neither an objective nor a constraint
// on it is accepted, and the message says why.
TEST(NormalizeJobSpec, FlopsNeedsASpaceThatCountsMacs) {
  for (const char* space : {"nb201", "mbv3"}) {
    v1::JobSpec s = Minimal();
    s.mutable_space()->set_name(space);
    auto* o = s.add_objectives();
    o->set_metric("accuracy");
    o->set_direction(v1::MAXIMIZE);
    o = s.add_objectives();
    o->set_metric("flops");
    o->set_direction(v1::MINIMIZE);
    absl::Status ok = NormalizeJobSpec(&s, RegisteredJobSpecNames());
    EXPECT_TRUE(ok.ok()) << space << ": " << ok;
  }
  v1::JobSpec s = Minimal();
  s.mutable_space()->set_name("tiny_test");
  auto* o = s.add_objectives();
  o->set_metric("accuracy");
  o->set_direction(v1::MAXIMIZE);
  o = s.add_objectives();
  o->set_metric("flops");
  o->set_direction(v1::MINIMIZE);
  ExpectRefused(s, "job.objectives[1].metric");
  v1::JobSpec copy = s;
  EXPECT_THAT(NormalizeJobSpec(&copy, RegisteredJobSpecNames()).message(),
              HasSubstr("space \"tiny_test\" has no MAC count"));
  s = Minimal();
  s.mutable_space()->set_name("tiny_test");
  s.add_constraints()->set_metric("flops");
  s.mutable_constraints(0)->set_max_value(1e9);
  ExpectRefused(s, "job.constraints[0].metric");
}

// Accuracy and device metrics (latency, energy, any device class) are what
// a table job measures; they are accepted as objectives and constraints.
TEST(NormalizeJobSpec, TableModeAcceptsAccuracyAndDeviceMetrics) {
  v1::JobSpec s = Table();
  auto* o = s.add_objectives();
  o->set_metric("accuracy");
  o->set_direction(v1::MAXIMIZE);
  o = s.add_objectives();
  o->set_metric("latency_ms");
  o->set_direction(v1::MINIMIZE);
  o->set_device_class("rpi5");
  o = s.add_objectives();
  o->set_metric("energy_mj");
  o->set_direction(v1::MINIMIZE);
  auto* k = s.add_constraints();
  k->set_metric("accuracy");
  k->set_min_value(0.5);
  k = s.add_constraints();
  k->set_metric("energy_mj");
  k->set_max_value(3);
  k->set_device_class("rpi5");
  absl::Status status = NormalizeJobSpec(&s, RegisteredJobSpecNames());
  EXPECT_TRUE(status.ok()) << status;
}

// Every registered strategy name is accepted; an unknown one lists them.
TEST(NormalizeJobSpec, StrategyNamesAcceptedAndUnknownListsThem) {
  const std::vector<std::string> known = {"random",       "regularized_evolution", "nsga2",
                                          "local_search", "bayesian",              "reinforce"};
  for (const std::string& name : known) {
    v1::JobSpec s = Minimal();
    s.mutable_strategy()->set_name(name);
    absl::Status status = NormalizeJobSpec(&s, RegisteredJobSpecNames());
    EXPECT_TRUE(status.ok()) << name << ": " << status;
    EXPECT_EQ(s.strategy().name(), name);
  }
  v1::JobSpec s = Minimal();
  s.mutable_strategy()->set_name("annealing");
  absl::Status status = NormalizeJobSpec(&s, RegisteredJobSpecNames());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("job.strategy.name: unknown strategy \"annealing\""));
  for (const std::string& name : known) EXPECT_THAT(status.message(), HasSubstr(name));
}

// The refusals quote the registries' names in registration order.
TEST(NormalizeJobSpec, UnknownNamesListTheRegisteredOnes) {
  v1::JobSpec strategy = Minimal();
  strategy.mutable_strategy()->set_name("annealing");
  EXPECT_EQ(NormalizeJobSpec(&strategy, RegisteredJobSpecNames()).message(),
            "job.strategy.name: unknown strategy \"annealing\"; known: random, "
            "regularized_evolution, nsga2, local_search, bayesian, reinforce");
  v1::JobSpec mode = Minimal();
  mode.mutable_evaluation()->set_mode("oracle");
  EXPECT_EQ(NormalizeJobSpec(&mode, RegisteredJobSpecNames()).message(),
            "job.evaluation.mode: unknown evaluation mode \"oracle\"; known: full_train, "
            "flash_distill, supernet, multi_fidelity, table");
}

// Job specs are checked against the names handed in, not a list of their own.
TEST(NormalizeJobSpec, ChecksNamesAgainstTheGivenLists) {
  const JobSpecNames names{{"annealing"}, {"oracle"}};
  v1::JobSpec s = Minimal();
  s.mutable_strategy()->set_name("annealing");
  s.mutable_evaluation()->set_mode("oracle");
  EXPECT_TRUE(NormalizeJobSpec(&s, names).ok());
  v1::JobSpec registered = Minimal();  // regularized_evolution, full_train by default
  EXPECT_THAT(NormalizeJobSpec(&registered, names).message(),
              HasSubstr("job.strategy.name: unknown strategy \"regularized_evolution\""));
}

// Proxy modes get their teacher, distillation, supernet and finalist
// defaults; settings of another mode are refused naming the field.
TEST(NormalizeJobSpec, ProxyModeDefaults) {
  v1::JobSpec spec = Minimal();
  spec.mutable_evaluation()->set_mode("flash_distill");
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  const auto& ev = spec.evaluation();
  EXPECT_EQ(ev.teacher().arch(), kDefaultTeacherArch);
  EXPECT_EQ(ev.teacher().channels(), 32);  // nb201's default teacher
  EXPECT_EQ(ev.teacher().train_steps(), kDefaultTeacherTrainSteps);
  EXPECT_DOUBLE_EQ(ev.distill().fraction(), kDefaultDistillFraction);
  EXPECT_DOUBLE_EQ(ev.distill().alpha(), kDefaultDistillAlpha);
  EXPECT_DOUBLE_EQ(ev.distill().temperature(), kDefaultDistillTemperature);
  EXPECT_EQ(ev.finalize().top_k(), kDefaultFinalizeTopK);
  EXPECT_EQ(ev.finalize().train_steps(), kDefaultFinalizeTrainSteps);
  EXPECT_FALSE(ev.has_supernet());

  spec = Minimal();
  spec.mutable_evaluation()->set_mode("supernet");
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_EQ(spec.evaluation().supernet().train_steps(), kDefaultSupernetTrainSteps);
  EXPECT_EQ(spec.evaluation().supernet().calibration_examples(), kDefaultCalibrationExamples);
  EXPECT_FALSE(spec.evaluation().has_teacher());

  spec = Minimal();
  spec.mutable_evaluation()->set_mode("supernet");
  spec.mutable_evaluation()->mutable_finalize()->set_top_k(-1);  // no finalists
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_EQ(spec.evaluation().finalize().top_k(), -1);
}

TEST(NormalizeJobSpec, ProxySettingsRefusedNamingTheField) {
  v1::JobSpec s = Minimal();
  s.mutable_evaluation()->mutable_teacher()->set_channels(8);
  ExpectRefused(s, "job.evaluation.teacher");  // full_train has no teacher

  s = Minimal();
  s.mutable_evaluation()->set_mode("supernet");
  s.mutable_evaluation()->mutable_distill()->set_alpha(0.3);
  ExpectRefused(s, "job.evaluation.distill");

  s = Minimal();
  s.mutable_evaluation()->mutable_finalize()->set_top_k(2);
  ExpectRefused(s, "job.evaluation.finalize");  // finalists only in proxy modes

  s = Minimal();
  s.mutable_evaluation()->set_mode("flash_distill");
  s.mutable_evaluation()->mutable_distill()->set_alpha(1.5);
  ExpectRefused(s, "job.evaluation.distill.alpha");

  s = Minimal();
  s.mutable_evaluation()->set_mode("flash_distill");
  s.mutable_evaluation()->mutable_distill()->set_fraction(2.0);
  ExpectRefused(s, "job.evaluation.distill.fraction");

  s = Minimal();
  s.mutable_evaluation()->set_mode("flash_distill");
  s.mutable_evaluation()->mutable_distill()->set_temperature(
      std::numeric_limits<double>::quiet_NaN());
  ExpectRefused(s, "job.evaluation.distill.temperature");

  s = Minimal();
  s.mutable_evaluation()->set_mode("flash_distill");
  s.mutable_evaluation()->mutable_teacher()->set_arch("|bogus~0|");
  ExpectRefused(s, "job.evaluation.teacher.arch");

  s = Minimal();
  s.mutable_evaluation()->set_mode("supernet");
  s.mutable_evaluation()->mutable_supernet()->set_calibration_examples(-3);
  ExpectRefused(s, "job.evaluation.supernet.calibration_examples");

  s = Minimal();
  s.mutable_evaluation()->set_mode("supernet");
  s.mutable_evaluation()->mutable_finalize()->set_top_k(-2);
  ExpectRefused(s, "job.evaluation.finalize.top_k");
}

// A multi-fidelity job defaults to supernet then flash distillation with
// eta 3, and gets the settings of every method its rungs use.
TEST(NormalizeJobSpec, MultiFidelityDefaultsAndRungSettings) {
  v1::JobSpec spec = Minimal();
  spec.mutable_evaluation()->set_mode("multi_fidelity");
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  const auto& ev = spec.evaluation();
  EXPECT_THAT(ev.multi_fidelity().rungs(), ElementsAre("supernet", "flash_distill"));
  EXPECT_DOUBLE_EQ(ev.multi_fidelity().reduction_factor(), kDefaultReductionFactor);
  EXPECT_EQ(ev.supernet().train_steps(), kDefaultSupernetTrainSteps);
  EXPECT_EQ(ev.teacher().train_steps(), kDefaultTeacherTrainSteps);
  EXPECT_EQ(ev.finalize().top_k(), kDefaultFinalizeTopK);

  spec = Minimal();
  spec.mutable_evaluation()->set_mode("multi_fidelity");
  spec.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("supernet");
  spec.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("full_train");
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_FALSE(spec.evaluation().has_teacher());  // no flash_distill rung
}

TEST(NormalizeJobSpec, MultiFidelitySettingsRefusedNamingTheField) {
  v1::JobSpec s = Minimal();
  s.mutable_evaluation()->mutable_multi_fidelity()->set_reduction_factor(2);
  ExpectRefused(s, "job.evaluation.multi_fidelity");  // full_train mode has no rungs

  s = Minimal();
  s.mutable_evaluation()->set_mode("multi_fidelity");
  s.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("supernet");
  s.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("table");
  ExpectRefused(s, "job.evaluation.multi_fidelity.rungs[1]");

  s = Minimal();
  s.mutable_evaluation()->set_mode("multi_fidelity");
  s.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("supernet");
  s.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("supernet");
  ExpectRefused(s, "job.evaluation.multi_fidelity.rungs[1]");

  s = Minimal();
  s.mutable_evaluation()->set_mode("multi_fidelity");
  s.mutable_evaluation()->mutable_multi_fidelity()->set_reduction_factor(1.0);
  ExpectRefused(s, "job.evaluation.multi_fidelity.reduction_factor");

  s = Minimal();
  s.mutable_evaluation()->set_mode("multi_fidelity");
  s.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("supernet");
  s.mutable_evaluation()->mutable_multi_fidelity()->add_rungs("full_train");
  s.mutable_evaluation()->mutable_distill()->set_alpha(0.3);
  ExpectRefused(s, "job.evaluation.distill");  // no flash_distill rung
}

// Oversized specs are refused before anything reads them, naming the field
// that holds the bytes.
TEST(NormalizeJobSpec, RefusesOversizedSpecsNamingTheField) {
  v1::JobSpec s = Minimal();
  s.mutable_dataset()->set_path(std::string(2 << 20, 'p'));
  ExpectRefused(s, "job.dataset: holds");

  s = Minimal();
  for (int i = 0; i <= kMaxInitialArchitectures; ++i) s.add_initial_architectures("|x~0|");
  ExpectRefused(s, "job.initial_architectures: at most 10000 entries");

  s = Minimal();
  s.add_initial_architectures(std::string(kMaxArchitectureChars + 1, 'a'));
  ExpectRefused(s, "job.initial_architectures[0]: at most 1024 characters");

  s = Minimal();
  s.set_name(std::string(300, 'n'));
  ExpectRefused(s, "job.name");
}

}  // namespace
}  // namespace edgenas
