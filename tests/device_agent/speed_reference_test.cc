// Speed normalisation: the method text, and the reference kernel's
// calibration driven by a fake clock (each run "takes" a known time, so
// nothing real is timed). The block-by-block scaling is in latency_test.
#include "device_agent/speed_reference.h"

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/metric_names.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

constexpr int64_t kMs = 1000000;  // ns

TEST(DescribeSpeedNormalization, KeepsTheRawFigures) {
  const std::string text = DescribeSpeedNormalization(5.5, 4.4, 0.625, 0.5, "kernel-x");
  EXPECT_EQ(text,
            "normalised block by block to the reference speed: raw median 5.5 ms -> 4.4 ms "
            "(kernel-x: 0.625 ms now, 0.5 ms baseline)");
}

// The longest measurement line plus the longest normalisation stays within
// what the coordinator accepts.
TEST(DescribeSpeedNormalization, LongestMethodFitsTheCoordinatorsLimit) {
  LatencyStats s;
  s.runs = 5000;
  s.blocks = 1000;
  s.median_ms = s.ci_low_ms = s.ci_high_ms = s.first_median_ms = 123456.789;
  s.first_ci_low_ms = s.first_ci_high_ms = 123456.789;
  s.unstable = true;
  s.stop = LatencyStop::kMaxTime;
  LatencyOptions o;
  o.warmup_ms = 100000;
  o.target_ci_rel = 0.000123;
  auto ref = SpeedReference::Create();
  ASSERT_TRUE(ref.ok());
  const std::string line = absl::StrCat(
      DescribeMeasurement(s, o), "; ",
      DescribeSpeedNormalization(123456.789, 123456.789, 123456.789, 123456.789, (*ref)->name()),
      "; baseline: calibrated now (record not kept)");
  EXPECT_LE(line.size(), kMaxMetricMethodChars) << line;
}

// Options whose every timed run reads as `step_ms` on a fake clock.
LatencyOptions FakeClockOptions(int64_t* now, int64_t step_ms) {
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 6;
  o.max_runs = 6;
  o.blocks = 1;
  o.block_pause_ms = 0;
  o.now_ns = [now, step_ms] {
    *now += step_ms * kMs;
    return *now;
  };
  o.sleep_ms = [](int) {};
  return o;
}

std::string TempRecord() {
  const std::string dir = ::testing::TempDir() + "/speed_record_" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  return dir + "/sub/speed_reference.tsv";  // the folder is created on write
}

// Entries are keyed by kernel, threads and machine; others are kept and
// malformed lines dropped.
TEST(SpeedRecord, RoundTripsAndKeepsOtherEntries) {
  const std::string path = TempRecord();
  EXPECT_TRUE(absl::IsNotFound(ReadSpeedRecord(path, "k", 1, "cpu A").status()));
  ASSERT_TRUE(WriteSpeedRecord(path, "k", 1, "cpu A", 0.5).ok());
  ASSERT_TRUE(WriteSpeedRecord(path, "k", 2, "cpu A", 0.3).ok());
  ASSERT_TRUE(WriteSpeedRecord(path, "k", 1, "cpu\tB", 0.7).ok());
  { std::ofstream(path, std::ios::app) << "garbage line\nk\t1\tcpu C\tnot-a-number\n"; }
  ASSERT_TRUE(WriteSpeedRecord(path, "k", 1, "cpu A", 0.4).ok());  // replaces
  EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, "k", 1, "cpu A"), 0.4);
  EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, "k", 2, "cpu A"), 0.3);
  EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, "k", 1, "cpu\tB"), 0.7);
  EXPECT_TRUE(absl::IsNotFound(ReadSpeedRecord(path, "k", 1, "cpu C").status()));
  EXPECT_TRUE(absl::IsNotFound(ReadSpeedRecord(path, "other", 1, "cpu A").status()));
}

// The baseline is the lower of this calibration and the record's; a faster
// calibration is written back, a slower one leaves the record alone.
TEST(SpeedReference, BaselineIsTheFastestOnRecord) {
  const std::string path = TempRecord();
  int64_t now = 0;
  {
    auto ref = SpeedReference::Create(path, "cpu A");
    ASSERT_TRUE(ref.ok()) << ref.status();
    absl::StatusOr<double> b = (*ref)->BaselineMs(1, FakeClockOptions(&now, 2), nullptr);
    ASSERT_TRUE(b.ok()) << b.status();
    EXPECT_DOUBLE_EQ(*b, 2.0);  // nothing on record yet: this calibration, recorded
    EXPECT_TRUE(absl::StrContains((*ref)->baseline_note(), "fastest on record")) <<
        (*ref)->baseline_note();
    EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, (*ref)->name(), 1, "cpu A"), 2.0);
  }
  {
    // A later agent in a slow spell (3 ms) reports at the recorded 2 ms.
    auto ref = SpeedReference::Create(path, "cpu A");
    ASSERT_TRUE(ref.ok());
    absl::StatusOr<double> b = (*ref)->BaselineMs(1, FakeClockOptions(&now, 3), nullptr);
    ASSERT_TRUE(b.ok());
    EXPECT_DOUBLE_EQ(*b, 2.0);
    EXPECT_TRUE(absl::StrContains((*ref)->baseline_note(), "fastest on record (now 3 ms)"))
        << (*ref)->baseline_note();
    EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, (*ref)->name(), 1, "cpu A"), 2.0);
  }
  {
    // A faster calibration (1 ms) wins and is recorded; another machine
    // has its own entry.
    auto ref = SpeedReference::Create(path, "cpu A");
    ASSERT_TRUE(ref.ok());
    EXPECT_DOUBLE_EQ(*(*ref)->BaselineMs(1, FakeClockOptions(&now, 1), nullptr), 1.0);
    EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, (*ref)->name(), 1, "cpu A"), 1.0);
    auto other = SpeedReference::Create(path, "cpu B");
    ASSERT_TRUE(other.ok());
    EXPECT_DOUBLE_EQ(*(*other)->BaselineMs(1, FakeClockOptions(&now, 5), nullptr), 5.0);
  }
}

// The kernel runs at the image size it is given (by default the default
// dataset's, whose name records written before the kernel followed the task
// used), and the record is keyed by that shape: calibrations of different
// sizes never stand in for each other, and an old 28x28 entry still serves.
TEST(SpeedReference, KernelTakesTheImageSizeAndTheRecordIsKeyedByIt) {
  const std::string path = TempRecord();
  auto fallback = SpeedReference::Create(path, "cpu A");
  ASSERT_TRUE(fallback.ok()) << fallback.status();
  EXPECT_EQ((*fallback)->name(), "relu-conv3x3-bn 16ch 28x28");
  auto small = SpeedReference::Create(path, "cpu A", /*height=*/16, /*width=*/12);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ((*small)->name(), "relu-conv3x3-bn 16ch 16x12");
  EXPECT_TRUE((*small)->RunOnce().ok());

  // An entry as earlier agents wrote it, for the 28x28 kernel.
  ASSERT_TRUE(WriteSpeedRecord(path, "relu-conv3x3-bn 16ch 28x28", 1, "cpu A", 0.5).ok());
  int64_t now = 0;
  EXPECT_DOUBLE_EQ(*(*fallback)->BaselineMs(1, FakeClockOptions(&now, 2), nullptr), 0.5);
  // The 16x12 kernel calibrates its own and records it beside the old one.
  EXPECT_DOUBLE_EQ(*(*small)->BaselineMs(1, FakeClockOptions(&now, 3), nullptr), 3.0);
  EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, "relu-conv3x3-bn 16ch 16x12", 1, "cpu A"), 3.0);
  EXPECT_DOUBLE_EQ(*ReadSpeedRecord(path, "relu-conv3x3-bn 16ch 28x28", 1, "cpu A"), 0.5);

  EXPECT_TRUE(absl::IsInvalidArgument(SpeedReference::Create("", "", -1, 8).status()));
}

}  // namespace
}  // namespace edgenas
