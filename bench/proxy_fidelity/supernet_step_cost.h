// The training cost of one supernet step of a job, as the worker trains it:
// the job's supernet (its space, options and input), the job's training
// options and split, the supernet's own step plan (one path for NB201; for
// mbv3 the sandwich rule: largest, smallest and random paths with in-place
// distillation).
#ifndef EDGENAS_BENCH_PROXY_FIDELITY_SUPERNET_STEP_COST_H_
#define EDGENAS_BENCH_PROXY_FIDELITY_SUPERNET_STEP_COST_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "worker/accuracy_methods.h"
#include "worker/accuracy_plan.h"

namespace edgenas {

struct SupernetStepCost {
  int steps = 0;
  int64_t paths = 0;        // forward/backward passes in all
  int distilled_steps = 0;  // steps with in-place distillation
  double seconds = 0.0;     // the training loop (TrainSupernet's own clock)
  double ms_per_step = 0.0;
  double ms_per_path = 0.0;
};

// Builds `plan`'s supernet (seeded as the worker seeds it) and trains it for
// `steps` steps of batch plan.batch_size on the job's training split, timing
// the loop. INVALID_ARGUMENT for steps < 1 or a space without a supernet;
// the loader's and trainer's errors otherwise.
absl::StatusOr<SupernetStepCost> MeasureSupernetSteps(const AccuracyPlan& plan,
                                                      const MethodOptions& options, int steps);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_PROXY_FIDELITY_SUPERNET_STEP_COST_H_
