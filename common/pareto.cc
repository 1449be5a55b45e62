#include "common/pareto.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

// Value of objective `i` of `p` turned into a quantity to minimise.
double Minimised(const Point& p, size_t i, const std::vector<Sense>& senses) {
  return senses[i] == Sense::kMaximize ? -p[i] : p[i];
}

absl::Status CheckPoint(const Point& p, size_t dims, absl::string_view name) {
  if (p.size() != dims) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": ", p.size(), " values, expected ", dims, " (one per objective)"));
  }
  for (size_t i = 0; i < p.size(); ++i) {
    if (!std::isfinite(p[i])) {
      return absl::InvalidArgumentError(absl::StrCat(name, "[", i, "]: not finite (", p[i], ")"));
    }
  }
  return absl::OkStatus();
}

// Area dominated by 2-D minimisation points, all strictly below `ref`.
// Sorted by x, each point that lowers the running best y adds the strip
// between its y and the previous best, out to ref.x.
double Area2d(std::vector<std::pair<double, double>> pts, double ref_x, double ref_y) {
  std::sort(pts.begin(), pts.end());
  double area = 0.0;
  double best_y = ref_y;
  for (const auto& [x, y] : pts) {
    if (y < best_y) {
      area += (ref_x - x) * (best_y - y);
      best_y = y;
    }
  }
  return area;
}

// Volume dominated by 3-D minimisation points, all strictly below `ref`:
// sorted by z, the slab between consecutive z levels is the 2-D area of
// every point at or below the lower level times the slab height.
double Volume3d(std::vector<Point> pts, const Point& ref) {
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) { return a[2] < b[2]; });
  double volume = 0.0;
  std::vector<std::pair<double, double>> slice;
  for (size_t i = 0; i < pts.size(); ++i) {
    slice.emplace_back(pts[i][0], pts[i][1]);
    const double next_z = i + 1 < pts.size() ? pts[i + 1][2] : ref[2];
    const double height = next_z - pts[i][2];
    if (height > 0.0) volume += Area2d(slice, ref[0], ref[1]) * height;
  }
  return volume;
}

}  // namespace

bool Dominates(const Point& a, const Point& b, const std::vector<Sense>& senses) {
  bool strictly_better = false;
  for (size_t i = 0; i < senses.size(); ++i) {
    const double x = Minimised(a, i, senses);
    const double y = Minimised(b, i, senses);
    if (x > y) return false;
    if (x < y) strictly_better = true;
  }
  return strictly_better;
}

std::vector<int> NonDominatedIndices(const std::vector<Point>& points,
                                     const std::vector<Sense>& senses) {
  std::vector<int> front;
  for (size_t i = 0; i < points.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < points.size() && !dominated; ++j) {
      dominated = j != i && Dominates(points[j], points[i], senses);
    }
    if (!dominated) front.push_back(static_cast<int>(i));
  }
  return front;
}

absl::StatusOr<double> Hypervolume(const std::vector<Point>& points, const Point& reference,
                                   const std::vector<Sense>& senses) {
  const size_t dims = senses.size();
  if (dims < 1 || dims > 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("hypervolume: supports 1 to 3 objectives, got ", dims));
  }
  if (absl::Status s = CheckPoint(reference, dims, "hypervolume reference"); !s.ok()) return s;
  for (size_t i = 0; i < points.size(); ++i) {
    if (absl::Status s = CheckPoint(points[i], dims, absl::StrCat("hypervolume points[", i, "]"));
        !s.ok()) {
      return s;
    }
  }

  // Move everything to minimisation and keep only points strictly better
  // than the reference in every objective.
  Point ref(dims);
  for (size_t d = 0; d < dims; ++d) ref[d] = Minimised(reference, d, senses);
  std::vector<Point> counted;
  for (const Point& p : points) {
    Point q(dims);
    bool inside = true;
    for (size_t d = 0; d < dims; ++d) {
      q[d] = Minimised(p, d, senses);
      inside = inside && q[d] < ref[d];
    }
    if (inside) counted.push_back(std::move(q));
  }
  if (counted.empty()) return 0.0;

  switch (dims) {
    case 1: {
      double best = counted[0][0];
      for (const Point& p : counted) best = std::min(best, p[0]);
      return ref[0] - best;
    }
    case 2: {
      std::vector<std::pair<double, double>> pts;
      pts.reserve(counted.size());
      for (const Point& p : counted) pts.emplace_back(p[0], p[1]);
      return Area2d(std::move(pts), ref[0], ref[1]);
    }
    default:
      return Volume3d(std::move(counted), ref);
  }
}

}  // namespace edgenas
