#include "coordinator/strategy/gaussian_process.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <Eigen/Cholesky>
#include <Eigen/Core>

namespace edgenas {
namespace {

constexpr double kLog2Pi = 1.8378770664093453;

double SquaredDistance(const SparseVector& a, const SparseVector& b) {
  return std::max(0.0, a.norm2 + b.norm2 - 2.0 * Dot(a, b));
}

// Views a column-major n x n buffer as an Eigen matrix.
Eigen::Map<Eigen::MatrixXd> AsMatrix(std::vector<double>* m, int n) { return {m->data(), n, n}; }
Eigen::Map<const Eigen::MatrixXd> AsMatrix(const std::vector<double>& m, int n) {
  return {m.data(), n, n};
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
  chol->assign(static_cast<size_t>(n) * n, 0.0);
  Eigen::Map<Eigen::MatrixXd> l = AsMatrix(chol, n);
  const Eigen::Map<const Eigen::MatrixXd> dist = AsMatrix(d2, n);
  const double inv = 1.0 / (2.0 * h.lengthscale * h.lengthscale);
  // Lower triangle of K + (noise + 1e-9) I; the upper one stays zero.
  for (int j = 0; j < n; ++j) {
    for (int i = j; i < n; ++i) {
      l(i, j) = std::exp(-dist(i, j) * inv) + (i == j ? h.noise + 1e-9 : 0.0);
    }
  }
  // In-place Cholesky of the lower triangle. Eigen accepts a NaN pivot that
  // the hand-written loop refused; both propagate it to the diagonal, so
  // checking the diagonal keeps "not positive definite" as it was.
  const Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>, Eigen::Lower> llt(l);
  if (llt.info() != Eigen::Success || !(l.diagonal().array() > 0.0).all()) return false;
  const auto lower = l.triangularView<Eigen::Lower>();
  *alpha = z_;
  Eigen::Map<Eigen::VectorXd> a(alpha->data(), n);
  lower.solveInPlace(a);  // L^-1 z
  const double fit = a.squaredNorm();
  const double log_det = l.diagonal().array().log().sum();
  *log_ml = -0.5 * fit - log_det - 0.5 * n * kLog2Pi;
  lower.transpose().solveInPlace(a);  // L^-T L^-1 z
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

  // Squared distances, lower triangle, column-major.
  std::vector<double> d2(static_cast<size_t>(n) * n, 0.0);
  for (int j = 0; j < n; ++j) {
    for (int i = j; i < n; ++i) d2[static_cast<size_t>(j) * n + i] = SquaredDistance(*x[i], *x[j]);
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
  Eigen::VectorXd k(n);
  for (int i = 0; i < n; ++i) k[i] = std::exp(-SquaredDistance(x, *x_[i]) * inv);
  const double mean = k.dot(Eigen::Map<const Eigen::VectorXd>(alpha_.data(), n));
  AsMatrix(chol_, n).triangularView<Eigen::Lower>().solveInPlace(k);  // L^-1 k
  const double var = std::max(1.0 - k.squaredNorm(), 1e-12);
  return {mean * y_scale_ + y_mean_, std::sqrt(var) * y_scale_};
}

}  // namespace edgenas
