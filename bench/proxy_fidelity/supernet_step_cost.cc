#include "bench/proxy_fidelity/supernet_step_cost.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/model/space_networks.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "worker/method_common.h"
#include "worker/supernet_trainer.h"
#include "worker/trainer.h"

namespace edgenas {

absl::StatusOr<SupernetStepCost> MeasureSupernetSteps(const AccuracyPlan& plan,
                                                      const MethodOptions& options, int steps) {
  if (steps < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--step_cost_steps: ", steps, " < 1"));
  }
  ASSIGN_OR_RETURN(const SpaceNetworks* networks,
                   RequireNetworks(plan.space.name, &SpaceNetworks::build_supernet, "supernet"));
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> space, CreateSearchSpace(plan.space));
  ASSIGN_OR_RETURN(Data data, LoadData(plan, options));
  const uint64_t seed = DeriveRunSeed(plan.job_seed, "supernet");
  SeedTorch(seed);
  ASSIGN_OR_RETURN(std::unique_ptr<Supernet> supernet,
                   networks->build_supernet(plan.space, plan.input));
  ASSIGN_OR_RETURN(SupernetTrainResult r,
                   TrainSupernet(*supernet, *space, data.train,
                                 BaseTrainOptions(plan, options, steps, seed), /*cancel=*/nullptr));
  SupernetStepCost cost;
  cost.steps = r.steps;
  cost.paths = r.paths;
  cost.distilled_steps = r.distilled_steps;
  cost.seconds = r.seconds;
  cost.ms_per_step = 1000.0 * r.seconds / r.steps;
  cost.ms_per_path = r.paths > 0 ? 1000.0 * r.seconds / static_cast<double>(r.paths) : 0.0;
  return cost;
}

}  // namespace edgenas
