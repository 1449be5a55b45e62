#include "spaces/mbv3/mbv3_supernet.h"

#include <cmath>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spaces/mbv3/mbv3_channel_sort.h"
#include "spaces/mbv3/mbv3_supernet_extract.h"

namespace edgenas {

Mbv3Supernet::Mbv3Supernet(Mbv3SupernetModule module, Mbv3SupernetOptions options)
    : module_(std::move(module)), options_(options) {}

torch::Tensor Mbv3Supernet::Forward(const torch::Tensor& x, const Architecture& arch) {
  return module_->forward(x, arch);
}

absl::StatusOr<torch::nn::AnyModule> Mbv3Supernet::ExtractSubnet(const Architecture& arch) {
  return ExtractMbv3Subnet(*module_, arch);
}

int Mbv3Supernet::WarmupSteps(int steps) const {
  return static_cast<int>(std::floor(options_.warmup_fraction * steps));
}

SupernetStep Mbv3Supernet::PlanStep(const SearchSpace& space, int step, int steps, Rng& rng) {
  const Mbv3Space& own = module_->space();
  SupernetStep plan;
  plan.paths.push_back(own.Largest());
  if (step < WarmupSteps(steps)) return plan;
  plan.paths.push_back(own.Smallest());
  for (int i = 0; i < options_.random_paths; ++i) plan.paths.push_back(space.Sample(rng));
  plan.distill = true;
  plan.temperature = options_.temperature;
  return plan;
}

bool Mbv3Supernet::BeforeStep(int step, int steps) {
  const int warmup = WarmupSteps(steps);
  if (warmup == 0 || step != warmup) return false;
  SortChannels();
  return true;
}

void Mbv3Supernet::SortChannels() {
  for (const Mbv3Block& b : module_->largest().blocks) {
    mbv3::SortChannelsByImportance(module_->block(b.stage, b.index));
  }
}

absl::StatusOr<std::unique_ptr<Mbv3Supernet>> CreateMbv3Supernet(const SpaceConfig& config,
                                                                  const InputShape& input,
                                                                  Mbv3SupernetOptions options) {
  ASSIGN_OR_RETURN(Mbv3Space space, CreateMbv3Space(config));
  if (input.channels <= 0 || input.classes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("dataset: the supernet needs input channels and classes, got ",
                     input.ToString()));
  }
  if (options.random_paths < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("supernet.random_paths: ", options.random_paths, " is negative"));
  }
  if (!(options.warmup_fraction >= 0.0 && options.warmup_fraction < 1.0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "supernet.warmup_fraction: ", options.warmup_fraction, " is not in [0, 1)"));
  }
  if (!(options.temperature > 0.0 && std::isfinite(options.temperature))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "supernet.temperature: ", options.temperature, " must be finite and > 0"));
  }
  try {
    return std::make_unique<Mbv3Supernet>(Mbv3SupernetModule(std::move(space), input), options);
  } catch (const c10::Error& e) {
    return absl::InternalError(
        absl::StrCat("building mbv3 supernet: ", e.what_without_backtrace()));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("building mbv3 supernet: ", e.what()));
  }
}

}  // namespace edgenas
