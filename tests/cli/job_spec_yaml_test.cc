// Job spec YAML: the documented example, strict shape/type errors with paths
// and lines, and the example files in examples/.
#include "cli/job_spec_yaml.h"

#include <string>
#include <utility>
#include <vector>

#include "common/job_spec.h"
#include "coordinator/evaluators/evaluator.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr char kFullExample[] = R"(name: fashion-mnist-nb201
space: {name: nb201, cells_per_stage: 1, channels: 16}
strategy: {name: regularized_evolution, population_size: 8, sample_size: 3}
objectives:
  - {metric: accuracy, direction: maximize}
  - {metric: latency_ms, direction: minimize, device_class: cpu}
constraints:
  - {metric: latency_ms, max_value: 5.0, device_class: cpu}
evaluation: {mode: full_train, train_steps: 150, batch_size: 64, learning_rate: 0.05, validation_examples: 2000}
dataset: {name: fashion_mnist, path: /usr/share/datasets/fashion-mnist}
latency: {warmup_ms: 200, min_runs: 20, max_runs: 200, threads: 1, batch_size: 1}
budget: {max_evaluations: 24, max_wall_seconds: 900}
parallelism: 2
seed: 1
max_attempts: 3
lease_seconds: 60
)";

constexpr char kFullExampleProto[] = R"pb(
  name: "fashion-mnist-nb201"
  space { name: "nb201" cells_per_stage: 1 channels: 16 }
  strategy { name: "regularized_evolution" population_size: 8 sample_size: 3 }
  objectives { metric: "accuracy" direction: MAXIMIZE }
  objectives { metric: "latency_ms" direction: MINIMIZE device_class: "cpu" }
  constraints { metric: "latency_ms" max_value: 5.0 device_class: "cpu" }
  evaluation {
    mode: "full_train"
    train_steps: 150
    batch_size: 64
    learning_rate: 0.05
    validation_examples: 2000
  }
  dataset { name: "fashion_mnist" path: "/usr/share/datasets/fashion-mnist" }
  latency { warmup_ms: 200 min_runs: 20 max_runs: 200 threads: 1 batch_size: 1 }
  budget { max_evaluations: 24 max_wall_seconds: 900 }
  parallelism: 2
  seed: 1
  max_attempts: 3
  lease_seconds: 60
)pb";

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(yaml);
  EXPECT_FALSE(spec.ok()) << "parsed unexpectedly: " << yaml;
  if (spec.ok()) return "";
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(spec.status().message());
}

// The example from the docs becomes exactly the expected message.
TEST(ParseJobSpecYaml, FullExampleParsesIntoExpectedProto) {
  v1::JobSpec expected;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kFullExampleProto, &expected));
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(kFullExample);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*spec, expected))
      << "got:\n" << spec->DebugString() << "want:\n" << expected.DebugString();
  EXPECT_TRUE(spec->constraints(0).has_max_value());
  EXPECT_FALSE(spec->constraints(0).has_min_value());
}

// An unknown key names its path, the known fields and the line.
TEST(ParseJobSpecYaml, UnknownKeyRefusedWithPathKnownFieldsAndLine) {
  const std::string error = ErrorOf(
      "name: x\nobjectives:\n  - {metric: accuracy}\n  - {metrc: latency_ms}\n");
  EXPECT_THAT(error,
              HasSubstr("objectives[1].metrc: unknown field; known: metric, direction, device_class"));
  EXPECT_THAT(error, HasSubstr("(line 4)"));
  EXPECT_THAT(ErrorOf("nmae: x\n"), HasSubstr("nmae: unknown field; known: name, space"));
}

// A wrong scalar type names the path, the expected type and the value.
TEST(ParseJobSpecYaml, WrongTypeRefusedWithPathAndExpectedType) {
  const std::string error = ErrorOf("budget:\n  max_evaluations: lots\n");
  EXPECT_THAT(error, HasSubstr("budget.max_evaluations: expected an integer, got \"lots\""));
  EXPECT_THAT(error, HasSubstr("(line 2)"));
  EXPECT_THAT(ErrorOf("budget: {max_evaluations: 2.5}"),
              HasSubstr("budget.max_evaluations: expected an integer, got \"2.5\""));
  EXPECT_THAT(ErrorOf("evaluation: {learning_rate: fast}"),
              HasSubstr("evaluation.learning_rate: expected a number, got \"fast\""));
  EXPECT_THAT(ErrorOf("name: {a: 1}"), HasSubstr("name: expected a string, got a map"));
  EXPECT_THAT(ErrorOf("space: nb201"), HasSubstr("space: expected a map, got \"nb201\""));
  EXPECT_THAT(ErrorOf("objectives: {metric: accuracy}"),
              HasSubstr("objectives: expected a list, got a map"));
  EXPECT_THAT(ErrorOf("seed: -1"), HasSubstr("seed: expected a non-negative integer"));
  EXPECT_THAT(ErrorOf("parallelism: 99999999999"), HasSubstr("parallelism: integer"));
  EXPECT_THAT(ErrorOf("parallelism:"), HasSubstr("parallelism: expected an integer, got null"));
}

// A quoted number is a string in YAML and so not an integer.
TEST(ParseJobSpecYaml, QuotedNumberRefusedForIntegerField) {
  EXPECT_THAT(ErrorOf("seed: \"5\""), HasSubstr("seed: expected a non-negative integer"));
}

// Directions are maximize or minimize; anything else is refused.
TEST(ParseJobSpecYaml, BadDirectionRefused) {
  EXPECT_THAT(ErrorOf("objectives:\n  - {metric: accuracy, direction: up}\n"),
              HasSubstr("objectives[0].direction: expected one of maximize, minimize, got \"up\""));
  EXPECT_THAT(ErrorOf("objectives:\n  - {metric: accuracy, direction: direction_unspecified}\n"),
              HasSubstr("objectives[0].direction: expected one of maximize, minimize"));
}

// Empty, comment-only and non-map documents are refused.
TEST(ParseJobSpecYaml, EmptyAndNonMapRootRefused) {
  EXPECT_THAT(ErrorOf(""), HasSubstr("job spec is empty"));
  EXPECT_THAT(ErrorOf("# only a comment\n"), HasSubstr("job spec is empty"));
  EXPECT_THAT(ErrorOf("- name: x\n"), HasSubstr("job spec: expected a map"));
  EXPECT_THAT(ErrorOf("just words"), HasSubstr("job spec: expected a map"));
}

// Syntax errors, duplicate keys and several documents are refused.
TEST(ParseJobSpecYaml, MalformedYamlRefused) {
  EXPECT_THAT(ErrorOf("name: x\nspace: {name: nb201\n"), HasSubstr("not valid YAML"));
  EXPECT_THAT(ErrorOf("name: x\nname: y\n"), HasSubstr("name: field given twice (line 2)"));
  EXPECT_THAT(ErrorOf("name: x\n---\nname: y\n"), HasSubstr("expected one YAML document"));
}

// A minimal spec leaves everything else at proto defaults.
TEST(ParseJobSpecYaml, MinimalSpecParses) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml("name: x\nobjectives: []\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "x");
  EXPECT_FALSE(spec->has_budget());
}

// Fields added to the proto later are read with no parser change.
TEST(ParseJobSpecYaml, NewerFieldsNeedNoParserChange) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(
      "objectives:\n  - {metric: latency_ms, direction: minimize, reference: 10}\n"
      "initial_architectures:\n  - \"|nor_conv_3x3~0|+|skip_connect~0|none~1|\"\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_DOUBLE_EQ(spec->objectives(0).reference(), 10.0);
  ASSERT_EQ(spec->initial_architectures_size(), 1);
  EXPECT_EQ(spec->initial_architectures(0), "|nor_conv_3x3~0|+|skip_connect~0|none~1|");
}

// Space options are a YAML map of settings; values are kept as text.
TEST(ParseJobSpecYaml, SpaceOptionsMapParses) {
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(
      "name: x\nspace: {name: nb201, options: {cells_per_stage: 2, channels: 8}}\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->space().options().at("cells_per_stage"), "2");
  EXPECT_EQ(spec->space().options().at("channels"), "8");
  EXPECT_EQ(spec->space().channels(), 0);
}

// A list option may be a YAML list; it is kept as comma-joined text.
TEST(ParseJobSpecYaml, SpaceListOptionsJoinAsText) {
  absl::StatusOr<v1::JobSpec> spec =
      ParseJobSpecYaml("name: x\nspace: {name: mbv3, options: {kernels: [3, 5, 7], depths: \"2,3\"}}\n");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->space().options().at("kernels"), "3,5,7");
  EXPECT_EQ(spec->space().options().at("depths"), "2,3");
}

// Space options must be a map with each key given once.
TEST(ParseJobSpecYaml, SpaceOptionsShapeErrorsNameThePath) {
  EXPECT_THAT(ErrorOf("space: {name: nb201, options: [1, 2]}"),
              HasSubstr("space.options: expected a map, got a list"));
  EXPECT_THAT(ErrorOf("space: {name: nb201, options: {channels: [[8]]}}"),
              HasSubstr("space.options.channels: expected plain values, got a list"));
  EXPECT_THAT(ErrorOf("space: {name: nb201, options: {channels: {a: 8}}}"),
              HasSubstr("space.options.channels: expected a string, got a map"));
  EXPECT_THAT(ErrorOf("space: {name: nb201, options: {channels: 8, channels: 9}}"),
              HasSubstr("space.options.channels: key given twice"));
}

// A scalarized table job with strategy params becomes exactly the expected
// message: enum words are lower-cased value names, and param values are
// kept as text whether quoted or plain numbers.
TEST(ParseJobSpecYaml, ScalarizedTableJobWithParamsParses) {
  constexpr char kYaml[] = R"(name: nb201-scalarized
objective_mode: scalarized
space: {name: nb201}
strategy:
  name: bayesian
  params: {acquisition: ucb, initial: "5", ucb_beta: 2.5, refit_every: 3}
objectives:
  - {metric: accuracy, direction: maximize}
  - {metric: latency_ms, direction: minimize, device_class: rpi5, target: 5, weight: -0.07}
evaluation:
  mode: table
  table:
    path: /data/nb201.csv
    accuracy_column: cifar10_valid
    arch_column: arch_str
    accuracy_scale: 0.01
budget: {max_evaluations: 50}
)";
  constexpr char kProto[] = R"pb(
    name: "nb201-scalarized"
    objective_mode: SCALARIZED
    space { name: "nb201" }
    strategy {
      name: "bayesian"
      params { key: "acquisition" value: "ucb" }
      params { key: "initial" value: "5" }
      params { key: "ucb_beta" value: "2.5" }
      params { key: "refit_every" value: "3" }
    }
    objectives { metric: "accuracy" direction: MAXIMIZE }
    objectives {
      metric: "latency_ms"
      direction: MINIMIZE
      device_class: "rpi5"
      target: 5
      weight: -0.07
    }
    evaluation {
      mode: "table"
      table {
        path: "/data/nb201.csv"
        accuracy_column: "cifar10_valid"
        arch_column: "arch_str"
        accuracy_scale: 0.01
      }
    }
    budget { max_evaluations: 50 }
  )pb";
  v1::JobSpec expected;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kProto, &expected));
  absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(kYaml);
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*spec, expected))
      << "got:\n" << spec->DebugString() << "want:\n" << expected.DebugString();
  // Presence matters: objectives[0] has neither target nor weight.
  EXPECT_FALSE(spec->objectives(0).has_target());
  EXPECT_FALSE(spec->objectives(0).has_weight());
  EXPECT_TRUE(spec->objectives(1).has_target());
  EXPECT_TRUE(spec->objectives(1).has_weight());
}

// Every objective mode has its word; an unknown word lists them.
TEST(ParseJobSpecYaml, ObjectiveModeWords) {
  const std::vector<std::pair<std::string, v1::ObjectiveMode>> words = {
      {"pareto", v1::PARETO}, {"scalarized", v1::SCALARIZED}, {"lexicographic", v1::LEXICOGRAPHIC}};
  for (const auto& [word, mode] : words) {
    absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml("objective_mode: " + word + "\n");
    ASSERT_TRUE(spec.ok()) << word << ": " << spec.status();
    EXPECT_EQ(spec->objective_mode(), mode) << word;
  }
  EXPECT_THAT(ErrorOf("objective_mode: weighted\n"),
              HasSubstr("objective_mode: expected one of pareto, scalarized, lexicographic, got "
                        "\"weighted\""));
}

// Strategy params must be a map of scalars, each key once.
TEST(ParseJobSpecYaml, StrategyParamsShapeErrorsNameThePath) {
  EXPECT_THAT(ErrorOf("strategy: {name: bayesian, params: [initial, 5]}"),
              HasSubstr("strategy.params: expected a map, got a list"));
  EXPECT_THAT(ErrorOf("strategy: {name: bayesian, params: {initial: [5]}}"),
              HasSubstr("strategy.params.initial: expected a string, got a list"));
  EXPECT_THAT(ErrorOf("strategy: {name: bayesian, params: {initial: 5, initial: 6}}"),
              HasSubstr("strategy.params.initial: key given twice"));
  EXPECT_THAT(ErrorOf("objectives:\n  - {metric: latency_ms, target: fast}\n"),
              HasSubstr("objectives[0].target: expected a number, got \"fast\""));
}

// The flash-distillation example parses into its nested settings and is a
// valid job (the coordinator's rules accept it).
TEST(LoadJobSpecFile, FlashDistillationExampleIsAValidJob) {
  const std::string dir = std::string(EDGENAS_SOURCE_DIR) + "/examples/";
  absl::StatusOr<v1::JobSpec> spec = LoadJobSpecFile(dir + "fashion_mnist_flash_distill.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->evaluation().mode(), "flash_distill");
  EXPECT_EQ(spec->evaluation().teacher().train_steps(), 600);
  EXPECT_DOUBLE_EQ(spec->evaluation().distill().fraction(), 0.1);
  EXPECT_EQ(spec->evaluation().finalize().top_k(), 3);
  EXPECT_TRUE(NormalizeJobSpec(&*spec, RegisteredJobSpecNames()).ok());
}

TEST(LoadJobSpecFile, MultiFidelityExampleIsAValidJob) {
  const std::string dir = std::string(EDGENAS_SOURCE_DIR) + "/examples/";
  absl::StatusOr<v1::JobSpec> spec = LoadJobSpecFile(dir + "fashion_mnist_multi_fidelity.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->evaluation().mode(), "multi_fidelity");
  ASSERT_EQ(spec->evaluation().multi_fidelity().rungs_size(), 2);
  EXPECT_EQ(spec->evaluation().multi_fidelity().rungs(0), "supernet");
  EXPECT_EQ(spec->evaluation().multi_fidelity().rungs(1), "flash_distill");
  EXPECT_DOUBLE_EQ(spec->evaluation().multi_fidelity().reduction_factor(), 3);
  EXPECT_DOUBLE_EQ(spec->evaluation().distill().feature_weight(), 1);
  EXPECT_TRUE(NormalizeJobSpec(&*spec, RegisteredJobSpecNames()).ok());
}

// Found by fuzz/job_spec_fuzzer: yaml-cpp 0.7 never returns on a ',' outside
// a flow collection where a node begins. Each is now refused at once with
// its line and column, and the same text inside quotes or brackets passes.
TEST(ParseJobSpecYaml, RefusesTextThatHangsYamlCppNamingTheLine) {
  for (const char* hang : {",", "  , x", "# comment\n, x\nname: y", "\"x\" , y", "'x'\n, b",
                           "&a , b", "!t , b", "name: a\n---\n, x", "[a], b", " {a: 1}, b",
                           "A \"\n#\n,", "|\n  \n ,", "a: |\n    x\n  ,", "n\n{ #\n,", "n\n\" #\n,"}) {
    absl::StatusOr<v1::JobSpec> spec = ParseJobSpecYaml(hang);
    ASSERT_FALSE(spec.ok()) << hang;
    EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(spec.status().message(), HasSubstr("job spec is not valid YAML here")) << hang;
    EXPECT_THAT(spec.status().message(), HasSubstr("(line ")) << hang;
  }
  EXPECT_THAT(ParseJobSpecYaml("\"\"\"\",\"\"").status().message(),
              HasSubstr("a quoted value must end its node"));
  EXPECT_THAT(ParseJobSpecYaml("!te, so no }").status().message(), HasSubstr("tags (!)"));
  EXPECT_THAT(ParseJobSpecYaml("a: &x [1]\nb: *x").status().message(), HasSubstr("anchors (&)"));
  EXPECT_THAT(ParseJobSpecYaml(std::string("\0, x", 4)).status().message(),
              HasSubstr("control character 0x0"));
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  EXPECT_THAT(ParseJobSpecYaml("name: " + deep).status().message(), HasSubstr("nested deeper"));
  // Commas where YAML allows them still parse.
  absl::StatusOr<v1::JobSpec> fine = ParseJobSpecYaml(
      "name: \"a , b\"  # a comment, with a comma\n"
      "initial_architectures: [\"|x~0|\", '|y~0|']\n"
      "space: {name: nb201, options: {channels: 8}}\n");
  ASSERT_TRUE(fine.ok()) << fine.status();
  EXPECT_EQ(fine->name(), "a , b");
  EXPECT_EQ(fine->initial_architectures_size(), 2);
  absl::StatusOr<v1::JobSpec> plain = ParseJobSpecYaml("name: x, y\n");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->name(), "x, y");
  // A quote inside a plain value is a character, not an opening quote.
  absl::StatusOr<v1::JobSpec> inner = ParseJobSpecYaml("name: 5\" board, \"v2\n");
  ASSERT_TRUE(inner.ok()) << inner.status();
  EXPECT_EQ(inner->name(), "5\" board, \"v2");
}

// Both shipped examples parse.
TEST(LoadJobSpecFile, ExampleFilesParse) {
  const std::string dir = std::string(EDGENAS_SOURCE_DIR) + "/examples/";
  absl::StatusOr<v1::JobSpec> main_job = LoadJobSpecFile(dir + "fashion_mnist_nb201.yaml");
  ASSERT_TRUE(main_job.ok()) << main_job.status();
  EXPECT_EQ(main_job->strategy().name(), "regularized_evolution");
  EXPECT_EQ(main_job->strategy().population_size(), 8);
  EXPECT_EQ(main_job->strategy().sample_size(), 3);
  EXPECT_EQ(main_job->budget().max_evaluations(), 24);
  EXPECT_EQ(main_job->evaluation().train_steps(), 150);
  EXPECT_EQ(main_job->parallelism(), 2);
  EXPECT_EQ(main_job->seed(), 1u);
  ASSERT_EQ(main_job->objectives_size(), 2);
  EXPECT_EQ(main_job->objectives(1).direction(), v1::MINIMIZE);
  EXPECT_EQ(main_job->objectives(1).device_class(), "cpu");
  EXPECT_EQ(main_job->space().options().at("channels"), "8");

  absl::StatusOr<v1::JobSpec> tiny = LoadJobSpecFile(dir + "tiny_test.yaml");
  ASSERT_TRUE(tiny.ok()) << tiny.status();
  EXPECT_EQ(tiny->strategy().name(), "random");
  EXPECT_EQ(tiny->budget().max_evaluations(), 4);
  EXPECT_EQ(tiny->evaluation().train_steps(), 10);
  EXPECT_EQ(tiny->evaluation().validation_examples(), 256);
  EXPECT_EQ(tiny->latency().min_runs(), 5);
  EXPECT_EQ(tiny->latency().max_runs(), 10);
  EXPECT_EQ(tiny->latency().warmup_ms(), 20);
}

// A missing file is NOT_FOUND and names the path.
TEST(LoadJobSpecFile, MissingFileIsNotFound) {
  absl::StatusOr<v1::JobSpec> spec = LoadJobSpecFile("/nonexistent/job.yaml");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(spec.status().message()), HasSubstr("/nonexistent/job.yaml"));
}

}  // namespace
}  // namespace edgenas
