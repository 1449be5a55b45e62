// The search-space registry: option defaults, deprecated aliases, refusals
// that name the field, and CreateSearchSpace resolving through it.
#include "common/space_registry.h"

#include <string>

#include "common/search_space.h"
#include "edgenas/v1/job.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

v1::SearchSpaceSpec Nb201() {
  v1::SearchSpaceSpec spec;
  spec.set_name("nb201");
  return spec;
}

std::string ErrorOf(v1::SearchSpaceSpec spec) {
  absl::Status status = NormalizeSpaceSpec(&spec);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

// A spec without options gets every nb201 default.
TEST(NormalizeSpaceSpec, FillsDefaults) {
  v1::SearchSpaceSpec spec = Nb201();
  ASSERT_TRUE(NormalizeSpaceSpec(&spec).ok());
  EXPECT_EQ(spec.options().at("cells_per_stage"), "1");
  EXPECT_EQ(spec.options().at("channels"), "16");
  EXPECT_EQ(spec.options_size(), 2);
}

// Given options are kept (in canonical text) and the rest defaulted.
TEST(NormalizeSpaceSpec, KeepsGivenOptionsInCanonicalForm) {
  v1::SearchSpaceSpec spec = Nb201();
  (*spec.mutable_options())["channels"] = " 08";
  ASSERT_TRUE(NormalizeSpaceSpec(&spec).ok());
  EXPECT_EQ(spec.options().at("channels"), "8");
  EXPECT_EQ(spec.options().at("cells_per_stage"), "1");
}

// The deprecated fields move into options and are cleared.
TEST(NormalizeSpaceSpec, MovesDeprecatedAliasesIntoOptions) {
  v1::SearchSpaceSpec spec = Nb201();
  spec.set_cells_per_stage(2);
  spec.set_channels(8);
  ASSERT_TRUE(NormalizeSpaceSpec(&spec).ok());
  EXPECT_EQ(spec.options().at("cells_per_stage"), "2");
  EXPECT_EQ(spec.options().at("channels"), "8");
  EXPECT_EQ(spec.cells_per_stage(), 0);
  EXPECT_EQ(spec.channels(), 0);
}

// An alias that disagrees with the option of the same name is refused.
TEST(NormalizeSpaceSpec, RefusesAliasConflictingWithOption) {
  v1::SearchSpaceSpec spec = Nb201();
  spec.set_channels(8);
  (*spec.mutable_options())["channels"] = "9";
  EXPECT_THAT(ErrorOf(spec), HasSubstr("space.channels: conflicts with space.options.channels"));
}

// Unknown and missing spaces are refused naming space.name and the known ones.
TEST(NormalizeSpaceSpec, RefusesUnknownSpace) {
  v1::SearchSpaceSpec spec;
  spec.set_name("darts");
  EXPECT_THAT(ErrorOf(spec),
              HasSubstr("space.name: unknown search space \"darts\"; known: mbv3, nb201"));
  EXPECT_THAT(ErrorOf(v1::SearchSpaceSpec()), HasSubstr("space.name: required; known: mbv3, nb201"));
}

// An unknown option is refused naming it and listing the space's options.
TEST(NormalizeSpaceSpec, RefusesUnknownOption) {
  v1::SearchSpaceSpec spec = Nb201();
  (*spec.mutable_options())["width"] = "4";
  EXPECT_THAT(ErrorOf(spec), HasSubstr("space.options.width: unknown option for nb201; known: "
                                       "cells_per_stage, channels"));
}

// Values outside the range or not integers are refused naming the field.
TEST(NormalizeSpaceSpec, RefusesBadValuesNamingTheField) {
  v1::SearchSpaceSpec spec = Nb201();
  (*spec.mutable_options())["channels"] = "513";
  EXPECT_THAT(ErrorOf(spec),
              HasSubstr("space.options.channels: must be an integer in [1, 512], got 513"));
  (*spec.mutable_options())["channels"] = "wide";
  EXPECT_THAT(ErrorOf(spec), HasSubstr("space.options.channels: must be an integer in [1, 512], "
                                       "got \"wide\""));
  spec = Nb201();
  (*spec.mutable_options())["cells_per_stage"] = "0";
  EXPECT_THAT(ErrorOf(spec), HasSubstr("space.options.cells_per_stage: must be an integer in "
                                       "[1, 8], got 0"));
  spec = Nb201();
  spec.set_channels(-4);
  EXPECT_THAT(ErrorOf(spec), HasSubstr("space.channels: must be an integer in [1, 512], got -4"));
}

// Readers get the given value, the default, or the alias of an unnormalized spec.
TEST(SpaceIntOption, ReadsValueDefaultOrAlias) {
  v1::SearchSpaceSpec spec = Nb201();
  (*spec.mutable_options())["channels"] = "8";
  EXPECT_EQ(SpaceIntOption(spec, "channels").value(), 8);
  EXPECT_EQ(SpaceIntOption(spec, "cells_per_stage").value(), 1);
  spec = Nb201();
  spec.set_cells_per_stage(3);
  EXPECT_EQ(SpaceIntOption(spec, "cells_per_stage").value(), 3);
  EXPECT_EQ(SpaceIntOption(spec, "depth").status().code(), absl::StatusCode::kInvalidArgument);

  SpaceConfig config{"nb201", {{"channels", "32"}}};
  EXPECT_EQ(SpaceIntOption(config, "channels").value(), 32);
  EXPECT_EQ(SpaceIntOption(config, "cells_per_stage").value(), 1);
}

// A task's own space name overrides its spec's; an unknown one names task.space.
TEST(SpaceConfigFromSpec, TaskSpaceOverridesAndIsChecked) {
  v1::SearchSpaceSpec spec;
  absl::StatusOr<SpaceConfig> config = SpaceConfigFromSpec(spec, "nb201");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->name, "nb201");
  EXPECT_EQ(config->options.at("channels"), "16");
  config = SpaceConfigFromSpec(Nb201(), "darts");
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("task.space: unknown search"));
}

// CreateSearchSpace and KnownSearchSpaces resolve through the registry.
TEST(SpaceRegistry, CreateSearchSpaceUsesRegistry) {
  ASSERT_NE(FindSpace("nb201"), nullptr);
  EXPECT_EQ(FindSpace("darts"), nullptr);
  absl::StatusOr<std::unique_ptr<SearchSpace>> space = CreateSearchSpace("nb201");
  ASSERT_TRUE(space.ok()) << space.status();
  EXPECT_EQ((*space)->Name(), "nb201");
  EXPECT_THAT(KnownSearchSpaces(), ::testing::Contains("nb201"));
  EXPECT_THAT(std::string(CreateSearchSpace("darts").status().message()),
              HasSubstr("space.name: unknown search space \"darts\"; known: mbv3, nb201"));
}

}  // namespace
}  // namespace edgenas
