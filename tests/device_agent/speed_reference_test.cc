// Speed normalisation: the method text, and the reference kernel's
// calibration driven by a fake clock (each run "takes" a known time, so
// nothing real is timed). The block-by-block scaling is in latency_test.
#include "device_agent/speed_reference.h"

#include <cstdint>
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
            "4.4 ms (reference kernel-x took 0.625 ms during the measurement, 0.5 ms at "
            "calibration)");
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
