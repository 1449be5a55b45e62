#include "coordinator/strategy/acquisition.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace edgenas {
namespace {

// a dominates-or-equals b when minimising: a <= b everywhere.
bool CoversMin(const Point& a, const Point& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
  }
  return true;
}

}  // namespace

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double NormalPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI); }

double NormalQuantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  p = std::min(std::max(p, 1e-300), 1.0 - 1e-16);
  const double low = 0.02425;
  if (p < low) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double StandardNormal(Rng& rng) {
  const double u1 = std::max(rng.UniformDouble(), 1e-300);
  const double u2 = rng.UniformDouble();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

std::vector<double> NormalScores(const std::vector<double>& values) {
  const int n = static_cast<int>(values.size());
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return values[a] < values[b]; });
  std::vector<double> out(n);
  for (int i = 0; i < n;) {
    int j = i;
    while (j + 1 < n && values[order[j + 1]] == values[order[i]]) ++j;
    const double mean_rank = 0.5 * (i + j);
    const double z = NormalQuantile((mean_rank + 0.5) / n);
    for (int k = i; k <= j; ++k) out[order[k]] = z;
    i = j + 1;
  }
  return out;
}

double ExpectedImprovement(double mean, double stddev, double best) {
  if (stddev <= 1e-12) return std::max(0.0, mean - best);
  const double z = (mean - best) / stddev;
  return (mean - best) * NormalCdf(z) + stddev * NormalPdf(z);
}

double ProbabilityNotDominated(const std::vector<GpPrediction>& prediction,
                               const std::vector<Point>& front, Rng& rng) {
  if (front.empty()) return 1.0;
  auto cdf = [&](int j, double t) {
    const GpPrediction& p = prediction[j];
    if (p.stddev <= 1e-12) return p.mean <= t ? 1.0 : 0.0;
    return NormalCdf((t - p.mean) / p.stddev);
  };
  if (prediction.size() == 2) {
    // Front sorted by the first coordinate ascending (second descending).
    std::vector<Point> f = front;
    std::sort(f.begin(), f.end());
    double dominated = 0.0;
    double below = 0.0;  // P(c0 <= previous a_k)
    for (const Point& p : f) {
      const double upto = cdf(0, p[0]);
      dominated += (upto - below) * cdf(1, p[1]);
      below = upto;
    }
    return std::min(1.0, std::max(0.0, 1.0 - dominated));
  }
  constexpr int kDraws = 128;
  int not_dominated = 0;
  Point draw(prediction.size());
  for (int s = 0; s < kDraws; ++s) {
    for (size_t j = 0; j < prediction.size(); ++j) {
      draw[j] = prediction[j].mean + prediction[j].stddev * StandardNormal(rng);
    }
    bool dominated = false;
    for (const Point& p : front) {
      bool covers = true;
      for (size_t j = 0; j < p.size() && covers; ++j) covers = p[j] >= draw[j];
      if (covers) {
        dominated = true;
        break;
      }
    }
    not_dominated += dominated ? 0 : 1;
  }
  return static_cast<double>(not_dominated) / kDraws;
}

std::vector<int> ParetoFrontIndices(const std::vector<Point>& points) {
  std::vector<int> front;
  for (int i = 0; i < static_cast<int>(points.size()); ++i) {
    bool covered = false;
    for (int f : front) {
      if (CoversMin(points[f], points[i])) {
        covered = true;
        break;
      }
    }
    if (covered) continue;
    front.erase(std::remove_if(front.begin(), front.end(),
                               [&](int f) { return CoversMin(points[i], points[f]); }),
                front.end());
    front.push_back(i);
  }
  std::sort(front.begin(), front.end());
  return front;
}

}  // namespace edgenas
