// RaplEnergyMeter and DetectEnergyMeter against fake powercap trees in a
// temporary directory.
#include "device_agent/energy/energy_meter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

class FakePowercap : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/powercap_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(root_, ec);
  }
  // Writes `<root>/<zone>/<file>` holding `value`.
  void Write(const std::string& zone, const std::string& file, const std::string& value) {
    fs::create_directories(root_ + "/" + zone);
    std::ofstream(root_ + "/" + zone + "/" + file) << value << "\n";
  }
  void Zone(const std::string& zone, uint64_t energy_uj, uint64_t max_uj) {
    Write(zone, "energy_uj", std::to_string(energy_uj));
    Write(zone, "max_energy_range_uj", std::to_string(max_uj));
  }

  std::string root_;
};

// A counter that wrapped past its range counts the energy up to the range
// and from 0.
TEST(CounterDeltaUj, HandlesWrapAround) {
  EXPECT_EQ(CounterDeltaUj(100, 250, 1000), 150u);
  EXPECT_EQ(CounterDeltaUj(900, 50, 1000), 150u);
  EXPECT_EQ(CounterDeltaUj(100, 100, 1000), 0u);
  // A previous value beyond the range is inconsistent: count only from 0.
  EXPECT_EQ(CounterDeltaUj(5000, 50, 1000), 50u);
}

// Packages are summed, subzones (intel-rapl:N:M) and other entries ignored,
// and a wrapped counter is folded in.
TEST_F(FakePowercap, SumsPackagesIgnoresSubzonesHandlesWrap) {
  Zone("intel-rapl:0", 1000, 10000);
  Zone("intel-rapl:1", 500, 10000);
  Zone("intel-rapl:0:0", 999999, 99999999);  // a subzone: already in package 0
  Zone("intel-rapl-mmio:0", 42, 10000);      // another control type
  fs::create_directories(root_ + "/intel-rapl");  // the control-type directory

  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = DetectEnergyMeter(root_);
  ASSERT_TRUE(meter.ok()) << meter.status();
  EXPECT_EQ((*meter)->Name(), "rapl(2 packages)");
  absl::StatusOr<uint64_t> e = (*meter)->Read();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 0u);  // cumulative since creation

  Zone("intel-rapl:0", 3000, 10000);
  Zone("intel-rapl:1", 700, 10000);
  Zone("intel-rapl:0:0", 5, 99999999);
  e = (*meter)->Read();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 2000u + 200u);

  Zone("intel-rapl:0", 500, 10000);  // wrapped: 7000 to the top, then 500
  e = (*meter)->Read();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 2200u + 7500u);
}

// No powercap directory at all: UNAVAILABLE saying where it looked.
TEST_F(FakePowercap, MissingRootIsUnavailableWithReason) {
  const std::string missing = root_ + "/does-not-exist";
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = DetectEnergyMeter(missing);
  ASSERT_TRUE(absl::IsUnavailable(meter.status())) << meter.status();
  EXPECT_EQ(meter.status().message(), "no powercap RAPL zones under " + missing);
}

// A powercap tree with only subzones or other control types has no packages.
TEST_F(FakePowercap, NoPackagesIsUnavailable) {
  Zone("intel-rapl:0:0", 1, 10);
  Zone("dtpm:0", 1, 10);
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = DetectEnergyMeter(root_);
  ASSERT_TRUE(absl::IsUnavailable(meter.status())) << meter.status();
  EXPECT_TRUE(absl::StrContains(meter.status().message(), "no powercap RAPL zones"));
}

// An energy_uj that cannot be read makes detection fail, naming the file.
TEST_F(FakePowercap, UnreadableCounterIsAnError) {
  Write("intel-rapl:0", "max_energy_range_uj", "10000");
  fs::create_directories(root_ + "/intel-rapl:0/energy_uj");  // read() gives EISDIR
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = DetectEnergyMeter(root_);
  ASSERT_TRUE(absl::IsUnavailable(meter.status())) << meter.status();
  EXPECT_TRUE(absl::StrContains(meter.status().message(), "intel-rapl:0/energy_uj"))
      << meter.status();
}

// A file without read permission (as for non-root users since Linux 5.10)
// gives "permission denied reading <path>".
TEST_F(FakePowercap, PermissionDeniedIsUnavailableWithReason) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their mode";
  Zone("intel-rapl:0", 1000, 10000);
  const std::string path = root_ + "/intel-rapl:0/energy_uj";
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = DetectEnergyMeter(root_);
  ASSERT_TRUE(absl::IsUnavailable(meter.status())) << meter.status();
  EXPECT_TRUE(absl::StrContains(meter.status().message(), "permission denied reading " + path))
      << meter.status();
}

// Malformed contents are DATA_LOSS from the meter itself.
TEST_F(FakePowercap, MalformedCounterIsDataLoss) {
  Write("intel-rapl:0", "energy_uj", "not-a-number");
  Write("intel-rapl:0", "max_energy_range_uj", "10000");
  absl::StatusOr<std::unique_ptr<RaplEnergyMeter>> meter = RaplEnergyMeter::Create(root_);
  EXPECT_TRUE(absl::IsDataLoss(meter.status())) << meter.status();
}

// A read that fails after creation returns the error and leaves the total
// unchanged for the next good read.
TEST_F(FakePowercap, FailedReadKeepsTotal) {
  Zone("intel-rapl:0", 1000, 10000);
  absl::StatusOr<std::unique_ptr<RaplEnergyMeter>> meter = RaplEnergyMeter::Create(root_);
  ASSERT_TRUE(meter.ok()) << meter.status();
  const std::string path = root_ + "/intel-rapl:0/energy_uj";
  fs::remove(path);
  EXPECT_TRUE(absl::IsNotFound((*meter)->Read().status()));
  Zone("intel-rapl:0", 1300, 10000);
  absl::StatusOr<uint64_t> e = (*meter)->Read();
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(*e, 300u);
}

}  // namespace
}  // namespace edgenas
