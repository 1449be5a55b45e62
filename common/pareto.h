// Pareto dominance, non-dominated fronts and exact hypervolume.
// Points are in the job's objective order; `directions` says per objective
// whether larger (maximize) or smaller (minimize) is better.
#ifndef EDGENAS_COMMON_PARETO_H_
#define EDGENAS_COMMON_PARETO_H_

#include <vector>

#include "absl/status/statusor.h"

namespace edgenas {

enum class Sense { kMaximize, kMinimize };

using Point = std::vector<double>;

// True when `a` is no worse than `b` in every objective and strictly better
// in at least one. Requires a, b and senses of equal size.
bool Dominates(const Point& a, const Point& b, const std::vector<Sense>& senses);

// Indices of the points no other point dominates (duplicates all kept),
// in ascending index order.
std::vector<int> NonDominatedIndices(const std::vector<Point>& points,
                                     const std::vector<Sense>& senses);

// Exact hypervolume dominated by `points` and bounded by `reference`
// (a point worse than every counted point in each objective; points not
// strictly better than the reference in every objective contribute
// nothing). Supports 1, 2 and 3 objectives; INVALID_ARGUMENT otherwise or
// on size mismatch / non-finite values.
absl::StatusOr<double> Hypervolume(const std::vector<Point>& points, const Point& reference,
                                   const std::vector<Sense>& senses);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_PARETO_H_
