// Supernet trainer: one-shot NAS over any space with a supernet
// (common/model/space_networks.h). Trains the weight-sharing supernet on the
// paths the supernet plans per step (single-path uniform sampling by
// default; e.g. the sandwich rule with in-place distillation), scores
// architectures by their inherited weights after BN recalibration, and
// (de)serialises the supernet so that it can travel as a task artifact.
#ifndef EDGENAS_WORKER_SUPERNET_TRAINER_H_
#define EDGENAS_WORKER_SUPERNET_TRAINER_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "absl/status/statusor.h"
#include "common/input_shape.h"
#include "common/model/space_networks.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "worker/fashion_mnist.h"
#include "worker/trainer.h"

namespace edgenas {

struct SupernetTrainResult {
  int steps = 0;
  double final_loss = 0.0;     // mean training loss of the last min(50, steps) steps
  std::vector<double> losses;  // training loss of each step, in order
  int64_t paths = 0;           // forward/backward passes in all (one per path per step)
  int distilled_steps = 0;     // steps with in-place distillation
  double seconds = 0.0;        // SGD loop only (steady clock)
  std::string device;          // "cpu" or "cuda"
};

struct SubnetEval {
  double accuracy = 0.0;        // fraction of validation examples classified right
  double standard_error = 0.0;  // std of per-batch accuracies / sqrt(batches); 0 for one batch
  int64_t examples = 0;
  double seconds = 0.0;  // extraction + recalibration + evaluation
};

// Trains `supernet` on `train`. Before each step the trainer calls
// supernet.BeforeStep (without gradients; a true return clears the
// optimizer's momentum) and asks supernet.PlanStep for the step's paths,
// drawn from a generator seeded by options.seed (by default one architecture
// of `space` uniformly: single-path uniform sampling, SPOS). Every path runs
// forward and backward on the same batch, gradients summed: with
// SupernetStep::distill the first path learns from the labels and the others
// from its detached soft targets (DistillationLoss, alpha 1), else every
// path from the labels. Then one SGD step (Nesterov, weight decay, cosine lr
// to 0 over options.steps); parameters off every path keep their weights and
// momentum. A step's loss is the sum of its paths' losses. Batches follow
// BatchSampler(options.seed). Moves the supernet and the whole training set
// to CUDA when options.allow_cuda and available; the supernet stays there.
// eval_batch_size is unused. Deterministic on the CPU for a fixed seed and
// initialisation (seed with SeedTorch before building). INVALID_ARGUMENT for
// bad options or data, CANCELLED when *cancel becomes true (checked between
// steps), INTERNAL for a non-finite loss, a step plan without paths or a
// LibTorch failure.
absl::StatusOr<SupernetTrainResult> TrainSupernet(Supernet& supernet, const SearchSpace& space,
                                                  const LabeledData& train,
                                                  const TrainOptions& options,
                                                  const std::atomic<bool>* cancel);

// Accuracy of `arch` with weights inherited from `supernet`: extracts the
// subnet, recalibrates its BN on calibration.images (batches of
// `batch_size`), then evaluates on `validation` in batches of `batch_size`.
// The supernet is left untouched. INVALID_ARGUMENT for a bad architecture,
// data or batch size; INTERNAL on a LibTorch failure.
absl::StatusOr<SubnetEval> EvaluateSubnet(Supernet& supernet, const Architecture& arch,
                                          const LabeledData& calibration,
                                          const LabeledData& validation, int batch_size = 250);

// The supernet's parameters and buffers in torch::save format.
// INTERNAL on a LibTorch failure.
absl::StatusOr<std::string> SaveSupernet(Supernet& supernet);

// The supernet of `space` for `input` (on the CPU) holding the tensors of
// `bytes` from SaveSupernet. INVALID_ARGUMENT for a space without a supernet,
// bad options, unreadable bytes, a missing tensor or one whose shape does
// not fit the options.
absl::StatusOr<std::unique_ptr<Supernet>> LoadSupernet(const std::string& bytes,
                                                       const SpaceConfig& space,
                                                       const InputShape& input);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_SUPERNET_TRAINER_H_
