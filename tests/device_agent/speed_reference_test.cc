// Speed normalisation: scaling of the statistics, the factor's checks, the
// method text, and the reference kernel's calibration driven by a fake
// clock (each run "takes" a known time, so nothing real is timed).
#include "device_agent/speed_reference.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

constexpr int64_t kMs = 1000000;  // ns

TEST(ScaleLatencyStats, ScalesTimesNotCountsOrFlags) {
  LatencyStats s = ComputeLatencyStats({2, 4, 6, 8, 10, 12, 14});
  s.blocks = 3;
  s.attempts = 2;
  s.unstable = true;
  s.first_median_ms = 9;
  s.first_ci_low_ms = 8;
  s.first_ci_high_ms = 10;
  s.reference_median_ms = 1.5;
  s.reference_runs = 15;
  const LatencyStats t = ScaleLatencyStats(s, 0.5);
  EXPECT_DOUBLE_EQ(t.median_ms, 4);
  EXPECT_DOUBLE_EQ(t.p90_ms, s.p90_ms * 0.5);
  EXPECT_DOUBLE_EQ(t.mean_ms, 4);
  EXPECT_DOUBLE_EQ(t.stddev_ms, s.stddev_ms * 0.5);
  EXPECT_DOUBLE_EQ(t.min_ms, 1);
  EXPECT_DOUBLE_EQ(t.ci_low_ms, s.ci_low_ms * 0.5);
  EXPECT_DOUBLE_EQ(t.ci_high_ms, s.ci_high_ms * 0.5);
  EXPECT_DOUBLE_EQ(t.first_median_ms, 4.5);
  EXPECT_DOUBLE_EQ(t.first_ci_low_ms, 4);
  EXPECT_DOUBLE_EQ(t.first_ci_high_ms, 5);
  EXPECT_DOUBLE_EQ(t.cv, s.cv);  // scale-free
  EXPECT_EQ(t.runs, 7);
  EXPECT_EQ(t.blocks, 3);
  EXPECT_EQ(t.attempts, 2);
  EXPECT_TRUE(t.unstable);
  EXPECT_DOUBLE_EQ(t.reference_median_ms, 1.5);
  EXPECT_EQ(t.reference_runs, 15);
}

TEST(SpeedFactor, BaselineOverReferenceOrRefused) {
  absl::StatusOr<double> f = SpeedFactor(2.0, 2.5);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_DOUBLE_EQ(*f, 0.8);
  for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    absl::StatusOr<double> b = SpeedFactor(bad, 1.0);
    ASSERT_TRUE(absl::IsInvalidArgument(b.status())) << bad;
    EXPECT_TRUE(absl::StrContains(b.status().message(), "baseline")) << b.status();
    absl::StatusOr<double> r = SpeedFactor(1.0, bad);
    ASSERT_TRUE(absl::IsInvalidArgument(r.status())) << bad;
    EXPECT_TRUE(absl::StrContains(r.status().message(), "during the measurement")) << r.status();
  }
}

TEST(DescribeSpeedNormalization, KeepsTheRawFigures) {
  const std::string text = DescribeSpeedNormalization(5.5, 0.625, 0.5, "kernel-x");
  EXPECT_EQ(text,
            "normalised to this agent's reference speed: raw median 5.5 ms x 0.8000 (reference "
            "kernel-x took 0.625 ms during the measurement, 0.5 ms at calibration)");
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

}  // namespace
}  // namespace edgenas
