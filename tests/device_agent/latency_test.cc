// Latency statistics, the stopping rule, and MeasureLatency driven by a fake
// clock (each fake run "takes" a known time, so nothing real is timed).
#include "device_agent/latency.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace edgenas {
namespace {

constexpr int64_t kMs = 1000000;  // ns

// Odd count: median is the middle value; p90 interpolates 4 and 5.
TEST(LatencyStats, HandComputedOddCount) {
  const LatencyStats s = ComputeLatencyStats({3, 1, 5, 2, 4});
  EXPECT_EQ(s.runs, 5);
  EXPECT_DOUBLE_EQ(s.median_ms, 3.0);
  EXPECT_DOUBLE_EQ(s.p90_ms, 4.6);  // rank 0.9 * 4 = 3.6
  EXPECT_DOUBLE_EQ(s.mean_ms, 3.0);
  EXPECT_NEAR(s.stddev_ms, std::sqrt(2.5), 1e-12);  // sum of squares 10 / (n - 1)
  EXPECT_NEAR(s.cv, std::sqrt(2.5) / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(s.min_ms, 1.0);
}

// Even count: median is the mean of the two middle values.
TEST(LatencyStats, HandComputedEvenCount) {
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 0.9), 3.7);  // rank 2.7 between 3 and 4
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(Quantile({4, 1, 3, 2}, 1.0), 4.0);
}

// One sample has no spread; no samples give all zeros.
TEST(LatencyStats, DegenerateInputs) {
  const LatencyStats one = ComputeLatencyStats({7});
  EXPECT_DOUBLE_EQ(one.median_ms, 7);
  EXPECT_DOUBLE_EQ(one.p90_ms, 7);
  EXPECT_DOUBLE_EQ(one.stddev_ms, 0);
  EXPECT_DOUBLE_EQ(one.cv, 0);
  const LatencyStats none = ComputeLatencyStats({});
  EXPECT_EQ(none.runs, 0);
  EXPECT_DOUBLE_EQ(none.median_ms, 0);
  EXPECT_DOUBLE_EQ(Median({}), 0);
}

// Sampling never stops before min_runs, stops once the median is flat, and
// always stops at max_runs.
TEST(ShouldStopSampling, MinRunsStableMedianAndCap) {
  LatencyOptions o;
  o.min_runs = 20;
  o.max_runs = 40;
  o.stable_window = 10;
  EXPECT_FALSE(ShouldStopSampling(std::vector<double>(19, 1.0), o));
  EXPECT_TRUE(ShouldStopSampling(std::vector<double>(20, 1.0), o));

  std::vector<double> rising;
  for (int i = 1; i <= 39; ++i) rising.push_back(i);
  EXPECT_FALSE(ShouldStopSampling(rising, o));  // median moved 20 -> 15: 33%
  rising.push_back(40);
  EXPECT_TRUE(ShouldStopSampling(rising, o));  // max_runs
}

// A median that moves by just under / just over the tolerance.
TEST(ShouldStopSampling, RelativeChangeThreshold) {
  LatencyOptions o;
  o.min_runs = 3;
  o.max_runs = 100;
  o.stable_window = 1;
  o.stable_rel_change = 0.01;
  // Medians: without the last sample 100.5, with it 101 (0.5% change).
  EXPECT_TRUE(ShouldStopSampling({100, 101, 101.8}, o));
  // Medians 100 -> 101.5 (1.5%).
  EXPECT_FALSE(ShouldStopSampling({100, 103, 104}, o));
}

// A fake clock advanced by each run: warm-up takes warmup_ms / run time
// runs, then constant durations stop at min_runs.
TEST(MeasureLatency, ConstantRunsStopAtMinRuns) {
  int64_t now = 0;
  int calls = 0;
  LatencyOptions o;
  o.warmup_ms = 10;
  o.min_runs = 20;
  o.max_runs = 200;
  o.now_ns = [&now] { return now; };
  const auto run = [&] {
    ++calls;
    now += 2 * kMs;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->runs, 20);
  EXPECT_EQ(calls, 5 + 20);  // 5 warm-up runs of 2 ms fill 10 ms
  EXPECT_DOUBLE_EQ(s->median_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->cv, 0.0);
}

// Durations that keep growing never stabilise: sampling ends at max_runs.
// Warm-up of 0 ms still makes one run.
TEST(MeasureLatency, DriftingRunsStopAtMaxRuns) {
  int64_t now = 0;
  int calls = 0;
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 5;
  o.max_runs = 50;
  o.now_ns = [&now] { return now; };
  const auto run = [&] {
    ++calls;
    now += calls * kMs;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->runs, 50);
  EXPECT_EQ(calls, 51);
  EXPECT_DOUBLE_EQ(s->min_ms, 2.0);  // the first timed run is call 2
}

// The run function's error is returned as is.
TEST(MeasureLatency, PropagatesRunError) {
  int calls = 0;
  LatencyOptions o;
  o.warmup_ms = 0;
  const auto run = [&] {
    return ++calls == 3 ? absl::InternalError("boom") : absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  EXPECT_EQ(s.status(), absl::InternalError("boom"));
}

// A raised cancel flag ends the measurement with CANCELLED.
TEST(MeasureLatency, CancelledByFlag) {
  std::atomic<bool> cancel{false};
  LatencyOptions o;
  o.warmup_ms = 0;
  int calls = 0;
  const auto run = [&] {
    if (++calls == 4) cancel = true;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, &cancel);
  EXPECT_TRUE(absl::IsCancelled(s.status())) << s.status();
  EXPECT_EQ(calls, 4);
}

// Out-of-range options are refused naming the field.
TEST(MeasureLatency, RejectsBadOptions) {
  LatencyOptions o;
  o.min_runs = 10;
  o.max_runs = 5;
  absl::StatusOr<LatencyStats> s = MeasureLatency([] { return absl::OkStatus(); }, o, nullptr);
  ASSERT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("max_runs"), absl::string_view::npos);
}

}  // namespace
}  // namespace edgenas
