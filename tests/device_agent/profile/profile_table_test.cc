// A profile as a LatencyTable: the coordinator's validation accepts it, it
// covers the space, predicts every architecture, and survives its files.
#include "device_agent/profile/profile_table.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "common/latency_predictor.h"
#include "spaces/nb201/nb201_space.h"
#include "gtest/gtest.h"
#include "tests/device_agent/profile/profile_test_util.h"

namespace edgenas {
namespace {

// A real (fast) profile makes a valid table that predicts any cell.
TEST(MakeLatencyTable, ProfileGivesAValidCoveringTable) {
  const SpaceConfig space{"nb201", {{"channels", "4"}, {"cells_per_stage", "2"}}};
  const ProfileSettings settings = FastProfileSettings();
  auto profile = ProfileSpace(space, settings);
  ASSERT_TRUE(profile.ok()) << profile.status();
  v1::DeviceDescriptor device;
  device.set_cpu_model("test cpu");
  const v1::LatencyTable table =
      MakeLatencyTable(*profile, "nb201", "cpu", settings, 1700000000000, device);
  ASSERT_TRUE(ValidateLatencyTable(table).ok()) << ValidateLatencyTable(table);
  EXPECT_TRUE(CheckLatencyTableCovers(table, space).ok()) << CheckLatencyTableCovers(table, space);
  EXPECT_EQ(table.device().device_class(), "cpu");
  EXPECT_EQ(table.device().cpu_model(), "test cpu");
  EXPECT_EQ(table.threads(), 1);
  EXPECT_EQ(table.batch_size(), 1);
  for (int index : {0, 1, 777, 15624}) {
    auto p = PredictLatency(table, space, Nb201Space::FromIndex(index));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_GT(p->latency_ms, 0.0);
  }
}

// Both file forms read back to the same table; a garbled file is refused.
TEST(LatencyTableFile, JsonAndBinaryRoundTrip) {
  v1::LatencyTable table;
  table.set_space("nb201");
  table.set_device_class("rpi5");
  table.set_overhead_ms(0.125);
  auto* e = table.add_entries();
  e->set_op("nor_conv_3x3");
  e->set_in_channels(16);
  e->set_out_channels(16);
  e->set_resolution(28);
  e->set_stride(1);
  e->set_latency_ms(0.75);
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("profile_table_" + std::to_string(::getpid())))
                              .string();
  std::filesystem::create_directories(dir);
  for (const std::string name : {"t.json", "t.pb"}) {
    const std::string path = dir + "/" + name;
    ASSERT_TRUE(WriteLatencyTableFile(table, path).ok());
    auto back = ReadLatencyTableFile(path);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->SerializeAsString(), table.SerializeAsString()) << name;
  }
  {
    std::FILE* f = std::fopen((dir + "/bad.json").c_str(), "w");
    std::fputs("{\"entries\": 3", f);
    std::fclose(f);
  }
  EXPECT_EQ(ReadLatencyTableFile(dir + "/bad.json").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadLatencyTableFile(dir + "/missing.pb").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(WriteLatencyTableFile(table, "").code(), absl::StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace edgenas
