// Latency measurement of any callable, built to be repeatable:
//   1. warm-up by wall time (>= 1 s by default) so that lazy allocation,
//      caches and frequency ramp-up never enter the statistics;
//   2. timed runs in blocks with a short pause between blocks, so that a
//      transient disturbance (another process waking up, a frequency dip)
//      lands in one block instead of a contiguous run of samples;
//   3. stop once the median's 95% confidence interval lies within
//      +-target_ci_rel of the median (the "precise" case), or at max_runs /
//      max_measure_ms;
//   4. a measurement that ends at a cap without being precise is measured
//      once more from scratch; if that is still imprecise it is reported as
//      unstable, with its figures (never passed off as a clean value).
//
// The confidence interval is the distribution-free order-statistic interval
// for the median: [x_(l), x_(n+1-l)] with l the largest rank such that
// P(Binomial(n, 1/2) < l) <= 2.5%. It is used instead of a bootstrap because
// it needs no assumption about the latency distribution (skewed, often
// multi-modal), is exact for any continuous distribution with i.i.d. runs,
// deterministic (no RNG), and costs one sort, so it can be checked after
// every block. Runs are not perfectly independent (blocks and pauses are
// what keeps correlated disturbances from dominating), which the method
// string and the docs state.
//
// The statistics, the interval and the stopping rule are pure functions so
// that they are tested without timing anything.
#ifndef EDGENAS_DEVICE_AGENT_LATENCY_H_
#define EDGENAS_DEVICE_AGENT_LATENCY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgenas {

namespace v1 {
class LatencySpec;
}  // namespace v1

struct LatencyOptions {
  int warmup_ms = 1000;   // warm-up wall time; at least one warm-up run is made
  int min_runs = 20;      // timed runs before the stopping rule is consulted
  int max_runs = 5000;    // hard cap on timed runs of one measurement
  int max_measure_ms = 10000;  // cap on the timed phase's wall time (pauses included)
  int blocks = 4;         // the first min_runs runs are split into this many blocks
  double target_ci_rel = 0.01;  // stop when the 95% CI is within +-this of the median
  int block_pause_ms = 20;      // pause between blocks
  bool remeasure_unstable = true;  // measure once more when the first is not precise
  // Monotonic time source in nanoseconds; empty means std::chrono::steady_clock.
  // Tests inject a fake so that the "durations" are known exactly.
  std::function<int64_t()> now_ns;
  // Pause between blocks; empty means std::this_thread::sleep_for. Tests
  // inject one that advances their fake clock.
  std::function<void(int ms)> sleep_ms;
  // Optional reference kernel (speed_reference.h): when set, it is timed
  // reference_runs times before the first block and after every block, so
  // that the measurement also says how fast this machine ran the reference
  // while the candidate was timed (LatencyStats::reference_median_ms). With
  // reference_baseline_ms > 0 as well, each block's runs are scaled by
  // reference_baseline_ms / (mean of the reference medians just before and
  // just after the block) before the statistics and the stopping rule see
  // them: latency at the reference's baseline speed, followed block by
  // block through a change of machine speed. The raw median is kept.
  std::function<absl::Status()> reference_run;
  int reference_runs = 5;
  double reference_baseline_ms = 0;
};

// The 95% confidence interval of a median, by order statistics.
struct MedianInterval {
  double low = 0;
  double high = 0;
  // False when the sample is too small for any 95% interval (n < 6): low
  // and high are then the sample's minimum and maximum.
  bool valid = false;
};

// Why the timed phase of one measurement ended.
enum class LatencyStop { kPrecise, kMaxRuns, kMaxTime };

struct LatencyStats {
  double median_ms = 0;
  double p90_ms = 0;
  double mean_ms = 0;
  double stddev_ms = 0;  // sample standard deviation (n - 1); 0 for one run
  double cv = 0;         // stddev / mean; 0 when the mean is 0
  double min_ms = 0;
  int runs = 0;
  double ci_low_ms = 0;   // 95% CI of the median (see MedianInterval)
  double ci_high_ms = 0;
  bool ci_valid = false;
  // Filled by MeasureLatency:
  int blocks = 0;  // blocks the timed runs were made in
  LatencyStop stop = LatencyStop::kPrecise;
  int attempts = 1;       // 2 when the first measurement was not precise
  bool unstable = false;  // not precise even after the re-measurement
  double first_median_ms = 0;  // attempts == 2: the first attempt's median
  double first_ci_low_ms = 0;  // and its interval
  double first_ci_high_ms = 0;
  // With LatencyOptions::reference_run: the median of the runs as timed
  // (equal to median_ms unless normalised), the median of the reference
  // runs made between the blocks of the attempt reported, and how many.
  double raw_median_ms = 0;
  double reference_median_ms = 0;
  int reference_runs = 0;
};

// Median of `samples` (mean of the two middle values for an even count);
// 0 for an empty vector.
double Median(std::vector<double> samples);

// The q-quantile (q in [0, 1]) with linear interpolation between closest
// ranks (numpy's default); 0 for an empty vector.
double Quantile(std::vector<double> samples, double q);

// The 1-based rank l of the lower end of the distribution-free 95% interval
// of the median of n samples: the largest l with P(Binomial(n, 1/2) <= l-1)
// <= 0.025 (the upper end is rank n + 1 - l). 0 when n < 6 (no such l).
int MedianIntervalRank(int n);

// The order-statistic 95% interval of the median of `samples`.
MedianInterval MedianConfidenceInterval(std::vector<double> samples);

// All statistics of `samples_ms` (including the interval); all zero for an
// empty vector. MeasureLatency's own fields keep their defaults.
LatencyStats ComputeLatencyStats(const std::vector<double>& samples_ms);

// True when the interval is valid and both ends lie within +-target_rel of
// the median (relative); false for a median <= 0 with a non-zero width.
bool IsPrecise(const LatencyStats& stats, double target_rel);

// Size of the next block of timed runs when `runs_so_far` runs were made in
// `blocks_done` blocks: ceil(min_runs / blocks) (at least 1) for the first
// `blocks` blocks, then max(that, runs_so_far / blocks), so that later blocks
// grow geometrically (the precision check and the pauses stay cheap) while
// no block holds more than about 1/blocks of the samples.
int NextBlockSize(int runs_so_far, int blocks_done, const LatencyOptions& options);

// Whether the timed phase ends after `samples_ms` (the runs made so far,
// `blocks_done` complete blocks) with `elapsed_ms` of wall time spent in
// it. True, with *stop set: at the end of a block (`block_end`) once at
// least min_runs runs in at least options.blocks blocks were made and
// IsPrecise(target_ci_rel) (kPrecise); else at max_runs (kMaxRuns) or at
// max_measure_ms (kMaxTime). False to go on sampling.
bool ShouldStopSampling(const std::vector<double>& samples_ms, int64_t elapsed_ms, bool block_end,
                        int blocks_done, const LatencyOptions& options, LatencyStop* stop);

// Validates options: INVALID_ARGUMENT naming the job field
// ("latency.<field>: ...") when a value is out of range.
absl::Status ValidateLatencyOptions(const LatencyOptions& options);

// The options a job's LatencySpec asks for, zeros replaced by the defaults
// of common/job_defaults.h (specs built by hand skip the coordinator's
// normalisation). Not validated: call ValidateLatencyOptions.
LatencyOptions LatencyOptionsFromSpec(const v1::LatencySpec& spec);

// One line saying how the value was obtained, e.g. "median of 240 runs in 12
// blocks after 1000 ms warm-up; order-statistic 95% CI [1.01, 1.03] ms
// (target +-1%); precise" — or "... ; UNSTABLE after re-measurement (first
// attempt: median 1.2 ms, CI [...])". Ends without a newline.
std::string DescribeMeasurement(const LatencyStats& stats, const LatencyOptions& options);

// Warms up `run_once` for options.warmup_ms, then times it in blocks until
// ShouldStopSampling; re-measures once (warm-up included) when the first
// attempt is not precise and options.remeasure_unstable. Returns the first
// error `run_once` returns, CANCELLED when *cancel (may be null) becomes
// true, INVALID_ARGUMENT for bad options.
absl::StatusOr<LatencyStats> MeasureLatency(const std::function<absl::Status()>& run_once,
                                            const LatencyOptions& options,
                                            const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_LATENCY_H_
