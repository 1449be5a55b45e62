// Per-operator profiling with LibTorch: the enumeration of built edges that
// the predictor uses matches the network builder's, and a fast profile
// measures every operator shape the space needs plus the overhead.
#include "device_agent/profile_ops.h"

#include <set>

#include "common/model/nb201_model.h"
#include "common/nb201_space.h"
#include "gtest/gtest.h"
#include "tests/device_agent/profile_test_util.h"

namespace edgenas {
namespace {

// The predictor counts exactly the edges the network builds, over the
// whole space (a cell whose edges differ would be mispredicted).
TEST(Nb201BuiltEdges, MatchesTheNetworkBuilderOverTheWholeSpace) {
  for (int index = 0; index < 15625; ++index) {
    const Architecture arch = Nb201Space::FromIndex(index);
    ASSERT_EQ(Nb201BuiltEdges(arch), Nb201LiveEdges(arch)) << Nb201Space().Print(arch);
  }
}

// Every required shape is measured once, with a positive median, in
// RequiredOpShapes order; the overhead is finite and >= 0 and says how it
// was obtained.
TEST(ProfileSpace, MeasuresEveryRequiredShape) {
  const SpaceConfig space{"nb201", {{"channels", "4"}, {"cells_per_stage", "1"}}};
  auto profile = ProfileSpace(space, FastProfileSettings());
  ASSERT_TRUE(profile.ok()) << profile.status();
  auto needed = RequiredOpShapes(space);
  ASSERT_TRUE(needed.ok());
  ASSERT_EQ(profile->ops.size(), needed->size());
  for (size_t i = 0; i < needed->size(); ++i) {
    EXPECT_EQ(profile->ops[i].shape, (*needed)[i]);
    EXPECT_GT(profile->ops[i].stats.median_ms, 0.0) << (*needed)[i].ToString();
    EXPECT_GT(profile->ops[i].stats.runs, 0);
  }
  EXPECT_GE(profile->overhead_ms, 0.0);
  EXPECT_GT(profile->calibration.median_ms, 0.0);
  ASSERT_FALSE(profile->notes.empty());
  EXPECT_NE(profile->notes[0].find("all-none network"), std::string::npos);
}

// Bad settings and spaces are refused naming the setting, never thrown.
TEST(ProfileSpace, RefusesBadSettingsAndSpaces) {
  ProfileSettings settings = FastProfileSettings();
  settings.threads = 0;
  const SpaceConfig space{"nb201", {{"channels", "4"}}};
  EXPECT_NE(ProfileSpace(space, settings).status().message().find("threads"), std::string::npos);
  auto unknown = ProfileSpace(SpaceConfig{"mbv3", {}}, FastProfileSettings());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_arch = MeasureNetworkLatency(space, "|bogus~0|", FastProfileSettings());
  EXPECT_EQ(bad_arch.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgenas
