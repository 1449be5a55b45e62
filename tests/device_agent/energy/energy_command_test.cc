// The external-command meter: units, patterns, a counter and a power
// reading from commands that print recorded outputs, and RunCommand's
// failures (exit code, timeout, missing binary).
#include "device_agent/energy/energy_command.h"

#include "absl/strings/match.h"
#include "device_agent/energy/energy_process.h"
#include "gtest/gtest.h"
#include "tests/device_agent/energy/energy_test_util.h"

namespace edgenas {
namespace {

using testing_energy::TempTree;

// Units scale to microjoules / microwatts; unknown ones list the known.
TEST(CommandUnitScale, KnowsUnits) {
  EXPECT_DOUBLE_EQ(*CommandUnitScale(CommandReports::kEnergy, "mJ"), 1e3);
  EXPECT_DOUBLE_EQ(*CommandUnitScale(CommandReports::kEnergy, "Wh"), 3.6e9);
  EXPECT_DOUBLE_EQ(*CommandUnitScale(CommandReports::kPower, "W"), 1e6);
  auto bad = CommandUnitScale(CommandReports::kPower, "mJ");
  ASSERT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_EQ(bad.status().message(), "unknown power unit \"mJ\"; known: uW, mW, W");
}

// The default pattern takes the first number; a group picks one; output
// that does not match is NOT_FOUND quoting it.
TEST(ExtractMeterValue, PatternsPickTheNumber) {
  auto first = CompileMeterPattern("");
  ASSERT_TRUE(first.ok());
  EXPECT_DOUBLE_EQ(*ExtractMeterValue("power: 4.25 W\n", *first), 4.25);
  EXPECT_DOUBLE_EQ(*ExtractMeterValue("1.5e3\n", *first), 1500);
  auto group = CompileMeterPattern(R"(Energy\s*=\s*([0-9.]+)\s*Wh)");
  ASSERT_TRUE(group.ok());
  EXPECT_DOUBLE_EQ(*ExtractMeterValue("V=5.1 A=0.8 Energy = 0.0125 Wh", *group), 0.0125);
  auto miss = ExtractMeterValue("no reading\n", *group);
  ASSERT_TRUE(absl::IsNotFound(miss.status()));
  EXPECT_TRUE(absl::StrContains(miss.status().message(), "no reading"));
  EXPECT_TRUE(absl::IsInvalidArgument(CompileMeterPattern("([0-9").status()));
}

// An energy counter: the first reading is the origin; later ones count from
// it; a counter that goes back is DATA_LOSS.
TEST(CommandEnergyMeter, CountsFromTheFirstReading) {
  TempTree tree;
  tree.Write("reading", "meter 1 energy_mj=1200.5");
  CommandMeterOptions o;
  o.command = "cat '" + tree.Path("reading") + "'";
  o.unit = "mJ";
  o.pattern = R"(energy_mj=([0-9.]+))";
  auto meter = CommandEnergyMeter::Create(o);
  ASSERT_TRUE(meter.ok()) << meter.status();
  EXPECT_EQ((*meter)->Name(), "command(energy)");
  EXPECT_EQ(*(*meter)->Read(), 0u);
  tree.Write("reading", "meter 1 energy_mj=1500.5");
  EXPECT_EQ(*(*meter)->Read(), 300'000u);
  tree.Write("reading", "meter 1 energy_mj=10.0");
  EXPECT_TRUE(absl::IsDataLoss((*meter)->Read().status()));
}

// A power reading in W, as microwatts.
TEST(CommandPowerSource, ReadsPower) {
  TempTree tree;
  tree.Write("reading", "2.75");
  CommandMeterOptions o;
  o.command = "cat '" + tree.Path("reading") + "'";
  o.reports = CommandReports::kPower;
  o.unit = "W";
  auto source = CommandPowerSource::Create(o);
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_DOUBLE_EQ(*(*source)->ReadMicrowatts(), 2.75e6);
}

// A failing command's error says how it ended and what it printed.
TEST(CommandEnergyMeter, CommandFailureIsReported) {
  CommandMeterOptions o;
  o.command = "echo 'meter not connected' >&2; exit 3";
  o.unit = "J";
  auto meter = CommandEnergyMeter::Create(o);
  ASSERT_TRUE(absl::IsUnavailable(meter.status())) << meter.status();
  EXPECT_TRUE(absl::StrContains(meter.status().message(), "exit code 3"));
  EXPECT_TRUE(absl::StrContains(meter.status().message(), "meter not connected"));
}

// RunCommand: output captured, a hung command killed at the timeout, a
// missing binary NOT_FOUND.
TEST(RunCommand, CapturesKillsAndReportsMissing) {
  auto ok = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2"}, absl::Seconds(10));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->out, "out\n");
  EXPECT_EQ(ok->err, "err\n");
  auto hung = RunCommand({"/bin/sh", "-c", "sleep 30"}, absl::Milliseconds(200));
  EXPECT_TRUE(absl::IsDeadlineExceeded(hung.status())) << hung.status();
  auto missing = RunCommand({"/nonexistent/meter"}, absl::Seconds(1));
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
}

}  // namespace
}  // namespace edgenas
