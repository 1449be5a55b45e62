// The supernet evaluation mode's two task operations (LibTorch side,
// internal to worker/): training the job's weight-sharing supernet once
// ("train_supernet", stored as the job's "supernet" artifact) and evaluating
// a candidate with inherited weights after batch-norm recalibration.
#ifndef EDGENAS_WORKER_SUPERNET_METHODS_H_
#define EDGENAS_WORKER_SUPERNET_METHODS_H_

#include <atomic>

#include "absl/status/statusor.h"
#include "worker/accuracy_methods.h"
#include "worker/accuracy_plan.h"

namespace edgenas {

// Trains the supernet for plan.supernet_steps on the paths it plans per step
// (TrainSupernet: single-path uniform sampling unless the space's supernet
// plans more, e.g. mbv3's sandwich rule) and uploads it. Reports
// train_seconds and the supernet's params.
absl::StatusOr<AccuracyReport> TrainSupernetTask(const AccuracyPlan& plan,
                                                 const MethodOptions& options,
                                                 const std::atomic<bool>* cancel);

// Fetches the job's supernet (once per worker and checkpoint), recalibrates
// the candidate's batch norms on plan.calibration_examples training images
// and reports its validation accuracy (source "worker:supernet:<device>",
// steps 0, with its standard error).
absl::StatusOr<AccuracyReport> EvaluateSubnetTask(const AccuracyPlan& plan,
                                                  const MethodOptions& options,
                                                  const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_WORKER_SUPERNET_METHODS_H_
