// GaussianProcess: exact GP regression with a squared-exponential kernel on
// sparse feature vectors (architecture encodings are mostly zeros), for the
// Bayesian-optimisation strategy. Targets are standardised; the lengthscale
// and noise are chosen from a small grid by log marginal likelihood.
// Cost: Fit O(n^3) per grid point (n = training points), Predict O(n^2).
#ifndef EDGENAS_COORDINATOR_STRATEGY_GAUSSIAN_PROCESS_H_
#define EDGENAS_COORDINATOR_STRATEGY_GAUSSIAN_PROCESS_H_

#include <utility>
#include <vector>

namespace edgenas {

// A feature vector as (index, value) pairs in increasing index order.
struct SparseVector {
  std::vector<std::pair<int, float>> entries;
  double norm2 = 0.0;  // squared Euclidean norm
};

// Builds a SparseVector from a dense one (zeros dropped).
SparseVector ToSparse(const std::vector<float>& dense);

struct GpHyper {
  double lengthscale = 1.0;
  double noise = 1e-2;  // variance, relative to the standardised signal (1)
};

struct GpPrediction {
  double mean = 0.0;    // in the units of the targets
  double stddev = 0.0;  // latent function's posterior standard deviation
};

class GaussianProcess {
 public:
  // Fits to (x[i], y[i]). With `hyper` null, picks the grid point of
  // largest log marginal likelihood (see Grid()); else uses *hyper.
  // Requires x.size() == y.size() >= 1 and finite y. Returns false when no
  // grid point could be factorised (the model is then unusable).
  bool Fit(const std::vector<const SparseVector*>& x, const std::vector<double>& y,
           const GpHyper* hyper = nullptr);
  // Posterior at `x`. Requires a successful Fit.
  GpPrediction Predict(const SparseVector& x) const;

  const GpHyper& hyper() const { return hyper_; }
  // Log marginal likelihood of the standardised targets under hyper().
  // Meaningful only after a successful Fit.
  double log_marginal_likelihood() const { return log_ml_; }
  bool fitted() const { return !x_.empty(); }

  // The lengthscale x noise grid searched by Fit.
  static std::vector<GpHyper> Grid();

 private:
  // Factorises K + noise I for the stored inputs; log marginal likelihood
  // in *log_ml. False when not positive definite.
  bool Factor(const GpHyper& h, const std::vector<double>& d2, std::vector<double>* chol,
              std::vector<double>* alpha, double* log_ml) const;

  std::vector<const SparseVector*> x_;
  std::vector<double> z_;  // standardised targets
  double y_mean_ = 0.0, y_scale_ = 1.0;
  GpHyper hyper_;
  double log_ml_ = 0.0;
  // Lower-triangular Cholesky factor, column-major n x n (viewed through
  // Eigen::Map in the .cc, so this header stays free of Eigen).
  std::vector<double> chol_;
  std::vector<double> alpha_;  // (K + noise I)^-1 z
};

// Sparse dot product of two vectors with sorted indices.
double Dot(const SparseVector& a, const SparseVector& b);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_GAUSSIAN_PROCESS_H_
