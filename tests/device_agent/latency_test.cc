// Latency statistics, the order-statistic interval of the median, the
// block schedule and stopping rule, and MeasureLatency driven by a fake
// clock (each fake run "takes" a known time, so nothing real is timed).
#include "device_agent/latency.h"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "edgenas/v1/job.pb.h"
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
  // Five samples are too few for a 95% interval: min and max, not valid.
  EXPECT_FALSE(s.ci_valid);
  EXPECT_DOUBLE_EQ(s.ci_low_ms, 1.0);
  EXPECT_DOUBLE_EQ(s.ci_high_ms, 5.0);
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

// The ranks match the published tables of the distribution-free interval
// (e.g. Conover, Practical Nonparametric Statistics): n = 6 -> (1, 6),
// n = 10 -> (2, 9), n = 20 -> (6, 15), n = 100 -> (40, 61).
TEST(MedianInterval, RanksMatchBinomialTables) {
  EXPECT_EQ(MedianIntervalRank(5), 0);
  EXPECT_EQ(MedianIntervalRank(6), 1);
  EXPECT_EQ(MedianIntervalRank(10), 2);
  EXPECT_EQ(MedianIntervalRank(20), 6);
  EXPECT_EQ(MedianIntervalRank(100), 40);
  // Past the exact limit the normal approximation stays close to n/2 - 0.98 sqrt(n).
  const int l = MedianIntervalRank(1000000);
  EXPECT_NEAR(l, 500000 - 980, 2);
}

// The interval picks those order statistics out of the sorted sample.
TEST(MedianInterval, PicksOrderStatistics) {
  std::vector<double> samples;
  for (int i = 20; i >= 1; --i) samples.push_back(i);  // unsorted on purpose
  const MedianInterval ci = MedianConfidenceInterval(samples);
  EXPECT_TRUE(ci.valid);
  EXPECT_DOUBLE_EQ(ci.low, 6.0);
  EXPECT_DOUBLE_EQ(ci.high, 15.0);
}

// Precise means both ends within +-target of the median.
TEST(IsPrecise, BothEndsWithinTarget) {
  LatencyStats s;
  s.median_ms = 100;
  s.ci_low_ms = 99.5;
  s.ci_high_ms = 100.9;
  s.ci_valid = true;
  EXPECT_TRUE(IsPrecise(s, 0.01));
  s.ci_high_ms = 101.2;
  EXPECT_FALSE(IsPrecise(s, 0.01));
  EXPECT_TRUE(IsPrecise(s, 0.02));
  s.ci_valid = false;
  EXPECT_FALSE(IsPrecise(s, 0.5));
}

// The first `blocks` blocks split min_runs; later ones grow with the runs.
TEST(NextBlockSize, SplitsMinRunsThenGrows) {
  LatencyOptions o;
  o.min_runs = 20;
  o.blocks = 4;
  EXPECT_EQ(NextBlockSize(0, 0, o), 5);
  EXPECT_EQ(NextBlockSize(15, 3, o), 5);
  EXPECT_EQ(NextBlockSize(20, 4, o), 5);
  EXPECT_EQ(NextBlockSize(100, 10, o), 25);
  o.min_runs = 3;
  o.blocks = 2;
  EXPECT_EQ(NextBlockSize(0, 0, o), 2);  // ceil(3 / 2)
}

// Sampling never stops on precision before min_runs in `blocks` blocks or
// mid-block, stops once the interval is narrow, and always stops at a cap.
TEST(ShouldStopSampling, PrecisionOnlyAtBlockEndsAfterMinRuns) {
  LatencyOptions o;
  o.min_runs = 20;
  o.blocks = 4;
  o.max_runs = 100;
  o.max_measure_ms = 1000;
  LatencyStop stop;
  const std::vector<double> flat(20, 1.0);
  EXPECT_FALSE(ShouldStopSampling(std::vector<double>(19, 1.0), 0, true, 4, o, &stop));
  EXPECT_FALSE(ShouldStopSampling(flat, 0, /*block_end=*/false, 4, o, &stop));
  EXPECT_FALSE(ShouldStopSampling(flat, 0, true, /*blocks_done=*/3, o, &stop));
  EXPECT_TRUE(ShouldStopSampling(flat, 0, true, 4, o, &stop));
  EXPECT_EQ(stop, LatencyStop::kPrecise);

  std::vector<double> spread;
  for (int i = 1; i <= 40; ++i) spread.push_back(i);  // CI about +-25% of the median
  EXPECT_FALSE(ShouldStopSampling(spread, 10, true, 8, o, &stop));
  EXPECT_TRUE(ShouldStopSampling(spread, 1000, false, 8, o, &stop));
  EXPECT_EQ(stop, LatencyStop::kMaxTime);
  spread.resize(100, 50.0);
  EXPECT_TRUE(ShouldStopSampling(spread, 10, false, 8, o, &stop));
  EXPECT_EQ(stop, LatencyStop::kMaxRuns);
}

// A fake clock advanced by each run and each pause: warm-up takes
// warmup_ms / run time runs; constant durations are precise at once, after
// min_runs in `blocks` blocks with a pause between blocks.
TEST(MeasureLatency, ConstantRunsStopAtMinRunsInBlocks) {
  int64_t now = 0;
  int calls = 0;
  std::vector<int> pauses;
  LatencyOptions o;
  o.warmup_ms = 10;
  o.min_runs = 20;
  o.blocks = 4;
  o.block_pause_ms = 7;
  o.now_ns = [&now] { return now; };
  o.sleep_ms = [&](int ms) {
    pauses.push_back(ms);
    now += ms * kMs;
  };
  const auto run = [&] {
    ++calls;
    now += 2 * kMs;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->runs, 20);
  EXPECT_EQ(s->blocks, 4);
  EXPECT_EQ(calls, 5 + 20);  // 5 warm-up runs of 2 ms fill 10 ms
  EXPECT_EQ(pauses, std::vector<int>({7, 7, 7}));  // between the 4 blocks
  EXPECT_DOUBLE_EQ(s->median_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->ci_low_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->ci_high_ms, 2.0);
  EXPECT_EQ(s->stop, LatencyStop::kPrecise);
  EXPECT_EQ(s->attempts, 1);
  EXPECT_FALSE(s->unstable);
  EXPECT_NE(DescribeMeasurement(*s, o).find("median of 20 runs in 4 blocks"), std::string::npos);
}

// Noise that is wide at first and then settles: more blocks are added until
// the interval is within target, and the result is precise.
TEST(MeasureLatency, AddsBlocksUntilPrecise) {
  int64_t now = 0;
  int timed = 0;
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 20;
  o.blocks = 4;
  o.target_ci_rel = 0.01;
  o.now_ns = [&now] { return now; };
  o.sleep_ms = [&](int ms) { now += ms * kMs; };
  bool warm = false;
  const auto run = [&] {
    if (!warm) {  // the single warm-up run (warmup_ms = 0)
      warm = true;
      now += kMs;
      return absl::OkStatus();
    }
    ++timed;
    // Alternating 0.9 / 1.1 ms for the first 40 runs, 1.0 ms after.
    now += timed <= 40 ? (timed % 2 == 0 ? 900000 : 1100000) : 1000000;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->stop, LatencyStop::kPrecise);
  EXPECT_GT(s->runs, 40);
  EXPECT_GT(s->blocks, 4);
  EXPECT_FALSE(s->unstable);
  EXPECT_DOUBLE_EQ(s->median_ms, 1.0);
  EXPECT_TRUE(IsPrecise(*s, 0.01));
}

// Durations that keep growing never give a narrow interval: the run cap
// ends the first attempt, the re-measurement ends the same way, and the
// result is reported as unstable with both attempts' figures.
TEST(MeasureLatency, DriftingRunsAreRemeasuredThenUnstable) {
  int64_t now = 0;
  int calls = 0;
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 5;
  o.blocks = 1;
  o.max_runs = 50;
  o.now_ns = [&now] { return now; };
  o.sleep_ms = [&](int ms) { now += ms * kMs; };
  const auto run = [&] {
    ++calls;
    now += calls * kMs;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->runs, 50);
  EXPECT_EQ(calls, 2 * 51);  // each attempt: 1 warm-up run + 50 timed
  EXPECT_EQ(s->stop, LatencyStop::kMaxRuns);
  EXPECT_EQ(s->attempts, 2);
  EXPECT_TRUE(s->unstable);
  EXPECT_DOUBLE_EQ(s->min_ms, 53.0);  // the second attempt's first timed run is call 53
  EXPECT_NEAR(s->first_median_ms, 26.5, 1e-9);  // runs 2..51 of the first attempt
  EXPECT_GT(s->first_ci_high_ms, s->first_ci_low_ms);
  EXPECT_NE(DescribeMeasurement(*s, o).find("UNSTABLE"), std::string::npos);
}

// The time cap ends a slow, noisy measurement; without re-measurement it is
// unstable after one attempt.
TEST(MeasureLatency, TimeCapWithoutRemeasurement) {
  int64_t now = 0;
  int calls = 0;
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 10;
  o.blocks = 2;
  o.max_measure_ms = 100;
  o.block_pause_ms = 0;
  o.remeasure_unstable = false;
  o.now_ns = [&now] { return now; };
  const auto run = [&] {
    ++calls;
    now += (calls % 3 == 0 ? 30 : 10) * kMs;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->stop, LatencyStop::kMaxTime);
  EXPECT_EQ(s->attempts, 1);
  EXPECT_TRUE(s->unstable);
  EXPECT_LE(s->runs, 10);
}

// A reference kernel is timed reference_runs times before the first block
// and after each block; its median is reported beside the candidate's, and
// the candidate's own statistics are untouched by it.
TEST(MeasureLatency, TimesTheReferenceAroundEveryBlock) {
  int64_t now = 0;
  std::vector<char> order;  // 'r' reference, 'c' candidate, 'p' pause
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 8;
  o.blocks = 4;
  o.block_pause_ms = 1;
  o.reference_runs = 2;
  o.now_ns = [&now] { return now; };
  o.sleep_ms = [&](int ms) {
    order.push_back('p');
    now += ms * kMs;
  };
  int reference_calls = 0;
  o.reference_run = [&] {
    order.push_back('r');
    // 1 ms, 3 ms, 1 ms, 3 ms, ...: median 2 ms over 10 runs.
    now += (++reference_calls % 2 ? 1 : 3) * kMs;
    return absl::OkStatus();
  };
  const auto run = [&] {
    order.push_back('c');
    now += 5 * kMs;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->runs, 8);
  EXPECT_DOUBLE_EQ(s->median_ms, 5.0);
  EXPECT_EQ(s->reference_runs, 10);  // before block 1 and after each of 4
  EXPECT_DOUBLE_EQ(s->reference_median_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->raw_median_ms, 5.0);  // no baseline: nothing scaled
  // Warm-up (one run), then r r, and c c r r per block with pauses between.
  EXPECT_EQ(std::string(order.begin(), order.end()), "crrccrrpccrrpccrrpccrr");
}

// With a baseline, each block is scaled by baseline / (mean of the
// reference just before and just after it): a machine that halves its
// speed after the second block reads as one speed, except the block the
// change falls beside; the raw median is kept.
TEST(MeasureLatency, NormalisesEachBlockToTheReferenceBaseline) {
  int64_t now = 0;
  int64_t slowdown = 1;
  LatencyOptions o;
  o.warmup_ms = 0;
  o.min_runs = 8;
  o.max_runs = 8;
  o.blocks = 4;
  o.block_pause_ms = 1;
  o.target_ci_rel = 0.5;
  o.reference_runs = 3;
  o.reference_baseline_ms = 1.0;
  int pauses = 0;
  o.now_ns = [&now] { return now; };
  o.sleep_ms = [&](int ms) {
    now += ms * kMs;
    if (++pauses == 2) slowdown = 2;  // between blocks 2 and 3
  };
  o.reference_run = [&] {
    now += 1 * kMs * slowdown;
    return absl::OkStatus();
  };
  const auto run = [&] {
    now += 2 * kMs * slowdown;
    return absl::OkStatus();
  };
  absl::StatusOr<LatencyStats> s = MeasureLatency(run, o, nullptr);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->runs, 8);
  // Blocks 1, 2, 4: 2 ms at the baseline; block 3 (references 1 and 2
  // around it): 4 / 1.5 ms.
  EXPECT_DOUBLE_EQ(s->median_ms, 2.0);
  EXPECT_DOUBLE_EQ(s->min_ms, 2.0);
  EXPECT_NEAR(s->p90_ms, 4.0 / 1.5, 1e-9);
  EXPECT_DOUBLE_EQ(s->raw_median_ms, 3.0);  // 2 ms and 4 ms runs, as timed
  EXPECT_EQ(s->reference_runs, 15);         // before block 1 and after each of 4
  EXPECT_DOUBLE_EQ(s->reference_median_ms, 1.0);  // 9 fast runs, 6 slow
}

// A failing reference kernel fails the measurement, saying so; a bad
// reference_runs is refused naming the field.
TEST(MeasureLatency, ReferenceKernelErrorsAndBadCount) {
  LatencyOptions o;
  o.warmup_ms = 0;
  o.reference_run = [] { return absl::InternalError("no memory"); };
  absl::StatusOr<LatencyStats> s = MeasureLatency([] { return absl::OkStatus(); }, o, nullptr);
  ASSERT_EQ(s.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.status().message().find("reference kernel: no memory"), absl::string_view::npos);
  o.reference_run = [] { return absl::OkStatus(); };
  o.reference_runs = 0;
  s = MeasureLatency([] { return absl::OkStatus(); }, o, nullptr);
  ASSERT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("latency.reference_runs"), absl::string_view::npos);
  o.reference_runs = 5;
  o.reference_baseline_ms = -1;
  s = MeasureLatency([] { return absl::OkStatus(); }, o, nullptr);
  ASSERT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_NE(s.status().message().find("latency.reference_baseline_ms"), absl::string_view::npos);
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

// Out-of-range options are refused naming the job field.
TEST(MeasureLatency, RejectsBadOptions) {
  const auto expect_bad = [](LatencyOptions o, const std::string& field) {
    absl::StatusOr<LatencyStats> s = MeasureLatency([] { return absl::OkStatus(); }, o, nullptr);
    ASSERT_TRUE(absl::IsInvalidArgument(s.status())) << field;
    EXPECT_NE(s.status().message().find("latency." + field), absl::string_view::npos)
        << s.status();
  };
  LatencyOptions o;
  o.min_runs = 10;
  o.max_runs = 5;
  expect_bad(o, "max_runs");
  o = LatencyOptions();
  o.target_ci_rel = std::nan("");
  expect_bad(o, "target_ci_rel");
  o = LatencyOptions();
  o.blocks = 0;
  expect_bad(o, "blocks");
  o = LatencyOptions();
  o.max_measure_ms = 0;
  expect_bad(o, "max_measure_ms");
}

// A spec's zeros become the defaults; set fields are taken as they are.
TEST(LatencyOptionsFromSpec, DefaultsAndOverrides) {
  v1::LatencySpec spec;
  LatencyOptions o = LatencyOptionsFromSpec(spec);
  EXPECT_EQ(o.warmup_ms, 1000);
  EXPECT_EQ(o.blocks, 4);
  EXPECT_DOUBLE_EQ(o.target_ci_rel, 0.01);
  EXPECT_EQ(o.max_measure_ms, 10000);
  spec.set_warmup_ms(50);
  spec.set_min_runs(3);
  spec.set_max_runs(2);  // raised to min_runs
  spec.set_blocks(8);    // at most min_runs
  spec.set_target_ci_rel(0.05);
  spec.set_max_measure_ms(500);
  o = LatencyOptionsFromSpec(spec);
  EXPECT_EQ(o.warmup_ms, 50);
  EXPECT_EQ(o.max_runs, 3);
  EXPECT_EQ(o.blocks, 3);
  EXPECT_DOUBLE_EQ(o.target_ci_rel, 0.05);
  EXPECT_EQ(o.max_measure_ms, 500);
  EXPECT_TRUE(ValidateLatencyOptions(o).ok());
}

}  // namespace
}  // namespace edgenas
