// Per-operator profiling with LibTorch: a fast profile measures every
// operator shape the space needs plus the overhead. (The live-edge rule the
// predictor and the network builder share has one copy, Nb201LiveEdges.)
#include "device_agent/profile/profile_ops.h"

#include <set>

#include "spaces/nb201/nb201_space.h"
#include "device_agent/speed_reference.h"
#include "gtest/gtest.h"
#include "tests/device_agent/profile/profile_test_util.h"

namespace edgenas {
namespace {

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
  EXPECT_NE(profile->notes[0].find("calibration network |none~0|"), std::string::npos);
}

// With a speed reference the profile times the kernel between blocks and
// says, in a note, that every latency is at the kernel's calibrated speed.
TEST(ProfileSpace, SpeedReferenceIsNoted) {
  auto reference = SpeedReference::Create();
  ASSERT_TRUE(reference.ok()) << reference.status();
  ProfileSettings settings = FastProfileSettings();
  settings.speed_reference = reference->get();
  const SpaceConfig space{"nb201", {{"channels", "4"}, {"cells_per_stage", "1"}}};
  auto profile = ProfileSpace(space, settings);
  ASSERT_TRUE(profile.ok()) << profile.status();
  for (const MeasuredOp& op : profile->ops) {
    EXPECT_GT(op.stats.median_ms, 0.0) << op.shape.ToString();
    EXPECT_GT(op.stats.reference_runs, 0) << op.shape.ToString();
  }
  bool noted = false;
  for (const std::string& note : profile->notes) {
    noted |= note.find("normalised to the reference kernel " + (*reference)->name()) !=
             std::string::npos;
  }
  EXPECT_TRUE(noted);
}

// Bad settings and spaces are refused naming the setting, never thrown.
TEST(ProfileSpace, RefusesBadSettingsAndSpaces) {
  ProfileSettings settings = FastProfileSettings();
  settings.threads = 0;
  const SpaceConfig space{"nb201", {{"channels", "4"}}};
  EXPECT_NE(ProfileSpace(space, settings).status().message().find("threads"), std::string::npos);
  auto unknown = ProfileSpace(SpaceConfig{"tiny_test", {}}, FastProfileSettings());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  auto bad_arch = MeasureNetworkLatency(space, "|bogus~0|", FastProfileSettings());
  EXPECT_EQ(bad_arch.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgenas
