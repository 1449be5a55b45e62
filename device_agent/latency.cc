#include "device_agent/latency.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/job_defaults.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {
namespace {

// Above this many samples the binomial ranks come from the normal
// approximation (exact to within one rank there).
constexpr int kExactRankLimit = 100000;
constexpr double kTailProbability = 0.025;  // two-sided 95%
constexpr double kZ975 = 1.959963984540054;

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void SleepMs(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
}

const char* StopName(LatencyStop stop) {
  switch (stop) {
    case LatencyStop::kPrecise:
      return "precise";
    case LatencyStop::kMaxRuns:
      return "max_runs";
    case LatencyStop::kMaxTime:
      return "max_measure_ms";
  }
  return "?";
}

// One measurement: warm-up, then blocks until ShouldStopSampling.
absl::StatusOr<LatencyStats> MeasureOnce(const std::function<absl::Status()>& run_once,
                                         const LatencyOptions& options,
                                         const std::function<int64_t()>& now_ns,
                                         const std::function<void(int)>& sleep_ms,
                                         const std::atomic<bool>* cancel) {
  const auto cancelled = [] { return absl::CancelledError("latency measurement cancelled"); };
  const int64_t warmup_end = now_ns() + static_cast<int64_t>(options.warmup_ms) * 1000000;
  do {
    if (Cancelled(cancel)) return cancelled();
    if (absl::Status s = run_once(); !s.ok()) return s;
  } while (now_ns() < warmup_end);

  // samples_ms: what the statistics and the stopping rule see (scaled to
  // the reference's baseline when normalising); raw_ms: as timed.
  std::vector<double> samples_ms, raw_ms;
  samples_ms.reserve(static_cast<size_t>(std::min(options.max_runs, 100000)));
  raw_ms.reserve(samples_ms.capacity());
  std::vector<double> reference_ms;
  const bool normalise = options.reference_run && options.reference_baseline_ms > 0;
  // Times the reference kernel (between blocks); the median of this round,
  // 0 without a kernel.
  const auto time_reference = [&]() -> absl::StatusOr<double> {
    if (!options.reference_run) return 0.0;
    std::vector<double> round;
    for (int i = 0; i < options.reference_runs; ++i) {
      const int64_t begin = now_ns();
      if (absl::Status s = options.reference_run(); !s.ok()) {
        return absl::Status(s.code(), absl::StrCat("reference kernel: ", s.message()));
      }
      round.push_back(static_cast<double>(now_ns() - begin) / 1e6);
    }
    reference_ms.insert(reference_ms.end(), round.begin(), round.end());
    return Median(std::move(round));
  };
  // The reference before the current block; each block is scaled by the
  // baseline over the mean of the references just before and just after it,
  // so that a speed change between blocks is followed block by block.
  absl::StatusOr<double> before = time_reference();
  if (!before.ok()) return before.status();
  double reference_before = *before;
  size_t block_begin = 0;
  const auto close_block = [&]() -> absl::Status {
    if (!options.reference_run || block_begin == samples_ms.size()) return absl::OkStatus();
    absl::StatusOr<double> after = time_reference();
    if (!after.ok()) return after.status();
    const double around = 0.5 * (reference_before + *after);
    if (normalise && around > 0) {
      const double factor = options.reference_baseline_ms / around;
      for (size_t i = block_begin; i < samples_ms.size(); ++i) samples_ms[i] = raw_ms[i] * factor;
    }
    reference_before = *after;
    block_begin = samples_ms.size();
    return absl::OkStatus();
  };
  const int64_t start = now_ns();
  LatencyStop stop = LatencyStop::kMaxRuns;
  int blocks_done = 0;
  int block_left = NextBlockSize(0, 0, options);
  while (true) {
    if (Cancelled(cancel)) return cancelled();
    const int64_t begin = now_ns();
    if (absl::Status s = run_once(); !s.ok()) return s;
    const int64_t end = now_ns();
    raw_ms.push_back(static_cast<double>(end - begin) / 1e6);
    samples_ms.push_back(raw_ms.back());
    const bool block_end = --block_left == 0;
    if (block_end) {
      ++blocks_done;
      if (absl::Status s = close_block(); !s.ok()) return s;
    }
    if (ShouldStopSampling(samples_ms, (end - start) / 1000000, block_end, blocks_done, options,
                           &stop)) {
      break;
    }
    if (block_end) {
      // A pause between blocks spreads them in time.
      if (options.block_pause_ms > 0) sleep_ms(options.block_pause_ms);
      block_left = NextBlockSize(static_cast<int>(samples_ms.size()), blocks_done, options);
    }
  }
  if (absl::Status s = close_block(); !s.ok()) return s;  // a block cut short by a cap
  LatencyStats stats = ComputeLatencyStats(samples_ms);
  stats.blocks = blocks_done + (block_left > 0 ? 1 : 0);
  stats.stop = stop;
  stats.raw_median_ms = Median(std::move(raw_ms));
  stats.reference_runs = static_cast<int>(reference_ms.size());
  stats.reference_median_ms = Median(std::move(reference_ms));
  return stats;
}

}  // namespace

double Median(std::vector<double> samples) { return Quantile(std::move(samples), 0.5); }

double Quantile(std::vector<double> samples, double q) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  q = std::clamp(q, 0.0, 1.0);
  const double pos = q * static_cast<double>(samples.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, samples.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return samples[lo] + frac * (samples[hi] - samples[lo]);
}

int MedianIntervalRank(int n) {
  if (n < 6) return 0;
  if (n > kExactRankLimit) {
    // Normal approximation with continuity correction.
    const double l = std::floor((n - kZ975 * std::sqrt(static_cast<double>(n))) / 2.0);
    return std::max(1, static_cast<int>(l));
  }
  // Largest k with P(Bin(n, 1/2) <= k) <= 2.5%, summed in log space (2^-n
  // underflows for large n; the terms that do are negligible).
  const double log_half_n = -static_cast<double>(n) * std::log(2.0);
  const double log_n_fact = std::lgamma(static_cast<double>(n) + 1.0);
  double cdf = 0;
  int k = 0;
  for (; k <= n / 2; ++k) {
    const double log_pmf = log_n_fact - std::lgamma(k + 1.0) -
                           std::lgamma(static_cast<double>(n - k) + 1.0) + log_half_n;
    cdf += std::exp(log_pmf);
    if (cdf > kTailProbability) break;
  }
  // k is the first count whose cdf exceeds the tail: ranks 1..k lie below.
  return k;
}

MedianInterval MedianConfidenceInterval(std::vector<double> samples) {
  MedianInterval interval;
  if (samples.empty()) return interval;
  std::sort(samples.begin(), samples.end());
  const int n = static_cast<int>(samples.size());
  const int l = MedianIntervalRank(n);
  if (l < 1) {
    interval.low = samples.front();
    interval.high = samples.back();
    return interval;
  }
  interval.low = samples[static_cast<size_t>(l - 1)];
  interval.high = samples[static_cast<size_t>(n - l)];
  interval.valid = true;
  return interval;
}

LatencyStats ComputeLatencyStats(const std::vector<double>& samples_ms) {
  LatencyStats stats;
  if (samples_ms.empty()) return stats;
  const double n = static_cast<double>(samples_ms.size());
  stats.runs = static_cast<int>(samples_ms.size());
  stats.median_ms = Median(samples_ms);
  stats.p90_ms = Quantile(samples_ms, 0.9);
  stats.min_ms = *std::min_element(samples_ms.begin(), samples_ms.end());
  stats.mean_ms = std::accumulate(samples_ms.begin(), samples_ms.end(), 0.0) / n;
  if (samples_ms.size() > 1) {
    double sq = 0;
    for (double v : samples_ms) sq += (v - stats.mean_ms) * (v - stats.mean_ms);
    stats.stddev_ms = std::sqrt(sq / (n - 1));
  }
  stats.cv = stats.mean_ms > 0 ? stats.stddev_ms / stats.mean_ms : 0;
  const MedianInterval ci = MedianConfidenceInterval(samples_ms);
  stats.ci_low_ms = ci.low;
  stats.ci_high_ms = ci.high;
  stats.ci_valid = ci.valid;
  return stats;
}

bool IsPrecise(const LatencyStats& stats, double target_rel) {
  if (!stats.ci_valid) return false;
  const double width = std::max(stats.median_ms - stats.ci_low_ms, stats.ci_high_ms - stats.median_ms);
  if (stats.median_ms <= 0) return width == 0;
  return width <= target_rel * stats.median_ms;
}

int NextBlockSize(int runs_so_far, int blocks_done, const LatencyOptions& options) {
  const int blocks = std::max(options.blocks, 1);
  const int first = std::max(1, (options.min_runs + blocks - 1) / blocks);
  if (blocks_done < blocks) return first;
  return std::max(first, runs_so_far / blocks);
}

bool ShouldStopSampling(const std::vector<double>& samples_ms, int64_t elapsed_ms, bool block_end,
                        int blocks_done, const LatencyOptions& options, LatencyStop* stop) {
  const int runs = static_cast<int>(samples_ms.size());
  if (block_end && runs >= options.min_runs && blocks_done >= options.blocks) {
    LatencyStats stats;
    stats.median_ms = Median(samples_ms);
    const MedianInterval ci = MedianConfidenceInterval(samples_ms);
    stats.ci_low_ms = ci.low;
    stats.ci_high_ms = ci.high;
    stats.ci_valid = ci.valid;
    if (IsPrecise(stats, options.target_ci_rel)) {
      *stop = LatencyStop::kPrecise;
      return true;
    }
  }
  if (runs >= options.max_runs) {
    *stop = LatencyStop::kMaxRuns;
    return true;
  }
  if (elapsed_ms >= options.max_measure_ms) {
    *stop = LatencyStop::kMaxTime;
    return true;
  }
  return false;
}

absl::Status ValidateLatencyOptions(const LatencyOptions& options) {
  auto bad = [](const char* field, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("latency.", field, ": ", why));
  };
  if (options.warmup_ms < 0) return bad("warmup_ms", absl::StrCat("must be >= 0, got ", options.warmup_ms));
  if (options.min_runs < 1) return bad("min_runs", absl::StrCat("must be >= 1, got ", options.min_runs));
  if (options.max_runs < options.min_runs) {
    return bad("max_runs", absl::StrCat("must be >= min_runs (", options.min_runs, "), got ",
                                        options.max_runs));
  }
  if (options.max_measure_ms < 1) {
    return bad("max_measure_ms", absl::StrCat("must be >= 1, got ", options.max_measure_ms));
  }
  if (options.blocks < 1 || options.blocks > options.min_runs) {
    return bad("blocks", absl::StrCat("must be in [1, min_runs (", options.min_runs, ")], got ",
                                      options.blocks));
  }
  if (!(options.target_ci_rel > 0) || !std::isfinite(options.target_ci_rel)) {
    return bad("target_ci_rel",
               absl::StrCat("must be finite and > 0, got ", options.target_ci_rel));
  }
  if (options.block_pause_ms < 0) {
    return bad("block_pause_ms", absl::StrCat("must be >= 0, got ", options.block_pause_ms));
  }
  if (!(options.reference_baseline_ms >= 0) || !std::isfinite(options.reference_baseline_ms)) {
    return bad("reference_baseline_ms", absl::StrCat("must be finite and >= 0, got ",
                                                     options.reference_baseline_ms));
  }
  if (options.reference_run && (options.reference_runs < 1 || options.reference_runs > 1000)) {
    return bad("reference_runs",
               absl::StrCat("must be in [1, 1000] with a reference kernel, got ",
                            options.reference_runs));
  }
  return absl::OkStatus();
}

LatencyOptions LatencyOptionsFromSpec(const v1::LatencySpec& spec) {
  auto or_default = [](auto value, auto fallback) { return value > 0 ? value : fallback; };
  LatencyOptions options;
  options.warmup_ms = or_default(spec.warmup_ms(), kDefaultWarmupMs);
  options.min_runs = or_default(spec.min_runs(), kDefaultMinRuns);
  options.max_runs = std::max(or_default(spec.max_runs(), kDefaultMaxRuns), options.min_runs);
  options.max_measure_ms = or_default(spec.max_measure_ms(), kDefaultMaxMeasureMs);
  options.blocks = std::min(or_default(spec.blocks(), kDefaultLatencyBlocks), options.min_runs);
  options.target_ci_rel = or_default(spec.target_ci_rel(), kDefaultTargetCiRel);
  return options;
}

std::string DescribeMeasurement(const LatencyStats& stats, const LatencyOptions& options) {
  std::string text = absl::StrFormat(
      "median of %d runs in %d blocks after %d ms warm-up; order-statistic 95%% CI "
      "[%.4g, %.4g] ms (target +-%g%%); ",
      stats.runs, stats.blocks, options.warmup_ms, stats.ci_low_ms, stats.ci_high_ms,
      options.target_ci_rel * 100.0);
  if (!stats.ci_valid) absl::StrAppend(&text, "too few runs for a 95% CI; ");
  if (stats.unstable) {
    absl::StrAppend(&text, "UNSTABLE after re-measurement (stopped at ", StopName(stats.stop),
                    absl::StrFormat("; first attempt: median %.4g ms, CI [%.4g, %.4g] ms)",
                                    stats.first_median_ms, stats.first_ci_low_ms,
                                    stats.first_ci_high_ms));
  } else if (stats.stop == LatencyStop::kPrecise) {
    absl::StrAppend(&text, "precise",
                    stats.attempts > 1 ? " on re-measurement" : "");
  } else {
    absl::StrAppend(&text, "not precise, stopped at ", StopName(stats.stop));
  }
  return text;
}

absl::StatusOr<LatencyStats> MeasureLatency(const std::function<absl::Status()>& run_once,
                                            const LatencyOptions& options,
                                            const std::atomic<bool>* cancel) {
  if (absl::Status s = ValidateLatencyOptions(options); !s.ok()) return s;
  const std::function<int64_t()> now_ns = options.now_ns ? options.now_ns : SteadyNowNs;
  const std::function<void(int)> sleep_ms = options.sleep_ms ? options.sleep_ms : SleepMs;
  absl::StatusOr<LatencyStats> first = MeasureOnce(run_once, options, now_ns, sleep_ms, cancel);
  if (!first.ok() || first->stop == LatencyStop::kPrecise || !options.remeasure_unstable) {
    if (first.ok() && first->stop != LatencyStop::kPrecise) first->unstable = true;
    return first;
  }
  absl::StatusOr<LatencyStats> second = MeasureOnce(run_once, options, now_ns, sleep_ms, cancel);
  if (!second.ok()) return second;
  second->attempts = 2;
  second->unstable = second->stop != LatencyStop::kPrecise;
  second->first_median_ms = first->median_ms;
  second->first_ci_low_ms = first->ci_low_ms;
  second->first_ci_high_ms = first->ci_high_ms;
  return second;
}

}  // namespace edgenas
