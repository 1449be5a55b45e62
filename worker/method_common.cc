#include "worker/method_common.h"

#include <chrono>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/datasets.h"
#include "common/network_cost.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// Weight initialisation draws from LibTorch's global generator, so seeding
// and building are one critical section when tasks run on several threads.
ABSL_CONST_INIT absl::Mutex build_mu(absl::kConstInit);


}  // namespace

absl::Mutex& TorchBuildMutex() { return build_mu; }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::StatusOr<Data> LoadData(const AccuracyPlan& plan, const MethodOptions& options) {
  DatasetRequest request;
  request.plan = plan.dataset;
  request.plan.path = !options.dataset_dir.empty()  ? options.dataset_dir
                      : !plan.dataset.path.empty()  ? plan.dataset.path
                                                    : plan.dataset_dir;
  request.validation_examples = plan.validation_examples;
  request.data_roots = options.data_roots;
  Data data;
  ASSIGN_OR_RETURN(data.opened, OpenDataset(request));
  data.train = data.opened->train;
  data.validation = data.opened->validation;
  data.test = data.opened->test;
  data.card = data.opened->card;
  if (options.check_dataset_card) {
    RETURN_IF_ERROR(options.check_dataset_card(plan.job_id, data.card));
  }
  return data;
}

TrainOptions BaseTrainOptions(const AccuracyPlan& plan, const MethodOptions& options, int steps,
                              uint64_t seed) {
  TrainOptions train;
  train.steps = steps;
  train.batch_size = plan.batch_size;
  train.learning_rate = plan.learning_rate;
  train.seed = seed;
  train.threads = options.threads;
  train.allow_cuda = options.allow_cuda;
  train.augment = plan.dataset.augment == kAugmentCropFlip;
  return train;
}

absl::StatusOr<torch::nn::AnyModule> BuildSeeded(const SpaceConfig& space, const std::string& arch,
                                                 const InputShape& input, uint64_t seed) {
  absl::MutexLock lock(&build_mu);
  SeedTorch(seed);
  return BuildModel(space, arch, input);
}

ReportedMetric Metric(const char* name, double value, const std::string& source) {
  ReportedMetric m;
  m.name = name;
  m.value = value;
  m.source = source;
  return m;
}

void AddAnalyticFlops(const SpaceConfig& space, const std::string& arch, const InputShape& input,
                      AccuracyReport* report) {
  if (!SpaceCountsMacs(space.name).ok()) return;
  absl::StatusOr<NetworkCost> cost = NetworkCostOf(space, arch, input);
  if (!cost.ok()) {
    report->notes.push_back(absl::StrCat("flops not counted: ", cost.status().message()));
    return;
  }
  report->metrics.push_back(Metric(kMetricFlops, static_cast<double>(cost->macs), kAnalyticSource));
  report->notes.push_back(absl::StrCat("flops = ", cost->macs, " (", kFlopsMethod, ")"));
}

absl::StatusOr<CheckpointRef> LocateCheckpoint(const MethodOptions& options,
                                               const std::string& job_id,
                                               const std::string& name) {
  CheckpointRef ref;
  if (options.artifacts.content_hash) {
    ASSIGN_OR_RETURN(ref.id, options.artifacts.content_hash(job_id, name));
    return ref;
  }
  ASSIGN_OR_RETURN(ref.bytes, options.artifacts.download(job_id, name));
  ref.id = absl::StrCat(std::hash<std::string>()(*ref.bytes), ":", ref.bytes->size());
  return ref;
}

absl::StatusOr<std::string> FetchCheckpoint(const MethodOptions& options, CheckpointRef ref,
                                            const std::string& job_id, const std::string& name) {
  if (ref.bytes) return std::move(*ref.bytes);
  return options.artifacts.download(job_id, name);
}

absl::Status RequireArtifacts(const MethodOptions& options, const char* operation) {
  if (!options.artifacts.upload || !options.artifacts.download) {
    return absl::FailedPreconditionError(
        absl::StrCat(operation, ": this worker has no artifact store configured"));
  }
  return absl::OkStatus();
}

}  // namespace edgenas
