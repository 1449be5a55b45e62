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
#include "gtest/gtest.h"

namespace edgenas {
namespace {

constexpr int64_t kMs = 1000000;  // ns

TEST(DescribeSpeedNormalization, KeepsTheRawFigures) {
  const std::string text = DescribeSpeedNormalization(5.5, 4.4, 0.625, 0.5, "kernel-x");
  EXPECT_EQ(text,
            "normalised block by block to this agent's reference speed: raw median 5.5 ms -> "
            "4.4 ms (reference kernel-x took 0.625 ms during the measurement, 0.5 ms at its "
            "baseline)");
}

// The baseline is the fastest of three calibration rounds, measured once
// per thread count and then remembered; the kernel really runs.
TEST(SpeedReference, CalibratesFastestRoundOncePerThreadCount) {
  absl::StatusOr<std::unique_ptr<SpeedReference>> ref = SpeedReference::Create();
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ((*ref)->name(), "relu-conv3x3-bn 16ch 28x28");
  ASSERT_TRUE((*ref)->RunOnce().ok());

  // Every reading of the fake clock advances it by the current round's
  // step, so each run of round k "takes" a constant time.
  int64_t now = 0;
  int64_t step = 0;
  int round = -1;
  const std::vector<int64_t> steps = {3 * kMs, 1 * kMs, 2 * kMs};
  std::vector<int> pauses;
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 6;
  o.max_runs = 6;
  o.blocks = 1;
  o.block_pause_ms = 0;
  o.now_ns = [&] {
    now += step;
    return now;
  };
  o.sleep_ms = [&](int ms) {
    pauses.push_back(ms);
    step = steps[++round];
  };
  step = steps[++round];
  absl::StatusOr<double> baseline = (*ref)->BaselineMs(1, o, nullptr);
  ASSERT_TRUE(baseline.ok()) << baseline.status();
  // A run reads as one step (its end reading minus its start): the 1 ms round wins.
  EXPECT_DOUBLE_EQ(*baseline, 1.0);
  EXPECT_EQ(pauses.size(), 2u);  // between the three rounds

  // Remembered: no further rounds for the same thread count.
  absl::StatusOr<double> again = (*ref)->BaselineMs(1, o, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_DOUBLE_EQ(*again, 1.0);
  EXPECT_EQ(pauses.size(), 2u);
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
    EXPECT_TRUE(absl::StrContains((*ref)->baseline_note(), "this agent's: 3 ms"))
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

}  // namespace
}  // namespace edgenas
