#include "coordinator/strategy/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgenas {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;

double SquaredDistance(const SparseVector& a, const SparseVector& b) {
  return std::max(0.0, a.norm2 + b.norm2 - 2.0 * Dot(a, b));
}

// Solves L v = b in place (L lower-triangular, row-major n x n).
void ForwardSolve(const std::vector<double>& l, int n, std::vector<double>* b) {
  for (int i = 0; i < n; ++i) {
    double s = (*b)[i];
    const double* row = &l[static_cast<size_t>(i) * n];
    for (int k = 0; k < i; ++k) s -= row[k] * (*b)[k];
    (*b)[i] = s / row[i];
  }
}

// Solves L^T v = b in place.
void BackSolve(const std::vector<double>& l, int n, std::vector<double>* b) {
  for (int i = n - 1; i >= 0; --i) {
    double s = (*b)[i];
    for (int k = i + 1; k < n; ++k) s -= l[static_cast<size_t>(k) * n + i] * (*b)[k];
    (*b)[i] = s / l[static_cast<size_t>(i) * n + i];
  }
}

}  // namespace

SparseVector ToSparse(const std::vector<float>& dense) {
  SparseVector v;
  for (int i = 0; i < static_cast<int>(dense.size()); ++i) {
    if (dense[i] == 0.f) continue;
    v.entries.emplace_back(i, dense[i]);
    v.norm2 += static_cast<double>(dense[i]) * dense[i];
  }
  return v;
}

double Dot(const SparseVector& a, const SparseVector& b) {
  double s = 0.0;
  auto i = a.entries.begin();
  auto j = b.entries.begin();
  while (i != a.entries.end() && j != b.entries.end()) {
    if (i->first < j->first) {
      ++i;
    } else if (j->first < i->first) {
      ++j;
    } else {
      s += static_cast<double>(i->second) * j->second;
      ++i;
      ++j;
    }
  }
  return s;
}

std::vector<GpHyper> GaussianProcess::Grid() {
  std::vector<GpHyper> grid;
  for (double l : {0.75, 1.0, 1.5, 2.0, 3.0}) {
    for (double noise : {1e-3, 1e-2, 5e-2, 0.2}) grid.push_back({l, noise});
  }
  return grid;
}

bool GaussianProcess::Factor(const GpHyper& h, const std::vector<double>& d2,
                             std::vector<double>* chol, std::vector<double>* alpha,
                             double* log_ml) const {
  const int n = static_cast<int>(x_.size());
  std::vector<double>& l = *chol;
  l.assign(static_cast<size_t>(n) * n, 0.0);
  const double inv = 1.0 / (2.0 * h.lengthscale * h.lengthscale);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j <= i; ++j) {
      l[static_cast<size_t>(i) * n + j] =
          std::exp(-d2[static_cast<size_t>(i) * n + j] * inv) + (i == j ? h.noise + 1e-9 : 0.0);
    }
  }
  // In-place Cholesky (row-major, lower).
  for (int j = 0; j < n; ++j) {
    double* rj = &l[static_cast<size_t>(j) * n];
    double s = rj[j];
    for (int k = 0; k < j; ++k) s -= rj[k] * rj[k];
    if (!(s > 0.0)) return false;
    rj[j] = std::sqrt(s);
    for (int i = j + 1; i < n; ++i) {
      double* ri = &l[static_cast<size_t>(i) * n];
      double t = ri[j];
      for (int k = 0; k < j; ++k) t -= ri[k] * rj[k];
      ri[j] = t / rj[j];
    }
  }
  *alpha = z_;
  ForwardSolve(l, n, alpha);
  double fit = 0.0;
  for (double v : *alpha) fit += v * v;
  double log_det = 0.0;
  for (int i = 0; i < n; ++i) log_det += std::log(l[static_cast<size_t>(i) * n + i]);
  *log_ml = -0.5 * fit - log_det - 0.5 * n * kLog2Pi;
  BackSolve(l, n, alpha);
  return true;
}

bool GaussianProcess::Fit(const std::vector<const SparseVector*>& x, const std::vector<double>& y,
                          const GpHyper* hyper) {
  x_.clear();
  const int n = static_cast<int>(x.size());
  if (n == 0 || y.size() != x.size()) return false;
  double mean = 0.0;
  for (double v : y) mean += v;
  mean /= n;
  double var = 0.0;
  for (double v : y) var += (v - mean) * (v - mean);
  var /= n;
  y_mean_ = mean;
  y_scale_ = var > 1e-18 ? std::sqrt(var) : 1.0;
  z_.resize(n);
  for (int i = 0; i < n; ++i) z_[i] = (y[i] - y_mean_) / y_scale_;
  x_ = x;

  std::vector<double> d2(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j <= i; ++j) d2[static_cast<size_t>(i) * n + j] = SquaredDistance(*x[i], *x[j]);
  }
  const std::vector<GpHyper> grid = hyper != nullptr ? std::vector<GpHyper>{*hyper} : Grid();
  double best = -std::numeric_limits<double>::infinity();
  bool any = false;
  std::vector<double> chol, alpha;
  for (const GpHyper& h : grid) {
    double log_ml = 0.0;
    if (!Factor(h, d2, &chol, &alpha, &log_ml)) continue;
    if (!any || log_ml > best) {
      best = log_ml;
      any = true;
      hyper_ = h;
      log_ml_ = log_ml;
      chol_.swap(chol);
      alpha_.swap(alpha);
    }
  }
  if (!any) x_.clear();
  return any;
}

GpPrediction GaussianProcess::Predict(const SparseVector& x) const {
  const int n = static_cast<int>(x_.size());
  const double inv = 1.0 / (2.0 * hyper_.lengthscale * hyper_.lengthscale);
  std::vector<double> k(n);
  double mean = 0.0;
  for (int i = 0; i < n; ++i) {
    k[i] = std::exp(-SquaredDistance(x, *x_[i]) * inv);
    mean += k[i] * alpha_[i];
  }
  ForwardSolve(chol_, n, &k);
  double reduce = 0.0;
  for (double v : k) reduce += v * v;
  const double var = std::max(1.0 - reduce, 1e-12);
  return {mean * y_scale_ + y_mean_, std::sqrt(var) * y_scale_};
}

}  // namespace edgenas
