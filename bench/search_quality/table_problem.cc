#include "bench/search_quality/table_problem.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

constexpr double kReference = 1.1;

// Inserts p into a minimisation front of 2-D points; false if dominated.
bool InsertFront(std::set<std::pair<double, double>>* front, std::pair<double, double> p) {
  // Points are sorted by x ascending, so y is descending along the front.
  auto it = front->lower_bound(p);
  if (it != front->begin()) {
    auto prev = std::prev(it);
    if (prev->second <= p.second) return false;  // prev has x <= and y <=
  }
  if (it != front->end() && it->first == p.first && it->second <= p.second) return false;
  while (it != front->end() && it->second >= p.second) it = front->erase(it);
  front->insert(p);
  return true;
}

}  // namespace

absl::StatusOr<TableProblem> TableProblem::Load(const std::string& path,
                                                const std::string& arch_column,
                                                const std::string& accuracy_column,
                                                const std::string& latency_column) {
  auto table = CsvTable::Load(path, arch_column);
  if (!table.ok()) return table.status();
  TableProblem p;
  p.table_ = std::make_shared<const CsvTable>(std::move(*table));
  auto acc = p.table_->NumericColumn(accuracy_column);
  if (!acc.ok()) return acc.status();
  p.accuracy_ = std::move(*acc);
  if (p.accuracy_.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no rows"));
  if (!latency_column.empty()) {
    auto lat = p.table_->NumericColumn(latency_column);
    if (!lat.ok()) return lat.status();
    p.latency_ = std::move(*lat);
  }
  p.acc_min_ = *std::min_element(p.accuracy_.begin(), p.accuracy_.end());
  p.acc_max_ = *std::max_element(p.accuracy_.begin(), p.accuracy_.end());
  p.optimum_ = p.acc_max_;
  p.accuracy_scale_ = p.acc_max_ > 1.0 ? 0.01 : 1.0;
  if (p.acc_max_ * p.accuracy_scale_ > 1.0 || p.acc_min_ < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": column ", accuracy_column, " is neither a fraction nor a percentage"));
  }
  if (p.multi_objective()) {
    p.lat_min_ = *std::min_element(p.latency_.begin(), p.latency_.end());
    p.lat_max_ = *std::max_element(p.latency_.begin(), p.latency_.end());
    // True front over distinct (accuracy, latency) pairs.
    std::set<std::pair<double, double>> norm_front;
    std::vector<std::pair<double, double>> pairs;
    for (int r = 0; r < p.NumRows(); ++r) pairs.emplace_back(p.accuracy_[r], p.latency_[r]);
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    // Sort by latency ascending, accuracy descending; keep strict improvers.
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second < b.second : a.first > b.first;
    });
    double best = -std::numeric_limits<double>::infinity();
    for (const auto& [a, l] : pairs) {
      if (a > best) {
        p.true_front_.insert({a, l});
        best = a;
      }
    }
    for (int r = 0; r < p.NumRows(); ++r) {
      if (p.true_front_.count({p.accuracy_[r], p.latency_[r]})) {
        InsertFront(&norm_front, p.Normalised(r));
      }
    }
    p.true_hv_ = Hypervolume(norm_front);
  }
  return p;
}

std::pair<double, double> TableProblem::Normalised(int row) const {
  const double acc_range = acc_max_ > acc_min_ ? acc_max_ - acc_min_ : 1.0;
  const double lat_range = lat_max_ > lat_min_ ? lat_max_ - lat_min_ : 1.0;
  return {(latency_[row] - lat_min_) / lat_range, (acc_max_ - accuracy_[row]) / acc_range};
}

double TableProblem::Hypervolume(const std::set<std::pair<double, double>>& front) {
  double hv = 0.0;
  double prev_y = kReference;
  for (const auto& [x, y] : front) {  // x ascending, y descending
    if (x >= kReference || y >= prev_y) continue;
    hv += (kReference - x) * (prev_y - y);
    prev_y = y;
  }
  return hv;
}

TableProblem::Curve TableProblem::Score(const std::vector<int>& rows) const {
  Curve c;
  double best = -std::numeric_limits<double>::infinity();
  std::set<std::pair<double, double>> front;
  std::set<std::pair<double, double>> found;  // true-front pairs evaluated
  double hv = 0.0;
  for (size_t k = 0; k < rows.size(); ++k) {
    const int r = rows[k];
    best = std::max(best, accuracy_[r]);
    c.best_accuracy.push_back(best);
    if (!c.evals_to_optimum && accuracy_[r] >= optimum_) {
      c.evals_to_optimum = static_cast<int>(k) + 1;
    }
    if (multi_objective()) {
      if (InsertFront(&front, Normalised(r))) hv = Hypervolume(front);
      if (true_front_.count({accuracy_[r], latency_[r]})) found.insert({accuracy_[r], latency_[r]});
      c.hv_ratio.push_back(true_hv_ > 0 ? hv / true_hv_ : 0.0);
      c.front_recall.push_back(static_cast<double>(found.size()) / true_front_.size());
    }
  }
  return c;
}

}  // namespace edgenas
