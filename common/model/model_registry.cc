#include "common/model/model_registry.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/model/nb201_model.h"
#include "common/search_space.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

using Builder = absl::StatusOr<torch::nn::AnyModule> (*)(const Architecture& arch,
                                                         const SpaceConfig& space,
                                                         int in_channels, int num_classes);

absl::StatusOr<torch::nn::AnyModule> BuildNb201(const Architecture& arch,
                                                const SpaceConfig& space, int in_channels,
                                                int num_classes) {
  Nb201ModelOptions options;
  ASSIGN_OR_RETURN(options.cells_per_stage, SpaceIntOption(space, "cells_per_stage"));
  ASSIGN_OR_RETURN(options.channels, SpaceIntOption(space, "channels"));
  options.in_channels = in_channels;
  options.num_classes = num_classes;
  return BuildNb201Network(arch, options);
}

struct BuilderEntry {
  const char* space;
  Builder build;
};

// One line per space with a network.
constexpr BuilderEntry kBuilders[] = {
    {"nb201", &BuildNb201},
};

}  // namespace

absl::StatusOr<torch::nn::AnyModule> BuildModel(const SpaceConfig& space,
                                                absl::string_view arch_text, int in_channels,
                                                int num_classes) {
  Builder build = nullptr;
  std::vector<std::string> known;
  for (const BuilderEntry& entry : kBuilders) {
    if (space.name == entry.space) build = entry.build;
    known.push_back(entry.space);
  }
  if (build == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("task.space: no model builder for \"",
                                                   space.name, "\"; known: ",
                                                   absl::StrJoin(known, ", ")));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SearchSpace> search_space, CreateSearchSpace(space.name));
  absl::StatusOr<Architecture> arch = search_space->Parse(arch_text);
  if (!arch.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("task.arch: ", arch.status().message()));
  }
  return build(*arch, space, in_channels, num_classes);
}

}  // namespace edgenas
