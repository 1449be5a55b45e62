#include "worker/accuracy_task.h"

#include <chrono>
#include <exception>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/job_spec.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/model/nb201_model.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "worker/fashion_mnist.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

// Weight initialisation draws from LibTorch's global generator, so seeding
// and building are one critical section when tasks run on several threads.
ABSL_CONST_INIT absl::Mutex build_mu(absl::kConstInit);

// Fashion-MNIST: 28x28 grayscale images in 10 classes.
constexpr int kInChannels = 1;
constexpr int kNumClasses = 10;

// The proto's 0 means "default"; negative values are refused naming the field.
absl::StatusOr<int> OrDefault(int value, int fallback, const char* field) {
  if (value < 0) return absl::InvalidArgumentError(absl::StrCat(field, ": ", value, " < 0"));
  return value == 0 ? fallback : value;
}

struct RunPlan {
  SpaceConfig space;
  TrainOptions train;
  int validation_examples = kDefaultValidationExamples;
  std::string dataset_dir;
};

absl::StatusOr<RunPlan> PlanFromSpec(const edgenas::v1::JobSpec& spec,
                                     absl::string_view task_space,
                                     const AccuracyTaskOptions& options) {
  RunPlan plan;
  ASSIGN_OR_RETURN(plan.space, SpaceConfigFromSpec(spec.space(), task_space));
  const auto& eval = spec.evaluation();
  if (!eval.mode().empty() && eval.mode() != "full_train") {
    return absl::InvalidArgumentError(absl::StrCat(
        "evaluation.mode: worker runs \"full_train\" tasks, got \"", eval.mode(), "\""));
  }
  ASSIGN_OR_RETURN(plan.train.steps,
                   OrDefault(eval.train_steps(), kDefaultTrainSteps, "evaluation.train_steps"));
  ASSIGN_OR_RETURN(plan.train.batch_size,
                   OrDefault(eval.batch_size(), kDefaultBatchSize, "evaluation.batch_size"));
  if (eval.learning_rate() < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation.learning_rate: ", eval.learning_rate(), " < 0"));
  }
  plan.train.learning_rate =
      eval.learning_rate() == 0.0 ? kDefaultLearningRate : eval.learning_rate();
  ASSIGN_OR_RETURN(plan.validation_examples,
                   OrDefault(eval.validation_examples(), kDefaultValidationExamples,
                             "evaluation.validation_examples"));
  const auto& dataset = spec.dataset();
  if (!dataset.name().empty() && dataset.name() != "fashion_mnist") {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset.name: unknown dataset \"", dataset.name(), "\"; known: fashion_mnist"));
  }
  plan.dataset_dir = !options.dataset_dir.empty() ? options.dataset_dir
                     : !dataset.path().empty()    ? dataset.path()
                                                  : std::string(kDefaultFashionMnistDir);
  plan.train.threads = options.threads;
  plan.train.allow_cuda = options.allow_cuda;
  return plan;
}

edgenas::v1::Metric MakeMetric(const char* name, double value, const std::string& source) {
  edgenas::v1::Metric metric;
  metric.set_name(name);
  metric.set_value(value);
  metric.set_source(source);
  return metric;
}

absl::StatusOr<TaskOutcome> RunChecked(const edgenas::v1::Task& task,
                                       const AccuracyTaskOptions& options,
                                       const std::atomic<bool>* cancel) {
  if (task.kind() != edgenas::v1::TASK_ACCURACY) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.kind: expected TASK_ACCURACY, got ", edgenas::v1::TaskKind_Name(task.kind())));
  }
  if (task.space().empty()) return absl::InvalidArgumentError("task.space: required");
  ASSIGN_OR_RETURN(RunPlan plan, PlanFromSpec(task.spec(), task.space(), options));
  // Refuse a bad architecture before loading the dataset; BuildModel parses again.
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> space, CreateSearchSpace(plan.space.name));
  absl::StatusOr<Architecture> arch = space->Parse(task.arch());
  if (!arch.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("task.arch: ", arch.status().message()));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker threads: ", options.threads, " must be >= 1"));
  }

  ASSIGN_OR_RETURN(std::shared_ptr<const FashionMnist> data,
                   LoadFashionMnistCached(plan.dataset_dir));
  ASSIGN_OR_RETURN(TrainValidationSplit split,
                   SplitValidation(data->train, plan.validation_examples));
  if (cancel != nullptr && cancel->load()) return absl::CancelledError("task cancelled");

  // Keyed by the architecture, not the candidate id (which embeds the random
  // job id): the same job spec trains the same cell identically every run.
  const uint64_t seed = DeriveRunSeed(task.spec().seed(), task.arch());
  plan.train.seed = seed;
  torch::nn::AnyModule model;
  {
    absl::MutexLock lock(&build_mu);
    SeedTorch(seed);
    ASSIGN_OR_RETURN(model, BuildModel(plan.space, task.arch(), kInChannels, kNumClasses));
  }
  const int64_t params = CountParameters(*model.ptr());

  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(TrainResult result,
                   TrainAndEvaluate(model, split.train, split.validation, plan.train, cancel));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const std::string source = absl::StrCat("worker:full_train:", result.device);
  TaskOutcome outcome;
  outcome.metrics.push_back(MakeMetric(kMetricAccuracy, result.accuracy, source));
  outcome.metrics.push_back(MakeMetric(kMetricParams, static_cast<double>(params), source));
  outcome.metrics.push_back(MakeMetric(kMetricTrainSeconds, seconds, source));
  outcome.notes.push_back(absl::StrCat("device=", result.device, " threads=", options.threads));
  outcome.notes.push_back(absl::StrFormat(
      "steps=%d batch_size=%d lr=%g final_loss=%.4f", result.steps, plan.train.batch_size,
      plan.train.learning_rate, result.final_loss));
  outcome.notes.push_back(absl::StrCat("train_examples=", result.train_examples,
                                       " validation_examples=", result.validation_examples,
                                       " (last of the training set)"));
  outcome.notes.push_back(absl::StrFormat("sgd_seconds=%.3f eval_seconds=%.3f",
                                          result.train_seconds, result.eval_seconds));
  return outcome;
}

}  // namespace

absl::StatusOr<TaskOutcome> RunAccuracyTask(const edgenas::v1::Task& task,
                                            const AccuracyTaskOptions& options,
                                            const std::atomic<bool>* cancel) {
  // The pieces convert LibTorch errors themselves; this is the last guard
  // so that nothing throws out of the worker's task loop.
  try {
    return RunChecked(task, options, cancel);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat("accuracy task: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("accuracy task: ", e.what()));
  }
}

}  // namespace edgenas
