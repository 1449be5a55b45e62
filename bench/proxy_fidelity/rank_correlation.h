// Rank correlations between two paired samples, with ties handled the
// standard way: Kendall's tau-b (ties in either variable shrink the
// denominator) and Spearman's rho as the Pearson correlation of average
// ranks. Used by proxy_fidelity to score a proxy's ranking of architectures
// against full training.
#ifndef EDGENAS_BENCH_PROXY_FIDELITY_RANK_CORRELATION_H_
#define EDGENAS_BENCH_PROXY_FIDELITY_RANK_CORRELATION_H_

#include <vector>

#include "absl/status/statusor.h"

namespace edgenas {

// 1-based ranks of `values` in ascending order; tied values share the mean
// of the ranks they span (e.g. {10, 20, 20, 30} -> {1, 2.5, 2.5, 4}).
std::vector<double> AverageRanks(const std::vector<double>& values);

// Kendall's tau-b of the pairs (x[i], y[i]):
//   (concordant - discordant) / sqrt((n0 - ties_x) * (n0 - ties_y)),
// n0 = n(n-1)/2, ties_* = pairs tied in that variable. NaN when either
// sample is constant (the coefficient is undefined). INVALID_ARGUMENT when
// the sizes differ, a value is not finite, or there are fewer than 2 pairs.
absl::StatusOr<double> KendallTauB(const std::vector<double>& x, const std::vector<double>& y);

// Spearman's rho: the Pearson correlation of AverageRanks(x) and
// AverageRanks(y). NaN and errors as for KendallTauB.
absl::StatusOr<double> SpearmanRho(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_PROXY_FIDELITY_RANK_CORRELATION_H_
