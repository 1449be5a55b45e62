#include "bench/zero_cost/bench_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/proxy_fidelity/rank_correlation.h"
#include "common/status_macros.h"

namespace edgenas {

absl::StatusOr<ZeroCostRow> CorrelateProxy(const std::string& proxy, const std::string& column,
                                           const std::vector<double>& scores,
                                           const std::vector<double>& accuracy,
                                           double seconds_per_cell) {
  ZeroCostRow row;
  row.proxy = proxy;
  row.column = column;
  row.cells = static_cast<int>(scores.size());
  row.seconds_per_cell = seconds_per_cell;
  ASSIGN_OR_RETURN(row.spearman_rho, SpearmanRho(scores, accuracy));
  ASSIGN_OR_RETURN(row.kendall_tau, KendallTauB(scores, accuracy));
  return row;
}

std::string PublishedFigure(absl::string_view proxy) {
  if (proxy == "synflow") {
    return "published (NB201, CIFAR-100, all 15,625 cells): Spearman 0.76 (Abdelfattah et al. "
           "ICLR 2021), 0.79 (White et al. 2022)";
  }
  if (proxy == "jacob_cov") {
    return "published (NB201, CIFAR-100): Spearman about 0.70-0.73 (Abdelfattah et al. 2021; "
           "White et al. 2022)";
  }
  return "";
}

std::string FormatRow(const ZeroCostRow& row, unsigned long long seed) {
  std::string line = absl::StrFormat(
      "%-9s vs %-24s cells=%d spearman_rho=%.3f kendall_tau=%.3f seconds_per_cell=%.4g "
      "(measured here, seed %d, wall time of this proxy on this machine)",
      row.proxy, row.column, row.cells, row.spearman_rho, row.kendall_tau, row.seconds_per_cell,
      seed);
  return line;
}

std::string RowsToJson(const std::vector<ZeroCostRow>& rows) {
  std::string out = "[\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const ZeroCostRow& r = rows[i];
    absl::StrAppend(
        &out,
        absl::StrFormat("  {\"proxy\": \"%s\", \"column\": \"%s\", \"spearman_rho\": %.6f, "
                        "\"kendall_tau\": %.6f, \"cells\": %d, \"seconds_per_cell\": %.6f}",
                        r.proxy, r.column, r.spearman_rho, r.kendall_tau, r.cells,
                        r.seconds_per_cell),
        i + 1 < rows.size() ? ",\n" : "\n");
  }
  absl::StrAppend(&out, "]\n");
  return out;
}

}  // namespace edgenas
