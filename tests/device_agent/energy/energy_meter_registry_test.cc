// The meter registry behind --energy_meter: validation errors name the
// flag, "none" and "auto" say why nothing was found, "auto" finds a fake
// INA3221 tree, and named meters open through their fakes.
#include "device_agent/energy/energy_meter_registry.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/device_agent/energy/energy_test_util.h"

namespace edgenas {
namespace {

using testing_energy::SteppingClock;
using testing_energy::TempTree;
using testing_energy::TestData;

class RegistryTest : public ::testing::Test {
 protected:
  // Every meter pointed at nothing: empty trees, missing binaries.
  EnergyMeterConfig Nothing() const {
    EnergyMeterConfig c;
    c.powercap_root = tree_.Path("powercap");
    c.hwmon_root = tree_.Path("hwmon");
    c.ina3221_iio_root = tree_.Path("ina3221x");
    c.tegrastats_path = tree_.Path("no-tegrastats");
    c.vcgencmd_path = tree_.Path("no-vcgencmd");
    c.sample_ms = 60000;  // the background sampler never fires during a test
    return c;
  }
  static std::string Error(const EnergyMeterConfig& c) {
    return std::string(ValidateEnergyMeterConfig(c).message());
  }

  TempTree tree_;
};

// Each bad setting is refused naming its flag.
TEST_F(RegistryTest, ValidationNamesTheFlag) {
  EnergyMeterConfig c = Nothing();
  EXPECT_TRUE(ValidateEnergyMeterConfig(c).ok());
  c.kind = "joulescope";
  EXPECT_EQ(Error(c),
            "--energy_meter: unknown meter \"joulescope\"; known: auto, none, rapl, ina3221, "
            "tegrastats, pi5_pmic, command");
  c = Nothing();
  c.command = "cat /tmp/x";
  EXPECT_EQ(Error(c), "--energy_command: only used with --energy_meter=command");
  c.kind = "command";
  EXPECT_TRUE(absl::StartsWith(Error(c), "--energy_command_unit: unknown energy unit \"\""));
  c.command_unit = "mJ";
  c.command_reports = "both";
  EXPECT_TRUE(absl::StartsWith(Error(c), "--energy_command_reports: must be energy or power"));
  c.command_reports = "energy";
  c.command_pattern = "([0-9";
  EXPECT_TRUE(absl::StartsWith(Error(c), "--energy_command_pattern: bad regular expression"));
  c = Nothing();
  c.kind = "command";
  EXPECT_TRUE(absl::StartsWith(Error(c), "--energy_command: required"));
  c = Nothing();
  c.kind = "rapl";
  c.rails = {"VDD_IN"};
  EXPECT_TRUE(absl::StartsWith(Error(c), "--energy_rails: not used by --energy_meter=rapl"));
  c = Nothing();
  c.sample_ms = -1;
  EXPECT_TRUE(absl::StartsWith(Error(c), "--energy_sample_ms: must be in [0, 60000]"));
}

// "none" and an "auto" that finds nothing are UNAVAILABLE with the reasons.
TEST_F(RegistryTest, NothingFoundSaysWhy) {
  EnergyMeterConfig c = Nothing();
  c.kind = "none";
  auto none = OpenEnergyMeter(c);
  ASSERT_TRUE(absl::IsUnavailable(none.status()));
  EXPECT_EQ(none.status().message(), "energy meter disabled (--energy_meter=none)");

  auto nothing = OpenEnergyMeter(Nothing());
  ASSERT_TRUE(absl::IsUnavailable(nothing.status())) << nothing.status();
  const std::string why(nothing.status().message());
  EXPECT_TRUE(absl::StartsWith(why, "no energy meter found (rapl: no powercap RAPL zones under "))
      << why;
  for (const char* part : {"; ina3221: no readable ina3221 channels", "; tegrastats: cannot run ",
                           "; pi5_pmic: cannot run "}) {
    EXPECT_TRUE(absl::StrContains(why, part)) << why;
  }
  EXPECT_FALSE(absl::StrContains(why, "command:")) << why;
}

// "auto" takes the first meter that opens: here a fake Jetson INA3221.
TEST_F(RegistryTest, AutoFindsIna3221) {
  tree_.Write("hwmon/hwmon2/name", "ina3221");
  tree_.Write("hwmon/hwmon2/in1_label", "VDD_IN");
  tree_.Write("hwmon/hwmon2/in1_input", "5000");
  tree_.Write("hwmon/hwmon2/curr1_input", "1000");
  SteppingClock clock(1'000'000'000);
  EnergyMeterConfig c = Nothing();
  c.now_ns = clock.Fn();
  auto opened = OpenEnergyMeter(c);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->kind, "ina3221");
  EXPECT_EQ(EnergyCapability(opened->kind), "energy:ina3221");
  EXPECT_EQ(opened->meter->Name(), "ina3221(VDD_IN)");
  EXPECT_EQ(opened->meter->MinWindowMs(), 20 * 60000);
  absl::StatusOr<uint64_t> e = opened->meter->Read();  // 5 W for one clock step
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 5'000'000u);
}

// Named meters: tegrastats and pi5_pmic through their fakes, a command, and
// a missing rail blamed on --energy_rails.
TEST_F(RegistryTest, OpensNamedMeters) {
  SteppingClock clock(1);
  EnergyMeterConfig c = Nothing();
  c.now_ns = clock.Fn();
  c.kind = "tegrastats";
  c.tegrastats_path = TestData("fake_tegrastats");
  c.sample_ms = 0;
  auto tegra = OpenEnergyMeter(c);
  ASSERT_TRUE(tegra.ok()) << tegra.status();
  EXPECT_EQ(tegra->kind, "tegrastats");
  EXPECT_EQ(tegra->meter->MinWindowMs(), 2000);  // 20 * the 100 ms default

  c.rails = {"VDD_GPU"};
  auto rail = OpenEnergyMeter(c);
  ASSERT_TRUE(absl::IsInvalidArgument(rail.status())) << rail.status();
  EXPECT_TRUE(absl::StartsWith(rail.status().message(), "--energy_rails: tegrastats: rail"))
      << rail.status();

  c = Nothing();
  c.kind = "pi5_pmic";
  c.vcgencmd_path = TestData("fake_vcgencmd");
  c.rails = {"VDD_CORE"};
  auto pi = OpenEnergyMeter(c);
  ASSERT_TRUE(pi.ok()) << pi.status();
  EXPECT_EQ(pi->meter->Name(), "pi5_pmic(VDD_CORE)");

  c = Nothing();
  c.kind = "rapl";
  auto rapl = OpenEnergyMeter(c);
  ASSERT_TRUE(absl::IsUnavailable(rapl.status()));
  EXPECT_TRUE(absl::StartsWith(rapl.status().message(), "--energy_meter=rapl: no powercap"));

  tree_.Write("counter", "42 J");
  c = Nothing();
  c.kind = "command";
  c.command = "cat '" + tree_.Path("counter") + "'";
  c.command_unit = "J";
  auto command = OpenEnergyMeter(c);
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(command->meter->Name(), "command(energy)");
}

}  // namespace
}  // namespace edgenas
