#include "bench/proxy_fidelity/rank_correlation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

absl::Status CheckPairs(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank correlation: samples differ in size (", x.size(), " vs ", y.size(), ")"));
  }
  if (x.size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("rank correlation: needs at least 2 pairs, got ", x.size()));
  }
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("rank correlation: pair ", i, " is not finite (", x[i], ", ", y[i], ")"));
    }
  }
  return absl::OkStatus();
}

int Sign(double v) { return (v > 0) - (v < 0); }

}  // namespace

std::vector<double> AverageRanks(const std::vector<double>& values) {
  const size_t n = values.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&values](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(n);
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && values[order[j]] == values[order[i]]) ++j;
    // Positions i..j-1 (0-based) hold ranks i+1..j; their mean is (i+1+j)/2.
    const double rank = 0.5 * static_cast<double>(i + 1 + j);
    for (size_t k = i; k < j; ++k) ranks[order[k]] = rank;
    i = j;
  }
  return ranks;
}

absl::StatusOr<double> KendallTauB(const std::vector<double>& x, const std::vector<double>& y) {
  if (absl::Status s = CheckPairs(x, y); !s.ok()) return s;
  // O(n^2): the benchmark ranks tens of architectures.
  const size_t n = x.size();
  double concordant_minus_discordant = 0.0;
  double untied_x = 0.0;  // pairs not tied in x
  double untied_y = 0.0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const int sx = Sign(x[i] - x[j]);
      const int sy = Sign(y[i] - y[j]);
      concordant_minus_discordant += sx * sy;
      untied_x += sx != 0;
      untied_y += sy != 0;
    }
  }
  if (untied_x == 0.0 || untied_y == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return concordant_minus_discordant / std::sqrt(untied_x * untied_y);
}

absl::StatusOr<double> SpearmanRho(const std::vector<double>& x, const std::vector<double>& y) {
  if (absl::Status s = CheckPairs(x, y); !s.ok()) return s;
  const std::vector<double> rx = AverageRanks(x);
  const std::vector<double> ry = AverageRanks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1.0) / 2.0;  // the mean of any average-rank vector
  double sxy = 0.0, sxx = 0.0, syy = 0.0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0.0 || syy == 0.0) return std::numeric_limits<double>::quiet_NaN();
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace edgenas
