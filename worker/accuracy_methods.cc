#include "worker/accuracy_methods.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include <torch/torch.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/metric_names.h"
#include "common/model/checkpoint.h"
#include "common/model/model_registry.h"
#include "common/model/network_util.h"
#include "common/search_space.h"
#include "common/status_macros.h"
#include "worker/distill_loss.h"
#include "worker/fashion_mnist.h"
#include "worker/method_common.h"
#include "worker/supernet_methods.h"
#include "worker/test_eval_method.h"
#include "worker/trainer.h"

namespace edgenas {
namespace {

// The metrics of a trained network of `arch` in `space`: accuracy, params,
// flops (analytic) and train_seconds, and notes on the run.
void AddTrainingReport(const TrainResult& r, const std::string& source, int64_t params,
                       double seconds, const AccuracyPlan& plan, const SpaceConfig& space,
                       const std::string& arch, AccuracyReport* report) {
  ReportedMetric acc = Metric(kMetricAccuracy, r.accuracy, source);
  acc.steps = r.steps;
  acc.cost_seconds = seconds;
  acc.std_error = r.accuracy_std_error;
  report->metrics.push_back(acc);
  report->metrics.push_back(Metric(kMetricParams, static_cast<double>(params), source));
  AddAnalyticFlops(space, arch, plan.input, report);
  report->metrics.push_back(Metric(kMetricTrainSeconds, seconds, source));
  report->notes.push_back(absl::StrFormat(
      "steps=%d batch_size=%d lr=%g final_loss=%.4f device=%s", r.steps, plan.batch_size,
      plan.learning_rate, r.final_loss, r.device));
  report->notes.push_back(absl::StrFormat(
      "validation_examples=%d (last of the training set) batches=%d std_error=%.4f",
      static_cast<int>(r.validation_examples), r.validation_batches, r.accuracy_std_error));
  report->notes.push_back(
      absl::StrFormat("sgd_seconds=%.3f eval_seconds=%.3f", r.train_seconds, r.eval_seconds));
}

// ---- full training (a candidate in full_train mode, or a finalist) ----

// What a full training does besides reporting its validation accuracy.
struct FullTrainKeeps {
  // Upload the trained weights (CandidateWeightsArtifactName). Required for
  // a finalist; for a full_train-mode candidate only when the worker has an
  // artifact store (a note says when it has none).
  bool weights = false;
  bool weights_required = false;
  // Measure test_accuracy (a finalist: the search is over).
  bool test_accuracy = false;
};

absl::StatusOr<AccuracyReport> FullTrain(const AccuracyPlan& plan, const MethodOptions& options,
                                         int steps, FullTrainKeeps keeps,
                                         const std::atomic<bool>* cancel) {
  if (keeps.weights_required) RETURN_IF_ERROR(RequireArtifacts(options, "full_train"));
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  if (cancel != nullptr && cancel->load()) return absl::CancelledError("task cancelled");
  // Keyed by the architecture, not the candidate id (which embeds the random
  // job id): the same job spec trains the same cell identically every run.
  const uint64_t seed = DeriveRunSeed(plan.job_seed, plan.arch);
  ASSIGN_OR_RETURN(torch::nn::AnyModule model, BuildSeeded(plan.space, plan.arch, plan.input, seed));
  const int64_t params = CountParameters(*model.ptr());
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(TrainResult r,
                   TrainAndEvaluate(model, data.train, data.validation,
                                    BaseTrainOptions(plan, options, steps, seed), cancel));
  const double seconds = SecondsSince(start);
  AccuracyReport report;
  const std::string source = absl::StrCat("worker:full_train:", r.device);
  AddTrainingReport(r, source, params, seconds, plan, plan.space, plan.arch, &report);
  const std::string name = CandidateWeightsArtifactName(plan.job_id, plan.candidate_id);
  if (keeps.test_accuracy) {
    // The model is still on the device it trained on.
    ASSIGN_OR_RETURN(ReportedMetric test,
                     MeasureTestAccuracy(model, data, TrainingDevice(options.allow_cuda), source,
                                         absl::StrCat("the weights stored as ", name)));
    report.notes.push_back(absl::StrFormat("test_accuracy=%.4f on %d test images", test.value,
                                           static_cast<int>(data.test.size())));
    report.metrics.push_back(std::move(test));
  }
  if (keeps.weights && !options.artifacts.upload) {
    report.notes.push_back("weights not kept: this worker has no artifact store");
  } else if (keeps.weights) {
    model.ptr()->to(torch::kCPU);
    RETURN_IF_ERROR(options.artifacts.upload(plan.job_id, name, SaveCheckpoint(*model.ptr())));
    report.notes.push_back(absl::StrCat("weights stored as artifact ", name,
                                        " (edgenas export writes them out)"));
  }
  return report;
}

// ---- teacher and flash distillation ----

SpaceConfig TeacherSpace(const AccuracyPlan& plan) {
  SpaceConfig space = plan.space;
  // The teacher's widths are options of the same names (0: the job's own).
  if (plan.teacher_channels > 0) space.options["channels"] = absl::StrCat(plan.teacher_channels);
  if (plan.teacher_cells_per_stage > 0) {
    space.options["cells_per_stage"] = absl::StrCat(plan.teacher_cells_per_stage);
  }
  return space;
}

absl::StatusOr<AccuracyReport> TrainTeacher(const AccuracyPlan& plan,
                                            const MethodOptions& options,
                                            const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(RequireArtifacts(options, "train_teacher"));
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  const uint64_t seed = DeriveRunSeed(plan.job_seed, "teacher");
  ASSIGN_OR_RETURN(torch::nn::AnyModule model,
                   BuildSeeded(TeacherSpace(plan), plan.teacher_arch, plan.input, seed));
  const int64_t params = CountParameters(*model.ptr());
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(TrainResult r, TrainAndEvaluate(model, data.train, data.validation,
                                                   BaseTrainOptions(plan, options,
                                                                    plan.teacher_steps, seed),
                                                   cancel));
  const double seconds = SecondsSince(start);
  model.ptr()->to(torch::kCPU);
  RETURN_IF_ERROR(
      options.artifacts.upload(plan.job_id, kArtifactTeacher, SaveCheckpoint(*model.ptr())));
  AccuracyReport report;
  AddTrainingReport(r, absl::StrCat("worker:teacher:", r.device), params, seconds, plan,
                    TeacherSpace(plan), plan.teacher_arch, &report);
  report.notes.push_back(absl::StrCat("teacher ", plan.teacher_arch, " channels=",
                                      plan.teacher_channels, " cells_per_stage=",
                                      plan.teacher_cells_per_stage));
  return report;
}

// The teacher of one job, loaded once per worker. Its logits on the training
// split are kept per row: on CUDA all rows are computed at once (a fraction
// of a second), on CPU each row when a distillation step first needs it, so
// a short distillation run pays only for the images it sees and later
// candidates reuse them.
class TeacherEntry {
 public:
  TeacherEntry(std::string checkpoint, SpaceConfig space, torch::nn::AnyModule teacher,
               LabeledData train)
      : checkpoint_(std::move(checkpoint)),
        space_(std::move(space)),
        teacher_(std::move(teacher)),
        train_(std::move(train)),
        images_(train_.images) {}

  const std::string& checkpoint() const { return checkpoint_; }
  // Where the teacher runs (set by Init).
  torch::Device device() const { return device_; }

  // Prepares the table on `device` (where the teacher lives).
  void Init(const torch::Device& device, int64_t classes) {
    absl::MutexLock lock(&mu_);
    device_ = device;
    const int64_t n = images_.size(0);
    logits_ = torch::zeros({n, classes}, torch::TensorOptions().device(device));
    known_ = torch::zeros({n}, torch::TensorOptions().dtype(torch::kBool).device(device));
    if (device.is_cuda()) {
      images_ = images_.to(device);
      FillLocked(torch::arange(n, torch::TensorOptions().dtype(torch::kInt64).device(device)));
    }
  }

  // The teacher's logits and stage features on `x` (on the teacher's
  // device), without gradient: activation transfer needs them per batch,
  // since feature maps of the whole training set would not fit in memory.
  absl::StatusOr<StageForward> Stages(const torch::Tensor& x) {
    absl::MutexLock lock(&mu_);
    torch::NoGradGuard no_grad;
    return ForwardStages(space_, teacher_, x);
  }

  // The teacher's logits for training rows `index` (on the table's device).
  torch::Tensor Logits(const torch::Tensor& index) {
    absl::MutexLock lock(&mu_);
    const torch::Tensor missing = index.masked_select(known_.index_select(0, index).logical_not());
    if (missing.numel() > 0) FillLocked(std::get<0>(torch::_unique(missing)));
    return logits_.index_select(0, index);
  }

 private:
  void FillLocked(const torch::Tensor& rows) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    torch::NoGradGuard no_grad;
    constexpr int64_t kBatch = 1000;
    for (int64_t i = 0; i < rows.size(0); i += kBatch) {
      const torch::Tensor part = rows.narrow(0, i, std::min<int64_t>(kBatch, rows.size(0) - i));
      const torch::Tensor x = NormalizeBatch(train_, images_.index_select(0, part.to(images_.device())));
      logits_.index_copy_(0, part, teacher_.forward(x.to(logits_.device())));
      known_.index_fill_(0, part, true);
    }
  }

  const std::string checkpoint_;
  const SpaceConfig space_;  // the teacher's space (its own width and depth)
  const LabeledData train_;  // its normalization (images_ may move to the GPU)
  torch::Device device_ = torch::kCPU;
  absl::Mutex mu_;
  torch::nn::AnyModule teacher_ ABSL_GUARDED_BY(mu_);
  torch::Tensor images_ ABSL_GUARDED_BY(mu_);
  torch::Tensor logits_ ABSL_GUARDED_BY(mu_);
  torch::Tensor known_ ABSL_GUARDED_BY(mu_);
};

ABSL_CONST_INIT absl::Mutex teacher_mu(absl::kConstInit);
std::map<std::string, std::shared_ptr<TeacherEntry>>& TeacherCache()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(teacher_mu) {
  static auto* cache = new std::map<std::string, std::shared_ptr<TeacherEntry>>();
  return *cache;
}

absl::StatusOr<std::shared_ptr<TeacherEntry>> GetTeacher(const AccuracyPlan& plan,
                                                         const MethodOptions& options,
                                                         const LabeledData& train) {
  RETURN_IF_ERROR(RequireArtifacts(options, "flash_distill"));
  ASSIGN_OR_RETURN(CheckpointRef ref, LocateCheckpoint(options, plan.job_id, kArtifactTeacher));
  absl::MutexLock lock(&teacher_mu);
  auto& cache = TeacherCache();
  auto it = cache.find(plan.job_id);
  if (it != cache.end() && it->second->checkpoint() == ref.id) return it->second;
  const std::string id = ref.id;
  ASSIGN_OR_RETURN(std::string bytes,
                   FetchCheckpoint(options, std::move(ref), plan.job_id, kArtifactTeacher));
  ASSIGN_OR_RETURN(torch::nn::AnyModule teacher,
                   BuildSeeded(TeacherSpace(plan), plan.teacher_arch, plan.input, /*seed=*/0));
  RETURN_IF_ERROR(LoadCheckpoint(bytes, *teacher.ptr(), "teacher"));
  const torch::Device device = TrainingDevice(options.allow_cuda);
  teacher.ptr()->to(device);
  teacher.ptr()->eval();
  auto entry = std::make_shared<TeacherEntry>(id, TeacherSpace(plan), teacher, train);
  entry->Init(device, plan.input.classes);
  // One teacher per job is kept; a worker serves few jobs at a time.
  if (cache.size() >= 4) cache.erase(cache.begin());
  cache[plan.job_id] = entry;
  return entry;
}

// Adapters from the student's stage widths to the teacher's, read from one
// forward pass of each on a training image (in eval mode, so no batch
// statistics move). INVALID_ARGUMENT when the maps' spatial sizes differ.
absl::StatusOr<FeatureAdapters> MakeAdapters(const SpaceConfig& space,
                                             torch::nn::AnyModule& student, TeacherEntry& teacher,
                                             const LabeledData& train) {
  torch::NoGradGuard no_grad;
  student.ptr()->eval();
  const torch::Tensor probe = InputRange(train, 0, 1, torch::kCPU);
  ASSIGN_OR_RETURN(StageForward s, ForwardStages(space, student, probe));
  const torch::Device device = teacher.device();
  ASSIGN_OR_RETURN(StageForward t, teacher.Stages(probe.to(device)));
  student.ptr()->train();
  if (s.stages.size() != t.stages.size()) {
    return absl::InvalidArgumentError("evaluation.distill.feature_weight: student and teacher "
                                      "have different numbers of stages");
  }
  std::vector<int64_t> student_widths, teacher_widths;
  for (size_t i = 0; i < s.stages.size(); ++i) {
    if (s.stages[i].size(2) != t.stages[i].size(2) || s.stages[i].size(3) != t.stages[i].size(3)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "evaluation.distill.feature_weight: stage ", i, " maps differ in size (student ",
          s.stages[i].size(2), "x", s.stages[i].size(3), ", teacher ", t.stages[i].size(2), "x",
          t.stages[i].size(3), ")"));
    }
    student_widths.push_back(s.stages[i].size(1));
    teacher_widths.push_back(t.stages[i].size(1));
  }
  return FeatureAdapters(student_widths, teacher_widths);
}

int DistillSteps(const AccuracyPlan& plan) {
  return std::max(1, static_cast<int>(std::lround(plan.distill_fraction * plan.full_steps)));
}

absl::StatusOr<AccuracyReport> FlashDistill(const AccuracyPlan& plan,
                                            const MethodOptions& options,
                                            const std::atomic<bool>* cancel) {
  if (!(plan.feature_weight >= 0.0)) {
    return absl::InvalidArgumentError("evaluation.distill.feature_weight: must be >= 0");
  }
  if (!(plan.distill_alpha >= 0.0 && plan.distill_alpha <= 1.0) ||
      !(plan.distill_temperature > 0.0)) {
    return absl::InvalidArgumentError(
        "evaluation.distill: alpha must be in [0, 1] and temperature > 0");
  }
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  ASSIGN_OR_RETURN(std::shared_ptr<TeacherEntry> teacher,
                   GetTeacher(plan, options, data.train));
  if (cancel != nullptr && cancel->load()) return absl::CancelledError("task cancelled");
  const uint64_t seed = DeriveRunSeed(plan.job_seed, plan.arch);
  ASSIGN_OR_RETURN(torch::nn::AnyModule model, BuildSeeded(plan.space, plan.arch, plan.input, seed));
  const int64_t params = CountParameters(*model.ptr());
  const int steps = DistillSteps(plan);
  TrainOptions train = BaseTrainOptions(plan, options, steps, seed);
  // The teacher's logits are tabled per (unaugmented) training row: a
  // student fed augmented images would be matched against other images.
  train.augment = false;
  const double alpha = plan.distill_alpha;
  const double temperature = plan.distill_temperature;
  train.loss_fn = [teacher, alpha, temperature](const torch::Tensor& student,
                                                const torch::Tensor& index,
                                                const torch::Tensor& labels) {
    return DistillationLoss(student, teacher->Logits(index), labels, alpha, temperature);
  };
  std::string transfer_note;
  if (plan.feature_weight > 0.0) {
    ASSIGN_OR_RETURN(FeatureAdapters adapters,
                     MakeAdapters(plan.space, model, *teacher, data.train));
    transfer_note = absl::StrFormat(
        "; activation transfer weight %g over %d stage boundaries (%d 1x1 adapters), teacher "
        "run per batch",
        plan.feature_weight, 3, adapters->convolutions());
    train.extra_module = adapters.ptr();
    const double weight = plan.feature_weight;
    const SpaceConfig space = plan.space;
    train.step_loss = [&model, space, teacher, adapters, alpha, temperature, weight](
                          const torch::Tensor& x, const torch::Tensor& /*index*/,
                          const torch::Tensor& labels) mutable {
      absl::StatusOr<StageForward> s = ForwardStages(space, model, x);
      absl::StatusOr<StageForward> t = s.ok() ? teacher->Stages(x) : s.status();
      if (!t.ok()) throw std::runtime_error(std::string(t.status().message()));
      return DistillationLoss(s->logits, t->logits, labels, alpha, temperature) +
             weight * FeatureTransferLoss(adapters->forward(s->stages), t->stages);
    };
  }
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(TrainResult r, TrainAndEvaluate(model, data.train, data.validation,
                                                   train, cancel));
  const double seconds = SecondsSince(start);
  AccuracyReport report;
  AddTrainingReport(r, absl::StrCat("worker:flash_distill:", r.device), params, seconds, plan,
                    plan.space, plan.arch, &report);
  report.notes.push_back(absl::StrFormat(
      "flash distillation: %d steps = %.3g of the full %d; alpha=%g T=%g%s; proxy accuracy, "
      "not full training",
      steps, plan.distill_fraction, plan.full_steps, alpha, temperature, transfer_note));
  return report;
}

using MethodFn = absl::StatusOr<AccuracyReport> (*)(const AccuracyPlan& plan,
                                                    const MethodOptions& options,
                                                    const std::atomic<bool>* cancel);

// One accuracy method: what runs a candidate whose evaluation.mode (or
// multi-fidelity rung) names it, and what runs the task operation of its
// name. Either may be null (a job-level operation is no mode).
struct AccuracyMethod {
  const char* name;
  MethodFn evaluate;
  MethodFn operation;
};

// The registry: one line per method.
constexpr AccuracyMethod kMethods[] = {
    {"full_train",
     // A full_train-mode candidate: weights kept while it may be a winner
     // (the coordinator deletes them once it is off the front).
     [](const AccuracyPlan& plan, const MethodOptions& options, const std::atomic<bool>* cancel) {
       return FullTrain(plan, options, plan.train_steps, {/*weights=*/true}, cancel);
     },
     // A multi-fidelity rung (or a finalist of a job stored before
     // "finalize"): the full schedule, weights kept.
     [](const AccuracyPlan& plan, const MethodOptions& options, const std::atomic<bool>* cancel) {
       return FullTrain(plan, options, plan.full_steps,
                        {/*weights=*/true, /*weights_required=*/true}, cancel);
     }},
    // A finalist: the full schedule, weights kept, test split measured.
    {kOpFinalize, nullptr,
     [](const AccuracyPlan& plan, const MethodOptions& options, const std::atomic<bool>* cancel) {
       return FullTrain(plan, options, plan.full_steps,
                        {/*weights=*/true, /*weights_required=*/true, /*test_accuracy=*/true},
                        cancel);
     }},
    {kOpTestEval, nullptr, &TestEvalTask},
    {kOpFlashDistill, &FlashDistill, &FlashDistill},
    {kOpSupernet, &EvaluateSubnetTask, &EvaluateSubnetTask},
    {kOpTrainTeacher, nullptr, &TrainTeacher},
    {kOpTrainSupernet, nullptr, &TrainSupernetTask},
};

absl::StatusOr<AccuracyReport> RunChecked(const AccuracyPlan& plan, const MethodOptions& options,
                                          const std::atomic<bool>* cancel) {
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("worker threads: ", options.threads, " must be >= 1"));
  }
  // An operation names its method; other candidates use the job's mode.
  const bool by_operation = !plan.operation.empty();
  const std::string& name = by_operation ? plan.operation : plan.mode;
  for (const AccuracyMethod& method : kMethods) {
    if (name != method.name) continue;
    const MethodFn run = by_operation ? method.operation : method.evaluate;
    if (run != nullptr) return run(plan, options, cancel);
  }
  if (by_operation) {
    return absl::InvalidArgumentError(
        absl::StrCat("task.operation: this worker does not know \"", plan.operation, "\""));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("evaluation.mode: this worker does not run \"", plan.mode, "\" tasks"));
}

}  // namespace

absl::StatusOr<AccuracyReport> RunAccuracyPlan(const AccuracyPlan& plan,
                                               const MethodOptions& options,
                                               const std::atomic<bool>* cancel) {
  // The pieces convert LibTorch errors themselves; this is the last guard
  // so that nothing throws out of the worker's task loop.
  try {
    return RunChecked(plan, options, cancel);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(plan.operation.empty() ? plan.mode : plan.operation,
                                            ": ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat(plan.operation.empty() ? plan.mode : plan.operation, ": ", e.what()));
  }
}

std::vector<std::string> AccuracyEvaluationModes() {
  std::vector<std::string> modes;
  for (const AccuracyMethod& method : kMethods) {
    if (method.evaluate != nullptr) modes.push_back(method.name);
  }
  return modes;
}

TrainingDeviceInfo DescribeTrainingDevice(bool allow_cuda) {
  TrainingDeviceInfo info;
  const torch::Device device = TrainingDevice(allow_cuda);
  info.cuda = device.is_cuda();
  if (info.cuda) {
    info.device_count = static_cast<int>(torch::cuda::device_count());
    info.name = "cuda:0";
  } else {
    info.name = "cpu";
    info.device_count = 1;
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) info.memory_bytes = static_cast<int64_t>(pages) * page_size;
  }
  return info;
}

}  // namespace edgenas
