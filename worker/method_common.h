// Pieces shared by the worker's accuracy methods (LibTorch side, internal to
// worker/): data loading, seeded model building, training options from a
// plan, checkpoint (de)serialisation and reported metrics.
#ifndef EDGENAS_WORKER_METHOD_COMMON_H_
#define EDGENAS_WORKER_METHOD_COMMON_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <torch/torch.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/accuracy_methods.h"
#include "worker/accuracy_plan.h"
#include "worker/datasets/dataset.h"
#include "worker/fashion_mnist.h"
#include "worker/trainer.h"

namespace edgenas {

// The job's dataset opened through the registry (worker/datasets/): its
// train, validation and test splits (views of the opened dataset, which
// `opened` keeps alive) and its card. fashion_mnist: validation is the last
// plan.validation_examples training images, test the official test file.
// Calls options.check_dataset_card when set. Errors as OpenDataset.
struct Data {
  std::shared_ptr<const OpenedDataset> opened;
  LabeledData train;
  LabeledData validation;
  LabeledData test;
  DatasetCardInfo card;
};
absl::StatusOr<Data> LoadData(const AccuracyPlan& plan, const MethodOptions& options);

// Training options of `plan` for `steps` steps with batch order `seed`;
// augmentation as the job's dataset says (none when unset).
TrainOptions BaseTrainOptions(const AccuracyPlan& plan, const MethodOptions& options, int steps,
                              uint64_t seed);

// Held while seeding LibTorch's global generator and building a model, so
// that concurrent builds stay reproducible.
absl::Mutex& TorchBuildMutex();

// Builds `arch` in `space` for the job's `input` with weights drawn from
// `seed`.
absl::StatusOr<torch::nn::AnyModule> BuildSeeded(const SpaceConfig& space, const std::string& arch,
                                                 const InputShape& input, uint64_t seed);

ReportedMetric Metric(const char* name, double value, const std::string& source);

// Adds "flops" of `arch`'s network in `space` for `input`: its
// multiply-accumulates per image counted analytically (common/network_cost.h),
// with source "analytic". Adds nothing for a space without a MAC count, and
// a note instead of the metric when the count fails.
void AddAnalyticFlops(const SpaceConfig& space, const std::string& arch, const InputShape& input,
                      AccuracyReport* report);
double SecondsSince(std::chrono::steady_clock::time_point start);

// A checkpoint artifact's current content, fetched only when needed: `id`
// names the content (its SHA-256 when the store says so without the bytes,
// else a hash of the bytes, which were then downloaded into `bytes`).
struct CheckpointRef {
  std::string id;
  std::optional<std::string> bytes;
};
absl::StatusOr<CheckpointRef> LocateCheckpoint(const MethodOptions& options,
                                               const std::string& job_id,
                                               const std::string& name);
// The bytes of `ref`, downloading them unless LocateCheckpoint already did.
absl::StatusOr<std::string> FetchCheckpoint(const MethodOptions& options, CheckpointRef ref,
                                            const std::string& job_id, const std::string& name);

// FAILED_PRECONDITION when options carry no artifact access.
absl::Status RequireArtifacts(const MethodOptions& options, const char* operation);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_METHOD_COMMON_H_
