#include "worker/supernet_methods.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "common/metric_names.h"
#include "common/model/model_registry.h"
#include "common/model/network_util.h"
#include "common/model/space_networks.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "common/status_macros.h"
#include "worker/method_common.h"
#include "worker/supernet_trainer.h"

namespace edgenas {
namespace {


// The space's supernet builder, or the uniform error naming evaluation.mode.
absl::StatusOr<const SpaceNetworks*> SupernetNetworks(const AccuracyPlan& plan) {
  absl::StatusOr<const SpaceNetworks*> networks =
      RequireNetworks(plan.space.name, &SpaceNetworks::build_supernet, "supernet");
  if (!networks.ok()) {
    return absl::Status(networks.status().code(),
                        absl::StrCat("evaluation.mode: ", networks.status().message()));
  }
  return networks;
}

// The supernet of one job, fetched once per worker and checkpoint.
struct SupernetEntry {
  std::string checkpoint;  // CheckpointRef::id of what was loaded
  std::unique_ptr<Supernet> supernet;
  absl::Mutex mu;  // one subnet evaluation at a time on a shared supernet
};

ABSL_CONST_INIT absl::Mutex cache_mu(absl::kConstInit);
std::map<std::string, std::shared_ptr<SupernetEntry>>& Cache()
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(cache_mu) {
  static auto* cache = new std::map<std::string, std::shared_ptr<SupernetEntry>>();
  return *cache;
}

absl::StatusOr<std::shared_ptr<SupernetEntry>> GetSupernet(const AccuracyPlan& plan,
                                                           const MethodOptions& options) {
  RETURN_IF_ERROR(RequireArtifacts(options, "supernet"));
  ASSIGN_OR_RETURN(CheckpointRef ref, LocateCheckpoint(options, plan.job_id, kArtifactSupernet));
  absl::MutexLock lock(&cache_mu);
  auto& cache = Cache();
  auto it = cache.find(plan.job_id);
  if (it != cache.end() && it->second->checkpoint == ref.id) return it->second;
  const std::string id = ref.id;
  ASSIGN_OR_RETURN(std::string bytes,
                   FetchCheckpoint(options, std::move(ref), plan.job_id, kArtifactSupernet));
  absl::StatusOr<std::unique_ptr<Supernet>> supernet = LoadSupernet(bytes, plan.space, plan.input);
  if (!supernet.ok()) {
    return absl::DataLossError(
        absl::StrCat("supernet artifact of job ", plan.job_id, ": ", supernet.status().message()));
  }
  (*supernet)->module().to(TrainingDevice(options.allow_cuda));
  auto entry = std::make_shared<SupernetEntry>();
  entry->checkpoint = id;
  entry->supernet = std::move(*supernet);
  if (cache.size() >= 4) cache.erase(cache.begin());
  cache[plan.job_id] = entry;
  return entry;
}

}  // namespace

absl::StatusOr<AccuracyReport> TrainSupernetTask(const AccuracyPlan& plan,
                                                 const MethodOptions& options,
                                                 const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(RequireArtifacts(options, "train_supernet"));
  ASSIGN_OR_RETURN(const SpaceNetworks* networks, SupernetNetworks(plan));
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> space, CreateSearchSpace(plan.space));
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  const uint64_t seed = DeriveRunSeed(plan.job_seed, "supernet");
  std::unique_ptr<Supernet> supernet;
  {
    absl::MutexLock lock(&TorchBuildMutex());
    SeedTorch(seed);
    ASSIGN_OR_RETURN(supernet, networks->build_supernet(plan.space, plan.input));
  }
  const int64_t params = CountParameters(supernet->module());
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(SupernetTrainResult r,
                   TrainSupernet(*supernet, *space, data.train,
                                 BaseTrainOptions(plan, options, plan.supernet_steps, seed),
                                 cancel));
  const double seconds = SecondsSince(start);
  supernet->module().to(torch::kCPU);
  ASSIGN_OR_RETURN(std::string bytes, SaveSupernet(*supernet));
  RETURN_IF_ERROR(options.artifacts.upload(plan.job_id, kArtifactSupernet, bytes));
  const std::string source = absl::StrCat("worker:supernet:", r.device);
  AccuracyReport report;
  ReportedMetric train_seconds = Metric(kMetricTrainSeconds, seconds, source);
  train_seconds.steps = r.steps;
  train_seconds.cost_seconds = seconds;
  report.metrics.push_back(train_seconds);
  // No flops here: a supernet's multiply-accumulates depend on the path.
  report.metrics.push_back(Metric(kMetricParams, static_cast<double>(params), source));
  report.notes.push_back(absl::StrFormat(
      "supernet: %d steps training %lld paths (%s; %d steps with in-place distillation), "
      "batch_size=%d lr=%g final_loss=%.4f device=%s, %d bytes",
      r.steps, static_cast<long long>(r.paths),
      r.paths == r.steps ? "single path per step" : "several paths per step", r.distilled_steps,
      plan.batch_size, plan.learning_rate, r.final_loss, r.device,
      static_cast<int>(bytes.size())));
  return report;
}

absl::StatusOr<AccuracyReport> EvaluateSubnetTask(const AccuracyPlan& plan,
                                                  const MethodOptions& options,
                                                  const std::atomic<bool>* cancel) {
  RETURN_IF_ERROR(SupernetNetworks(plan).status());
  ASSIGN_OR_RETURN(const Architecture arch, ParseArchitecture(plan.space, plan.arch));
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::shared_ptr<SupernetEntry> entry, GetSupernet(plan, options));
  if (cancel != nullptr && cancel->load()) return absl::CancelledError("task cancelled");
  // Calibration images: a seeded draw from the training split (never the
  // validation images the accuracy is measured on).
  const int64_t n = std::min<int64_t>(plan.calibration_examples, data.train.size());
  torch::Tensor order = torch::randperm(
      data.train.size(),
      at::make_generator<at::CPUGeneratorImpl>(DeriveRunSeed(plan.job_seed, plan.arch)),
      torch::kInt64);
  const torch::Tensor pick = order.narrow(0, 0, n);
  const LabeledData calibration = SelectRows(data.train, pick);
  SubnetEval eval;
  {
    absl::MutexLock lock(&entry->mu);
    torch::set_num_threads(options.threads);
    ASSIGN_OR_RETURN(eval, EvaluateSubnet(*entry->supernet, arch, calibration,
                                          data.validation));
  }
  const double seconds = SecondsSince(start);
  const std::string device = TrainingDevice(options.allow_cuda).is_cuda() ? "cuda" : "cpu";
  const std::string source = absl::StrCat("worker:supernet:", device);
  AccuracyReport report;
  ReportedMetric acc = Metric(kMetricAccuracy, eval.accuracy, source);
  acc.steps = 0;
  acc.cost_seconds = seconds;
  acc.std_error = eval.standard_error;
  report.metrics.push_back(acc);
  // The candidate's own size (the standalone network it would deploy as).
  ASSIGN_OR_RETURN(torch::nn::AnyModule standalone, BuildSeeded(plan.space, plan.arch, plan.input, 0));
  report.metrics.push_back(
      Metric(kMetricParams, static_cast<double>(CountParameters(*standalone.ptr())), source));
  AddAnalyticFlops(plan.space, plan.arch, plan.input, &report);
  report.notes.push_back(absl::StrFormat(
      "supernet proxy: inherited weights, batch norm recalibrated on %d training images; "
      "validation_examples=%d std_error=%.4f eval_seconds=%.3f (fetch included: %.3f)",
      static_cast<int>(n), static_cast<int>(eval.examples), eval.standard_error, eval.seconds,
      seconds));
  return report;
}

}  // namespace edgenas
