// TableProblem: a NAS-Bench-201 style table as a search problem — each
// architecture string's accuracy (and latency), the ground truth computed
// exhaustively from every row (the optimum; the true Pareto front and its
// hypervolume), and the scoring of a search's trace of evaluated rows.
//
// Scoring (as the issue defines it):
//   * Objectives normalised to [0, 1] by the table's min and max, both
//     minimised ((max_acc - acc) / range, (lat - min_lat) / range),
//     reference point (1.1, 1.1); hv_ratio = HV(found front) / HV(true).
//   * Front recall: the share of the true front's points (distinct
//     accuracy/latency pairs no other row dominates) the search evaluated.
//   * Single objective: best accuracy, whether the table optimum was
//     evaluated, and after how many distinct evaluations.
#ifndef EDGENAS_BENCH_SEARCH_QUALITY_TABLE_PROBLEM_H_
#define EDGENAS_BENCH_SEARCH_QUALITY_TABLE_PROBLEM_H_

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/csv_table.h"

namespace edgenas {

class TableProblem {
 public:
  // Loads `path`; `latency_column` empty for a single-objective problem.
  // Errors name the file and column.
  static absl::StatusOr<TableProblem> Load(const std::string& path, const std::string& arch_column,
                                           const std::string& accuracy_column,
                                           const std::string& latency_column);

  bool multi_objective() const { return !latency_.empty(); }
  const CsvTable& table() const { return *table_; }
  int NumRows() const { return table_->NumRows(); }
  double accuracy(int row) const { return accuracy_[row]; }
  double latency(int row) const { return latency_[row]; }
  // Multiplier turning the accuracy column into a fraction in [0, 1]
  // (0.01 for percentages).
  double accuracy_scale() const { return accuracy_scale_; }
  double optimum() const { return optimum_; }
  int true_front_size() const { return static_cast<int>(true_front_.size()); }
  double true_hypervolume() const { return true_hv_; }

  // Per-evaluation scores of a trace of rows (distinct evaluations in
  // order): entry k describes the first k + 1 evaluations.
  struct Curve {
    std::vector<double> best_accuracy;
    std::vector<double> hv_ratio;      // multi-objective only
    std::vector<double> front_recall;  // multi-objective only
    std::optional<int> evals_to_optimum;  // single: 1-based count
  };
  Curve Score(const std::vector<int>& rows) const;

 private:
  // Normalised, minimised 2-D point of a row.
  std::pair<double, double> Normalised(int row) const;
  // Hypervolume of mutually non-dominated normalised points.
  static double Hypervolume(const std::set<std::pair<double, double>>& front);

  std::shared_ptr<const CsvTable> table_;
  std::vector<double> accuracy_, latency_;
  double accuracy_scale_ = 1.0;
  double optimum_ = 0.0;
  double acc_min_ = 0, acc_max_ = 0, lat_min_ = 0, lat_max_ = 0;
  std::set<std::pair<double, double>> true_front_;  // (accuracy, latency) pairs
  double true_hv_ = 0.0;
};

}  // namespace edgenas

#endif  // EDGENAS_BENCH_SEARCH_QUALITY_TABLE_PROBLEM_H_
