// Ina3221PowerSource against fake sysfs trees: the hwmon layout of JetPack
// 5+ (Orin) and the iio layout of the L4T 32 ina3221x driver (Nano, Xavier).
#include "device_agent/energy/energy_ina3221.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/device_agent/energy/energy_test_util.h"

namespace edgenas {
namespace {

using testing_energy::TempTree;

class Ina3221Test : public ::testing::Test {
 protected:
  Ina3221Options Options(std::vector<std::string> rails = {}) const {
    Ina3221Options o;
    o.hwmon_root = tree_.Path("hwmon");
    o.iio_root = tree_.Path("ina3221x");
    o.rails = std::move(rails);
    return o;
  }
  // An Orin Nano module's INA3221 as the mainline driver shows it, beside
  // another hwmon device; channel 4 files are the driver's shunt sums.
  void WriteOrinHwmon() const {
    tree_.Write("hwmon/hwmon0/name", "cpu_thermal");
    tree_.Write("hwmon/hwmon0/temp1_input", "47000");
    const std::string d = "hwmon/hwmon1/";
    tree_.Write(d + "name", "ina3221");
    tree_.Write(d + "in1_label", "VDD_IN");
    tree_.Write(d + "in1_input", "5072");
    tree_.Write(d + "curr1_input", "984");
    tree_.Write(d + "in2_label", "VDD_CPU_GPU_CV");
    tree_.Write(d + "in2_input", "5064");
    tree_.Write(d + "curr2_input", "120");
    tree_.Write(d + "in3_label", "VDD_SOC");
    tree_.Write(d + "in3_input", "5064");
    tree_.Write(d + "curr3_input", "288");
    tree_.Write(d + "in4_input", "3");    // shunt voltage, not a bus voltage
    tree_.Write(d + "curr4_input", "1392");
  }

  TempTree tree_;
};

// The hwmon layout: by default only the total rail VDD_IN, V * I.
TEST_F(Ina3221Test, HwmonDefaultsToTheTotalRail) {
  WriteOrinHwmon();
  auto all = Ina3221PowerSource::FindChannels(Options());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);  // channel 4 (a sum) is not a rail
  auto source = Ina3221PowerSource::Create(Options());
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Name(), "ina3221(VDD_IN)");
  absl::StatusOr<double> uw = (*source)->ReadMicrowatts();
  ASSERT_TRUE(uw.ok()) << uw.status();
  EXPECT_DOUBLE_EQ(*uw, 5072.0 * 984.0);  // mV * mA = uW
}

// Requested rails are summed; values are re-read at every call.
TEST_F(Ina3221Test, HwmonSumsRequestedRails) {
  WriteOrinHwmon();
  auto source = Ina3221PowerSource::Create(Options({"VDD_CPU_GPU_CV", "VDD_SOC"}));
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Name(), "ina3221(VDD_CPU_GPU_CV+VDD_SOC)");
  EXPECT_DOUBLE_EQ(*(*source)->ReadMicrowatts(), 5064.0 * 120 + 5064.0 * 288);
  tree_.Write("hwmon/hwmon1/curr2_input", "1120");
  EXPECT_DOUBLE_EQ(*(*source)->ReadMicrowatts(), 5064.0 * 1120 + 5064.0 * 288);
}

// A rail that is not there is INVALID_ARGUMENT listing those offered.
TEST_F(Ina3221Test, UnknownRailIsInvalidArgumentListingRails) {
  WriteOrinHwmon();
  auto source = Ina3221PowerSource::Create(Options({"VDD_GPU"}));
  ASSERT_TRUE(absl::IsInvalidArgument(source.status())) << source.status();
  EXPECT_TRUE(absl::StrContains(source.status().message(),
                                "rail \"VDD_GPU\" not found; rails offered: VDD_IN, "
                                "VDD_CPU_GPU_CV, VDD_SOC"))
      << source.status();
}

// Without a total rail, every connected rail is summed; "NC" channels and
// disabled ones are left out; power<i>_input (uW) wins over V * I.
TEST_F(Ina3221Test, HwmonWithoutTotalSumsConnectedRails) {
  const std::string d = "hwmon/hwmon3/";
  tree_.Write(d + "name", "ina3221");
  tree_.Write(d + "in1_label", "VDD_GPU_SOC");
  tree_.Write(d + "in1_input", "5000");
  tree_.Write(d + "curr1_input", "400");
  tree_.Write(d + "power1_input", "2100000");
  tree_.Write(d + "in2_label", "NC");
  tree_.Write(d + "in2_input", "0");
  tree_.Write(d + "curr2_input", "0");
  tree_.Write(d + "in3_label", "VDD_CPU_CV");
  tree_.Write(d + "in3_input", "5000");
  tree_.Write(d + "curr3_input", "100");
  tree_.Write(d + "in3_enable", "0");
  auto source = Ina3221PowerSource::Create(Options());
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ((*source)->Name(), "ina3221(VDD_GPU_SOC)");
  EXPECT_DOUBLE_EQ(*(*source)->ReadMicrowatts(), 2'100'000.0);
}

// The L4T 32 iio layout: rail_name_<i>, in_power<i>_input in mW, or
// voltage times current when there is no power file.
TEST_F(Ina3221Test, IioLayoutReadsMilliwatts) {
  const std::string d = "ina3221x/6-0040/iio:device0/";
  tree_.Write(d + "rail_name_0", "POM_5V_IN");
  tree_.Write(d + "in_power0_input", "3456");
  tree_.Write(d + "rail_name_1", "POM_5V_GPU");
  tree_.Write(d + "in_power1_input", "40");
  tree_.Write(d + "rail_name_2", "POM_5V_CPU");
  tree_.Write(d + "in_voltage2_input", "5000");
  tree_.Write(d + "in_current2_input", "300");
  auto total = Ina3221PowerSource::Create(Options());
  ASSERT_TRUE(total.ok()) << total.status();
  EXPECT_EQ((*total)->Name(), "ina3221(POM_5V_IN)");
  EXPECT_DOUBLE_EQ(*(*total)->ReadMicrowatts(), 3'456'000.0);
  auto parts = Ina3221PowerSource::Create(Options({"POM_5V_GPU", "POM_5V_CPU"}));
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_DOUBLE_EQ(*(*parts)->ReadMicrowatts(), 40'000.0 + 1'500'000.0);
}

// A negative current (reverse flow near 0 A) is read as such.
TEST_F(Ina3221Test, ReadsSignedValues) {
  const std::string d = "hwmon/hwmon0/";
  tree_.Write(d + "name", "ina3221");
  tree_.Write(d + "in1_label", "VDD_IN");
  tree_.Write(d + "in1_input", "5000");
  tree_.Write(d + "curr1_input", "-2");
  auto source = Ina3221PowerSource::Create(Options());
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_DOUBLE_EQ(*(*source)->ReadMicrowatts(), -10'000.0);
}

// No device: UNAVAILABLE naming both roots; a channel that cannot be read
// is reported as skipped.
TEST_F(Ina3221Test, NoDeviceIsUnavailableNamingRoots) {
  auto none = Ina3221PowerSource::Create(Options());
  ASSERT_TRUE(absl::IsUnavailable(none.status())) << none.status();
  EXPECT_TRUE(absl::StrContains(none.status().message(), tree_.Path("hwmon")));
  EXPECT_TRUE(absl::StrContains(none.status().message(), tree_.Path("ina3221x")));

  tree_.Write("hwmon/hwmon0/name", "ina3221");
  tree_.Write("hwmon/hwmon0/in1_label", "VDD_IN");
  tree_.Write("hwmon/hwmon0/in1_input", "garbage");
  tree_.Write("hwmon/hwmon0/curr1_input", "100");
  auto bad = Ina3221PowerSource::Create(Options());
  ASSERT_TRUE(absl::IsUnavailable(bad.status())) << bad.status();
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "skipped: VDD_IN: malformed"))
      << bad.status();
}

}  // namespace
}  // namespace edgenas
