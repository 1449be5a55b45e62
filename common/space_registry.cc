#include "common/space_registry.h"

#include <cstdint>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/job_spec.h"
#include "common/nb201_space.h"
#include "common/status_macros.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {
namespace {

template <typename Space>
std::unique_ptr<SearchSpace> Make() {
  return std::make_unique<Space>();
}

// The registry: one line per space.
const std::vector<SpaceRegistration>& Registry() {
  static const auto* registry = new std::vector<SpaceRegistration>{
      {"nb201", &Make<Nb201Space>,
       {{"cells_per_stage", kDefaultCellsPerStage, 1, 8}, {"channels", kDefaultChannels, 1, 512}}},
  };
  return *registry;
}

absl::Status Bad(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

absl::StatusOr<const SpaceRegistration*> FindOrError(absl::string_view name,
                                                     absl::string_view field) {
  const std::string known = absl::StrJoin(KnownSearchSpaces(), ", ");
  if (name.empty()) return Bad(field, absl::StrCat("required; known: ", known));
  const SpaceRegistration* reg = FindSpace(name);
  if (reg == nullptr) {
    return Bad(field, absl::StrCat("unknown search space \"", absl::CHexEscape(name),
                                   "\"; known: ", known));
  }
  return reg;
}

absl::StatusOr<const IntOptionSchema*> FindOption(const SpaceRegistration& reg,
                                                  absl::string_view key,
                                                  absl::string_view field) {
  std::vector<std::string> known;
  for (const IntOptionSchema& option : reg.options) {
    if (option.key == key) return &option;
    known.push_back(option.key);
  }
  return Bad(field, absl::StrCat("unknown option for ", reg.name, "; known: ",
                                 absl::StrJoin(known, ", ")));
}

absl::StatusOr<int> ParseIntOption(const IntOptionSchema& schema, absl::string_view text,
                                   absl::string_view field) {
  int64_t value = 0;
  const bool parsed = absl::SimpleAtoi(text, &value);
  if (parsed && value >= schema.min && value <= schema.max) return static_cast<int>(value);
  std::string got = parsed ? absl::StrCat(value)
                           : absl::StrCat("\"", absl::CHexEscape(text.substr(0, 60)), "\"");
  return Bad(field, absl::StrCat("must be an integer in [", schema.min, ", ", schema.max,
                                 "], got ", got));
}

// Moves a deprecated int32 field into options["key"]; 0 means "not set".
absl::Status MoveAlias(int32_t value, const std::string& key, v1::SearchSpaceSpec* spec,
                       std::map<std::string, std::string>* origin) {
  if (value == 0) return absl::OkStatus();
  const std::string field = absl::StrCat("space.", key);
  const std::string text = absl::StrCat(value);
  auto& options = *spec->mutable_options();
  auto it = options.find(key);
  if (it != options.end() && it->second != text) {
    return Bad(field, absl::StrCat("conflicts with space.options.", key, " (\"",
                                   absl::CHexEscape(it->second), "\"); set only options"));
  }
  options[key] = text;
  (*origin)[key] = field;
  return absl::OkStatus();
}

}  // namespace

const SpaceRegistration* FindSpace(absl::string_view name) {
  for (const SpaceRegistration& reg : Registry()) {
    if (reg.name == name) return &reg;
  }
  return nullptr;
}

std::vector<std::string> KnownSearchSpaces() {
  std::vector<std::string> names;
  for (const SpaceRegistration& reg : Registry()) names.push_back(reg.name);
  return names;
}

absl::StatusOr<std::unique_ptr<SearchSpace>> CreateSearchSpace(absl::string_view name) {
  ASSIGN_OR_RETURN(const SpaceRegistration* reg, FindOrError(name, "space.name"));
  return reg->factory();
}

absl::Status NormalizeSpaceSpec(v1::SearchSpaceSpec* spec) {
  ASSIGN_OR_RETURN(const SpaceRegistration* reg, FindOrError(spec->name(), "space.name"));
  // Errors about a value that came from a deprecated field name that field.
  std::map<std::string, std::string> origin;
  RETURN_IF_ERROR(MoveAlias(spec->cells_per_stage(), "cells_per_stage", spec, &origin));
  RETURN_IF_ERROR(MoveAlias(spec->channels(), "channels", spec, &origin));
  spec->clear_cells_per_stage();
  spec->clear_channels();

  auto& options = *spec->mutable_options();
  // Sorted, so that the first error reported does not depend on hash order.
  const std::map<std::string, std::string> given(options.begin(), options.end());
  for (const auto& [key, text] : given) {
    auto it = origin.find(key);
    const std::string field =
        it != origin.end() ? it->second : absl::StrCat("space.options.", key);
    ASSIGN_OR_RETURN(const IntOptionSchema* schema, FindOption(*reg, key, field));
    ASSIGN_OR_RETURN(const int value, ParseIntOption(*schema, text, field));
    options[key] = absl::StrCat(value);
  }
  for (const IntOptionSchema& schema : reg->options) {
    if (options.find(schema.key) == options.end()) {
      options[schema.key] = absl::StrCat(schema.default_value);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> SpaceIntOption(const SpaceConfig& config, absl::string_view key) {
  ASSIGN_OR_RETURN(const SpaceRegistration* reg, FindOrError(config.name, "space.name"));
  const std::string field = absl::StrCat("space.options.", key);
  ASSIGN_OR_RETURN(const IntOptionSchema* schema, FindOption(*reg, key, field));
  auto it = config.options.find(std::string(key));
  if (it == config.options.end()) return schema->default_value;
  return ParseIntOption(*schema, it->second, field);
}

absl::StatusOr<SpaceConfig> SpaceConfigFromSpec(const v1::SearchSpaceSpec& spec,
                                                absl::string_view task_space) {
  v1::SearchSpaceSpec copy = spec;
  if (!task_space.empty()) {
    RETURN_IF_ERROR(FindOrError(task_space, "task.space").status());
    copy.set_name(std::string(task_space));
  }
  RETURN_IF_ERROR(NormalizeSpaceSpec(&copy));
  SpaceConfig config;
  config.name = copy.name();
  config.options.insert(copy.options().begin(), copy.options().end());
  return config;
}

absl::StatusOr<int> SpaceIntOption(const v1::SearchSpaceSpec& spec, absl::string_view key) {
  ASSIGN_OR_RETURN(const SpaceConfig config, SpaceConfigFromSpec(spec));
  return SpaceIntOption(config, key);
}

}  // namespace edgenas
