// zero_cost_bench's figures: one row per (proxy, accuracy column), their
// printed line with the published figure beside it, and the JSON file.
// No LibTorch.
#ifndef EDGENAS_BENCH_ZERO_COST_BENCH_REPORT_H_
#define EDGENAS_BENCH_ZERO_COST_BENCH_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

struct ZeroCostRow {
  std::string proxy;
  std::string column;
  double spearman_rho = 0.0;
  double kendall_tau = 0.0;
  int cells = 0;
  double seconds_per_cell = 0.0;  // wall time of the proxy alone, this machine
};

// The row of `proxy` against `column` from per-cell scores and accuracies
// (same order, same length); errors of SpearmanRho / KendallTauB
// (bench/proxy_fidelity/rank_correlation.h).
absl::StatusOr<ZeroCostRow> CorrelateProxy(const std::string& proxy, const std::string& column,
                                           const std::vector<double>& scores,
                                           const std::vector<double>& accuracy,
                                           double seconds_per_cell);

// The published Spearman rho of `proxy` on NB201 against CIFAR-100, with its
// source, or "" when none is recorded here.
std::string PublishedFigure(absl::string_view proxy);

// One printed line: the measured figures and where they came from (the
// published figure is printed once per proxy, from PublishedFigure).
std::string FormatRow(const ZeroCostRow& row, unsigned long long seed);

// [{"proxy":..,"column":..,"spearman_rho":..,"kendall_tau":..,"cells":..,
//   "seconds_per_cell":..}, ...]
std::string RowsToJson(const std::vector<ZeroCostRow>& rows);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_ZERO_COST_BENCH_REPORT_H_
