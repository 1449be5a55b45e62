// The worker's accuracy methods on plain data (LibTorch inside, none in this
// header): full training of a candidate or finalist, the teacher, flash
// distillation from it, the weight-sharing supernet and subnet evaluation.
// Checkpoints pass between workers as per-job artifacts; each worker keeps
// the last teacher (with its logits on the training split) and supernet of
// each job in memory.
#ifndef EDGENAS_WORKER_ACCURACY_METHODS_H_
#define EDGENAS_WORKER_ACCURACY_METHODS_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/accuracy_plan.h"

namespace edgenas {

struct MethodOptions {
  int threads = 1;  // intra-op threads on CPU
  bool allow_cuda = true;
  // Overrides the plan's dataset directory when non-empty (tests).
  std::string dataset_dir;
  ArtifactAccess artifacts;
  // Folders datasets may be read from (common/data_roots.h); empty: anywhere.
  std::vector<std::string> data_roots;
  // When set, called with what every task found when it opened the dataset:
  // records the job's dataset card, or refuses (job-fatal) a dataset whose
  // content changed since the job's first task (worker/accuracy_task.cc).
  std::function<absl::Status(const std::string& job_id, const DatasetCardInfo& card)>
      check_dataset_card;
};

// Runs `plan`. INVALID_ARGUMENT when it cannot run as given (unknown
// operation or mode, bad architecture or option: not retryable); NOT_FOUND
// for a missing dataset or artifact; CANCELLED when *cancel becomes true;
// INTERNAL for LibTorch failures (out of memory, bad shapes), with the error
// text. Never throws.
absl::StatusOr<AccuracyReport> RunAccuracyPlan(const AccuracyPlan& plan,
                                               const MethodOptions& options,
                                               const std::atomic<bool>* cancel);

// The evaluation modes the methods registry of accuracy_methods.cc runs
// (a new method is one function plus one registry line there); the worker
// advertises them as capabilities.
std::vector<std::string> AccuracyEvaluationModes();

// What this process can train on, for registration: "cuda" or "cpu", the
// device's name and memory where LibTorch can tell.
struct TrainingDeviceInfo {
  bool cuda = false;
  std::string name;          // e.g. "cuda:0" or "cpu"
  int64_t memory_bytes = 0;  // host memory for the CPU; 0 when unknown (CUDA)
  int device_count = 0;
};
TrainingDeviceInfo DescribeTrainingDevice(bool allow_cuda);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_ACCURACY_METHODS_H_
