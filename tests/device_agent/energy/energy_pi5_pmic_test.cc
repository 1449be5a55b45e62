// The Raspberry Pi 5 `vcgencmd pmic_read_adc` parser on recorded output, and
// Pi5PmicPowerSource running a fake vcgencmd that prints it.
#include "device_agent/energy/energy_pi5_pmic.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/device_agent/energy/energy_test_util.h"

namespace edgenas {
namespace {

using testing_energy::TestData;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Sum over the 12 rails of current * voltage in the recorded output.
constexpr double kPi5TotalUw = 3'000'496.2115613;
constexpr double kVddCoreUw = 2.123456 * 0.88 * 1e6;

// Currents pair with voltages by rail name; volt-only rails are left out.
TEST(ParsePmicReadAdc, PairsCurrentsWithVoltages) {
  auto rails = ParsePmicReadAdc(Slurp(TestData("pi5_pmic_read_adc.txt")));
  ASSERT_TRUE(rails.ok()) << rails.status();
  ASSERT_EQ(rails->size(), 12u);
  EXPECT_EQ((*rails)[0].name, "3V7_WL_SW");
  double total = 0;
  for (const RailPower& r : *rails) {
    total += r.microwatts;
    EXPECT_NE(r.name, "EXT5V");
    EXPECT_NE(r.name, "BATT");
    if (r.name == "VDD_CORE") {
      EXPECT_NEAR(r.microwatts, kVddCoreUw, 1e-6);
    }
  }
  EXPECT_NEAR(total, kPi5TotalUw, 1e-3);
}

// A Pi without the PMIC ADC, or anything else, is UNAVAILABLE quoting it.
TEST(ParsePmicReadAdc, NoRailsIsUnavailable) {
  auto rails = ParsePmicReadAdc(Slurp(TestData("pi4_pmic_read_adc.txt")));
  ASSERT_TRUE(absl::IsUnavailable(rails.status())) << rails.status();
  EXPECT_TRUE(absl::StrContains(rails.status().message(), "error=1 error_msg="));
  // A current without its voltage is no rail either.
  EXPECT_FALSE(ParsePmicReadAdc("  VDD_CORE_A current(7)=2.0A\n").ok());
  EXPECT_FALSE(ParsePmicReadAdc("  VDD_CORE_A current(7)=abcA\n VDD_CORE_V volt(15)=0.8V").ok());
}

class Pi5PmicTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("FAKE_VCGENCMD_FILE"); }
  Pi5PmicOptions Options(std::vector<std::string> rails = {}) const {
    Pi5PmicOptions o;
    o.vcgencmd_path = TestData("fake_vcgencmd");
    o.rails = std::move(rails);
    return o;
  }
};

// Through the fake vcgencmd: every rail by default, or the chosen ones.
TEST_F(Pi5PmicTest, ReadsThroughVcgencmd) {
  auto all = Pi5PmicPowerSource::Create(Options());
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ((*all)->Name(), "pi5_pmic(3V7_WL_SW+3V3_SYS+1V8_SYS+DDR_VDD2+8 more)");
  absl::StatusOr<double> uw = (*all)->ReadMicrowatts();
  ASSERT_TRUE(uw.ok()) << uw.status();
  EXPECT_NEAR(*uw, kPi5TotalUw, 1e-3);

  auto core = Pi5PmicPowerSource::Create(Options({"VDD_CORE"}));
  ASSERT_TRUE(core.ok()) << core.status();
  EXPECT_EQ((*core)->Name(), "pi5_pmic(VDD_CORE)");
  EXPECT_NEAR(*(*core)->ReadMicrowatts(), kVddCoreUw, 1e-6);
}

// Errors: a rail that is not there, a Pi 4, a missing vcgencmd, and a rail
// that disappears after creation.
TEST_F(Pi5PmicTest, FailuresSayWhy) {
  auto rail = Pi5PmicPowerSource::Create(Options({"VDD_GPU"}));
  EXPECT_TRUE(absl::IsInvalidArgument(rail.status())) << rail.status();

  Pi5PmicOptions missing = Options();
  missing.vcgencmd_path = "/nonexistent/vcgencmd";
  EXPECT_TRUE(absl::IsNotFound(Pi5PmicPowerSource::Create(missing).status()));

  auto core = Pi5PmicPowerSource::Create(Options({"VDD_CORE"}));
  ASSERT_TRUE(core.ok());
  setenv("FAKE_VCGENCMD_FILE", TestData("pi4_pmic_read_adc.txt").c_str(), 1);
  EXPECT_TRUE(absl::IsUnavailable(Pi5PmicPowerSource::Create(Options()).status()));
  EXPECT_FALSE((*core)->ReadMicrowatts().ok());
}

}  // namespace
}  // namespace edgenas
