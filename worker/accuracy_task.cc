#include "worker/accuracy_task.h"

#include <utility>

#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/util/json_util.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/data_roots.h"
#include "common/datasets.h"
#include "common/job_defaults.h"
#include "common/job_fatal.h"
#include "common/job_spec.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "worker/accuracy_methods.h"

namespace edgenas {
namespace {

// The proto's 0 means "default"; negative values are refused naming the field.
absl::StatusOr<int> OrDefault(int value, int fallback, const char* field) {
  if (value < 0) return absl::InvalidArgumentError(absl::StrCat(field, ": ", value, " < 0"));
  return value == 0 ? fallback : value;
}

double OrDefault(double value, double fallback) { return value == 0.0 ? fallback : value; }

v1::Metric ToProto(const ReportedMetric& m) {
  v1::Metric metric;
  metric.set_name(m.name);
  metric.set_value(m.value);
  metric.set_source(m.source);
  metric.set_steps(m.steps);
  metric.set_cost_seconds(m.cost_seconds);
  metric.set_std_error(m.std_error);
  metric.set_method(m.method);
  return metric;
}

v1::DatasetCard CardToProto(const DatasetCardInfo& info) {
  v1::DatasetCard card;
  card.set_dataset(info.dataset);
  card.set_path(info.path);
  card.set_fingerprint(info.fingerprint);
  for (const std::string& name : info.class_names) card.add_class_names(name);
  card.set_channels(info.channels);
  card.set_image_size(info.image_size);
  for (double m : info.mean) card.add_mean(m);
  for (double s : info.std) card.add_std(s);
  card.set_normalization_source(info.normalization_source);
  card.set_train_examples(info.train_examples);
  card.set_validation_examples(info.validation_examples);
  card.set_test_examples(info.test_examples);
  card.set_split(info.split);
  card.set_upscaled(info.upscaled);
  card.set_augment(info.augment);
  return card;
}

// Jobs whose stored card this process has already matched, with the
// fingerprint matched: a task reading the same content skips the download.
ABSL_CONST_INIT absl::Mutex verified_mu(absl::kConstInit);
std::set<std::string>& VerifiedCards() ABSL_EXCLUSIVE_LOCKS_REQUIRED(verified_mu) {
  static auto* verified = new std::set<std::string>();
  return *verified;
}

}  // namespace

absl::Status CheckDatasetCard(const ArtifactAccess& artifacts, const std::string& job_id,
                              const DatasetCardInfo& info) {
  const std::string key = absl::StrCat(job_id, "/", info.fingerprint);
  {
    absl::MutexLock lock(&verified_mu);
    if (VerifiedCards().count(key) > 0) return absl::OkStatus();
  }
  absl::StatusOr<std::string> stored = artifacts.download(job_id, kArtifactDatasetCard);
  bool stored_now = false;
  if (absl::IsNotFound(stored.status())) {
    std::string json;
    google::protobuf::util::JsonPrintOptions print;
    print.add_whitespace = true;
    print.preserve_proto_field_names = true;
    if (const auto s = google::protobuf::util::MessageToJsonString(CardToProto(info), &json, print);
        !s.ok()) {
      return absl::InternalError(absl::StrCat("dataset card: ", s.ToString()));
    }
    absl::Status uploaded = artifacts.upload(job_id, kArtifactDatasetCard, json);
    // FAILED_PRECONDITION: another task set a different card meanwhile (a
    // ref is set once); compare with it below instead.
    if (absl::IsFailedPrecondition(uploaded)) {
      stored = artifacts.download(job_id, kArtifactDatasetCard);
    } else {
      RETURN_IF_ERROR(uploaded);
      stored_now = true;
    }
  }
  if (stored_now) {
    // This task's card is the job's.
  } else if (!stored.ok()) {
    return stored.status();
  } else {
    v1::DatasetCard card;
    google::protobuf::util::JsonParseOptions parse;
    parse.ignore_unknown_fields = true;
    if (const auto s = google::protobuf::util::JsonStringToMessage(*stored, &card, parse);
        !s.ok()) {
      return absl::DataLossError(
          absl::StrCat("the job's ", kArtifactDatasetCard, " artifact: ", s.ToString()));
    }
    if (card.fingerprint() != info.fingerprint) {
      return MarkJobFatal(absl::FailedPreconditionError(absl::StrCat(
          "dataset changed since the job started: ", info.path, " now has fingerprint ",
          info.fingerprint.substr(0, 16), " (", info.train_examples, " train, ",
          info.validation_examples, " validation, ", info.test_examples,
          " test images); the job's dataset card says ", card.fingerprint().substr(0, 16), " (",
          card.train_examples(), " train, ", card.validation_examples(), " validation, ",
          card.test_examples(), " test)")));
    }
  }
  absl::MutexLock lock(&verified_mu);
  VerifiedCards().insert(key);
  return absl::OkStatus();
}

absl::StatusOr<AccuracyPlan> PlanFromTask(const v1::Task& task) {
  if (task.kind() != v1::TASK_ACCURACY) {
    return absl::InvalidArgumentError(
        absl::StrCat("task.kind: expected TASK_ACCURACY, got ", v1::TaskKind_Name(task.kind())));
  }
  const v1::JobSpec& spec = task.spec();
  // Job-level tasks (teacher, supernet) carry no candidate, so no space of
  // their own: the job's space applies.
  const std::string& task_space = task.space().empty() ? spec.space().name() : task.space();
  if (task_space.empty()) return absl::InvalidArgumentError("task.space: required");
  AccuracyPlan plan;
  plan.operation = task.operation();
  plan.job_id = task.job_id();
  plan.candidate_id = task.candidate_id();
  plan.arch = task.arch();
  plan.job_seed = spec.seed();
  ASSIGN_OR_RETURN(plan.space, SpaceConfigFromSpec(spec.space(), task_space));
  const auto& eval = spec.evaluation();
  plan.mode = eval.mode().empty() ? "full_train" : eval.mode();
  ASSIGN_OR_RETURN(plan.train_steps,
                   OrDefault(eval.train_steps(), kDefaultTrainSteps, "evaluation.train_steps"));
  ASSIGN_OR_RETURN(plan.batch_size,
                   OrDefault(eval.batch_size(), kDefaultBatchSize, "evaluation.batch_size"));
  if (eval.learning_rate() < 0.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluation.learning_rate: ", eval.learning_rate(), " < 0"));
  }
  plan.learning_rate = OrDefault(eval.learning_rate(), kDefaultLearningRate);
  ASSIGN_OR_RETURN(plan.validation_examples,
                   OrDefault(eval.validation_examples(), kDefaultValidationExamples,
                             "evaluation.validation_examples"));
  ASSIGN_OR_RETURN(plan.full_steps, OrDefault(eval.finalize().train_steps(),
                                              kDefaultFinalizeTrainSteps,
                                              "evaluation.finalize.train_steps"));
  const auto& teacher = eval.teacher();
  if (teacher.channels() < 0 || teacher.cells_per_stage() < 0) {
    return absl::InvalidArgumentError("evaluation.teacher: widths must be >= 0");
  }
  // Only the teacher and distillation use it; specs built by hand may leave
  // it unset: the space's default teacher.
  const bool distills =
      plan.operation == kOpTrainTeacher || plan.operation == kOpFlashDistill ||
      (plan.operation.empty() && spec.evaluation().mode() == kOpFlashDistill);
  if (distills || !teacher.arch().empty()) {
    SpaceConfig job_space = plan.space;
    if (!spec.space().name().empty()) {
      ASSIGN_OR_RETURN(job_space, SpaceConfigFromSpec(spec.space()));
    }
    ASSIGN_OR_RETURN(const ResolvedTeacher resolved,
                     ResolveTeacher(job_space, teacher.arch(), teacher.channels(),
                                    teacher.cells_per_stage()));
    plan.teacher_arch = resolved.arch;
    plan.teacher_channels = resolved.channels;
    plan.teacher_cells_per_stage = resolved.cells_per_stage;
  }
  ASSIGN_OR_RETURN(plan.teacher_steps, OrDefault(teacher.train_steps(), kDefaultTeacherTrainSteps,
                                                 "evaluation.teacher.train_steps"));
  const auto& distill = eval.distill();
  plan.distill_fraction = OrDefault(distill.fraction(), kDefaultDistillFraction);
  plan.distill_alpha = OrDefault(distill.alpha(), kDefaultDistillAlpha);
  plan.distill_temperature = OrDefault(distill.temperature(), kDefaultDistillTemperature);
  plan.feature_weight = distill.feature_weight();
  ASSIGN_OR_RETURN(plan.supernet_steps,
                   OrDefault(eval.supernet().train_steps(), kDefaultSupernetTrainSteps,
                             "evaluation.supernet.train_steps"));
  ASSIGN_OR_RETURN(plan.calibration_examples,
                   OrDefault(eval.supernet().calibration_examples(), kDefaultCalibrationExamples,
                             "evaluation.supernet.calibration_examples"));
  const auto& dataset = spec.dataset();
  ASSIGN_OR_RETURN(plan.input, InputShapeOf(dataset));
  plan.dataset_dir = dataset.path();
  plan.dataset.name = dataset.name();
  plan.dataset.path = dataset.path();
  plan.dataset.image_size = dataset.image_size();
  plan.dataset.channels = plan.input.channels;
  plan.dataset.class_names.assign(dataset.class_names().begin(), dataset.class_names().end());
  plan.dataset.mean.assign(dataset.mean().begin(), dataset.mean().end());
  plan.dataset.std.assign(dataset.std().begin(), dataset.std().end());
  // Specs normalised before these fields existed (or built by hand) read 0.
  plan.dataset.val_fraction =
      dataset.val_fraction() > 0.0 ? dataset.val_fraction() : kDefaultSplitFraction;
  plan.dataset.test_fraction =
      dataset.test_fraction() > 0.0 ? dataset.test_fraction() : kDefaultSplitFraction;
  plan.dataset.split_seed = dataset.split_seed();
  plan.dataset.augment = !dataset.augment().empty()          ? dataset.augment()
                         : dataset.name() == kImageFolderName ? kAugmentCropFlip
                                                              : kAugmentNone;
  // Refuse a bad architecture before loading the dataset.
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> space, CreateSearchSpace(plan.space));
  const bool job_level = plan.operation == kOpTrainTeacher || plan.operation == kOpTrainSupernet;
  if (!job_level) {
    absl::StatusOr<Architecture> arch = space->Parse(task.arch());
    if (!arch.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("task.arch: ", arch.status().message()));
    }
  }
  if (plan.operation == kOpTrainTeacher) {
    absl::StatusOr<Architecture> arch = space->Parse(plan.teacher_arch);
    if (!arch.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("evaluation.teacher.arch: ", arch.status().message()));
    }
  }
  return plan;
}

absl::Status CheckTaskDataPaths(const v1::Task& task, const std::vector<std::string>& data_roots,
                                const std::string& dataset_override) {
  if (data_roots.empty()) return absl::OkStatus();
  const v1::JobSpec& spec = task.spec();
  if (spec.evaluation().mode() == "table") {
    return CheckUnderDataRoots(spec.evaluation().table().path(), data_roots,
                               "evaluation.table.path");
  }
  if (!dataset_override.empty()) return absl::OkStatus();
  const std::string& path = spec.dataset().path();
  return CheckUnderDataRoots(path.empty() ? std::string(kDefaultDatasetPath) : path, data_roots,
                             "dataset.path");
}

absl::StatusOr<TaskOutcome> RunAccuracyTask(const v1::Task& task,
                                            const AccuracyTaskOptions& options,
                                            const std::atomic<bool>* cancel) {
  ASSIGN_OR_RETURN(AccuracyPlan plan, PlanFromTask(task));
  MethodOptions method;
  method.threads = options.threads;
  method.allow_cuda = options.allow_cuda;
  method.dataset_dir = options.dataset_dir;
  method.artifacts = options.artifacts;
  method.data_roots = options.data_roots;
  if (options.artifacts.upload && options.artifacts.download) {
    const ArtifactAccess artifacts = options.artifacts;
    method.check_dataset_card = [artifacts](const std::string& job_id,
                                            const DatasetCardInfo& card) {
      return CheckDatasetCard(artifacts, job_id, card);
    };
  }
  ASSIGN_OR_RETURN(AccuracyReport report, RunAccuracyPlan(plan, method, cancel));
  TaskOutcome outcome;
  for (const ReportedMetric& m : report.metrics) outcome.metrics.push_back(ToProto(m));
  outcome.notes = std::move(report.notes);
  return outcome;
}

}  // namespace edgenas
