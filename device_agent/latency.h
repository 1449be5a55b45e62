// Latency measurement of any callable: warm-up by time, then timed runs until
// the median is stable (or a run cap is reached), summarised as median, p90,
// mean, standard deviation, coefficient of variation and minimum. The
// statistics and the stopping rule are pure functions so they can be tested
// without timing anything.
#ifndef EDGENAS_DEVICE_AGENT_LATENCY_H_
#define EDGENAS_DEVICE_AGENT_LATENCY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgenas {

struct LatencyOptions {
  int warmup_ms = 200;  // warm-up wall time; at least one warm-up run is made
  int min_runs = 20;    // timed runs before the stopping rule is consulted
  int max_runs = 200;   // hard cap on timed runs
  // Stop when the median moved by less than this fraction over the last
  // `stable_window` runs.
  double stable_rel_change = 0.01;
  int stable_window = 10;
  // Monotonic time source in nanoseconds; empty means std::chrono::steady_clock.
  // Tests inject a fake so that the "durations" are known exactly.
  std::function<int64_t()> now_ns;
};

struct LatencyStats {
  double median_ms = 0;
  double p90_ms = 0;
  double mean_ms = 0;
  double stddev_ms = 0;  // sample standard deviation (n - 1); 0 for one run
  double cv = 0;         // stddev / mean; 0 when the mean is 0
  double min_ms = 0;
  int runs = 0;
};

// Median of `samples` (mean of the two middle values for an even count);
// 0 for an empty vector.
double Median(std::vector<double> samples);

// The q-quantile (q in [0, 1]) with linear interpolation between closest
// ranks (numpy's default); 0 for an empty vector.
double Quantile(std::vector<double> samples, double q);

// All statistics of `samples_ms`; all zero for an empty vector.
LatencyStats ComputeLatencyStats(const std::vector<double>& samples_ms);

// True when timed runs may stop: max_runs reached, or at least min_runs (and
// more than stable_window) were made and the median of all samples differs
// from the median without the last stable_window samples by less than
// stable_rel_change (relative).
bool ShouldStopSampling(const std::vector<double>& samples_ms, const LatencyOptions& options);

// Validates options: INVALID_ARGUMENT naming the field when a value is out of
// range (negative warm-up, min_runs < 1, max_runs < min_runs, ...).
absl::Status ValidateLatencyOptions(const LatencyOptions& options);

// Warms up `run_once` for options.warmup_ms, then times it until
// ShouldStopSampling. Returns the first error `run_once` returns, CANCELLED
// when *cancel (may be null) becomes true, INVALID_ARGUMENT for bad options.
absl::StatusOr<LatencyStats> MeasureLatency(const std::function<absl::Status()>& run_once,
                                            const LatencyOptions& options,
                                            const std::atomic<bool>* cancel);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_LATENCY_H_
