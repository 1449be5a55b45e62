// The tegrastats parser on recorded lines of three Jetson generations, and
// TegrastatsMeter running a fake tegrastats that prints them.
#include "device_agent/energy/energy_tegrastats.h"

#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/device_agent/energy/energy_test_util.h"

namespace edgenas {
namespace {

using testing_energy::SteppingClock;
using testing_energy::TestData;

std::string FirstLine(const std::string& file) {
  std::ifstream in(TestData(file));
  std::string line;
  std::getline(in, line);
  return line;
}

// JetPack 5/6: "NAME <now>mW/<avg>mW"; memory fields are not rails.
TEST(ParseTegrastatsLine, OrinFormat) {
  std::vector<RailPower> rails = ParseTegrastatsLine(FirstLine("tegrastats_orin_nano.txt"));
  ASSERT_EQ(rails.size(), 3u);
  EXPECT_EQ(rails[0].name, "VDD_IN");
  EXPECT_DOUBLE_EQ(rails[0].microwatts, 4'772'000);
  EXPECT_EQ(rails[1].name, "VDD_CPU_GPU_CV");
  EXPECT_DOUBLE_EQ(rails[1].microwatts, 554'000);
  EXPECT_EQ(rails[2].name, "VDD_SOC");
  EXPECT_DOUBLE_EQ(rails[2].microwatts, 1'426'000);
}

// JetPack 4: "NAME <now>/<avg>" in mW without a unit; "RAM 1617/3964MB"
// and "IRAM 0/252kB(lfb" carry other units and are skipped.
TEST(ParseTegrastatsLine, JetPack4Formats) {
  std::vector<RailPower> nano = ParseTegrastatsLine(FirstLine("tegrastats_nano_jp4.txt"));
  ASSERT_EQ(nano.size(), 3u);
  EXPECT_EQ(nano[0].name, "POM_5V_IN");
  EXPECT_DOUBLE_EQ(nano[0].microwatts, 2'134'000);
  EXPECT_EQ(nano[2].name, "POM_5V_CPU");

  std::vector<RailPower> xavier = ParseTegrastatsLine(FirstLine("tegrastats_xavier_jp4.txt"));
  std::vector<std::string> names;
  for (const RailPower& r : xavier) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"GPU", "CPU", "SOC", "CV", "VDDRQ", "SYS5V"}));
}

// Lines without rails, mixed units and junk give nothing.
TEST(ParseTegrastatsLine, RejectsNonRails) {
  EXPECT_TRUE(ParseTegrastatsLine("").empty());
  EXPECT_TRUE(ParseTegrastatsLine("RAM 2107/7620MB SWAP 0/3810MB").empty());
  EXPECT_TRUE(ParseTegrastatsLine("VDD_IN 5012mW/5012").empty());
  EXPECT_TRUE(ParseTegrastatsLine("VDD_IN -5/5").empty());
  EXPECT_TRUE(ParseTegrastatsLine("VDD_IN").empty());
}

class TegrastatsMeterTest : public ::testing::Test {
 protected:
  void TearDown() override { unsetenv("FAKE_TEGRASTATS_FILE"); }
  TegrastatsOptions Options(SteppingClock* clock, std::vector<std::string> rails = {}) {
    TegrastatsOptions o;
    o.path = TestData("fake_tegrastats");
    o.interval_ms = 100;
    o.rails = std::move(rails);
    o.now_ns = clock->Fn();
    return o;
  }
};

// The fake prints five Orin lines, stamped 100 ms apart by the fake clock:
// energy is the trapezoid integral of VDD_IN.
TEST_F(TegrastatsMeterTest, IntegratesTheTotalRail) {
  SteppingClock clock(100'000'000);
  auto meter = TegrastatsMeter::Start(Options(&clock));
  ASSERT_TRUE(meter.ok()) << meter.status();
  ASSERT_TRUE((*meter)->WaitForSamples(5, absl::Seconds(10)));
  EXPECT_EQ((*meter)->Name(), "tegrastats(VDD_IN)");
  EXPECT_EQ((*meter)->MinWindowMs(), 2000);
  absl::StatusOr<uint64_t> e = (*meter)->Read();
  ASSERT_TRUE(e.ok()) << e.status();
  // 0.1 s * ((4772+5012)/2 + (5012+6852)/2 + (6852+6932)/2 + (6932+4812)/2) mW
  EXPECT_EQ(*e, 2'358'800u);
}

// Requested rails are summed instead.
TEST_F(TegrastatsMeterTest, SumsRequestedRails) {
  SteppingClock clock(1'000'000'000);
  auto meter = TegrastatsMeter::Start(Options(&clock, {"VDD_CPU_GPU_CV", "VDD_SOC"}));
  ASSERT_TRUE(meter.ok()) << meter.status();
  ASSERT_TRUE((*meter)->WaitForSamples(2, absl::Seconds(10)));
  EXPECT_EQ((*meter)->Name(), "tegrastats(VDD_CPU_GPU_CV+VDD_SOC)");
  ASSERT_TRUE((*meter)->WaitForSamples(5, absl::Seconds(10)));
  // Per line (mW): 1980, 2218, 3962, 4002, 2020; 1 s apart.
  EXPECT_EQ(*(*meter)->Read(), static_cast<uint64_t>(
                                   1000.0 * ((1980 + 2218) / 2.0 + (2218 + 3962) / 2.0 +
                                             (3962 + 4002) / 2.0 + (4002 + 2020) / 2.0)));
}

// The JetPack 4 layout (no unit) works the same, with POM_5V_IN as total.
TEST_F(TegrastatsMeterTest, ReadsJetPack4Output) {
  setenv("FAKE_TEGRASTATS_FILE", TestData("tegrastats_nano_jp4.txt").c_str(), 1);
  SteppingClock clock(1'000'000'000);
  auto meter = TegrastatsMeter::Start(Options(&clock));
  ASSERT_TRUE(meter.ok()) << meter.status();
  ASSERT_TRUE((*meter)->WaitForSamples(2, absl::Seconds(10)));
  EXPECT_EQ((*meter)->Name(), "tegrastats(POM_5V_IN)");
  EXPECT_EQ(*(*meter)->Read(), 3'155'000u);  // (2134 + 4176) / 2 mW over 1 s
}

// A rail tegrastats does not print is INVALID_ARGUMENT listing its rails.
TEST_F(TegrastatsMeterTest, UnknownRailIsInvalidArgument) {
  SteppingClock clock(1);
  auto meter = TegrastatsMeter::Start(Options(&clock, {"VDD_GPU"}));
  ASSERT_TRUE(absl::IsInvalidArgument(meter.status())) << meter.status();
  EXPECT_TRUE(absl::StrContains(meter.status().message(),
                                "rails offered: VDD_IN, VDD_CPU_GPU_CV, VDD_SOC"))
      << meter.status();
}

// A tegrastats that exits without rails is UNAVAILABLE quoting its output;
// a missing binary is NOT_FOUND.
TEST_F(TegrastatsMeterTest, FailuresSayWhy) {
  setenv("FAKE_TEGRASTATS_FILE", "/nonexistent/tegrastats.txt", 1);
  SteppingClock clock(1);
  auto exited = TegrastatsMeter::Start(Options(&clock));
  ASSERT_TRUE(absl::IsUnavailable(exited.status())) << exited.status();
  EXPECT_TRUE(absl::StrContains(exited.status().message(), "exited"));
  EXPECT_TRUE(absl::StrContains(exited.status().message(), "cannot read /nonexistent"))
      << exited.status();

  TegrastatsOptions missing = Options(&clock);
  missing.path = "/nonexistent/tegrastats";
  EXPECT_TRUE(absl::IsNotFound(TegrastatsMeter::Start(missing).status()));
}

// Destroying the meter stops the child (its process group is killed).
TEST_F(TegrastatsMeterTest, DestructionStopsTheChild) {
  SteppingClock clock(1);
  auto meter = TegrastatsMeter::Start(Options(&clock));
  ASSERT_TRUE(meter.ok()) << meter.status();
  meter->reset();
  // Nothing is left in the test's own children.
  EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

}  // namespace
}  // namespace edgenas
