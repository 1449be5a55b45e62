#include "device_agent/latency.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Cancelled(const std::atomic<bool>* cancel) {
  return cancel != nullptr && cancel->load(std::memory_order_relaxed);
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
  return stats;
}

bool ShouldStopSampling(const std::vector<double>& samples_ms, const LatencyOptions& options) {
  const int runs = static_cast<int>(samples_ms.size());
  if (runs >= options.max_runs) return true;
  if (runs < options.min_runs || runs <= options.stable_window) return false;
  const double now = Median(samples_ms);
  const double before = Median(std::vector<double>(
      samples_ms.begin(), samples_ms.end() - options.stable_window));
  if (before <= 0) return now <= 0;
  return std::abs(now - before) / before < options.stable_rel_change;
}

absl::Status ValidateLatencyOptions(const LatencyOptions& options) {
  if (options.warmup_ms < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("latency.warmup_ms: must be >= 0, got ", options.warmup_ms));
  }
  if (options.min_runs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("latency.min_runs: must be >= 1, got ", options.min_runs));
  }
  if (options.max_runs < options.min_runs) {
    return absl::InvalidArgumentError(absl::StrCat("latency.max_runs: must be >= min_runs (",
                                                   options.min_runs, "), got ",
                                                   options.max_runs));
  }
  if (options.stable_window < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("latency.stable_window: must be >= 1, got ", options.stable_window));
  }
  if (!(options.stable_rel_change >= 0)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "latency.stable_rel_change: must be >= 0, got ", options.stable_rel_change));
  }
  return absl::OkStatus();
}

absl::StatusOr<LatencyStats> MeasureLatency(const std::function<absl::Status()>& run_once,
                                            const LatencyOptions& options,
                                            const std::atomic<bool>* cancel) {
  if (absl::Status s = ValidateLatencyOptions(options); !s.ok()) return s;
  const std::function<int64_t()> now_ns = options.now_ns ? options.now_ns : SteadyNowNs;
  const auto cancelled = [] {
    return absl::CancelledError("latency measurement cancelled");
  };

  // Warm-up: the first runs pay for lazy allocation, caches and frequency
  // ramp-up; they must not enter the statistics.
  const int64_t warmup_end = now_ns() + static_cast<int64_t>(options.warmup_ms) * 1000000;
  do {
    if (Cancelled(cancel)) return cancelled();
    if (absl::Status s = run_once(); !s.ok()) return s;
  } while (now_ns() < warmup_end);

  std::vector<double> samples_ms;
  samples_ms.reserve(static_cast<size_t>(options.max_runs));
  while (!ShouldStopSampling(samples_ms, options)) {
    if (Cancelled(cancel)) return cancelled();
    const int64_t start = now_ns();
    if (absl::Status s = run_once(); !s.ok()) return s;
    const int64_t end = now_ns();
    samples_ms.push_back(static_cast<double>(end - start) / 1e6);
  }
  return ComputeLatencyStats(samples_ms);
}

}  // namespace edgenas
