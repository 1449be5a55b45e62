// Acquisition functions and target transforms for Bayesian optimisation.
// All functions treat larger target values as better.
#ifndef EDGENAS_COORDINATOR_STRATEGY_ACQUISITION_H_
#define EDGENAS_COORDINATOR_STRATEGY_ACQUISITION_H_

#include <vector>

#include "common/pareto.h"
#include "common/random.h"
#include "coordinator/strategy/gaussian_process.h"

namespace edgenas {

// Standard normal CDF and density.
double NormalCdf(double z);
double NormalPdf(double z);
// Inverse of NormalCdf for p in (0, 1) (Acklam's rational approximation,
// relative error < 1.2e-9).
double NormalQuantile(double p);
// One standard normal draw (Box-Muller; two uniforms from `rng`).
double StandardNormal(Rng& rng);

// Normal scores of `values`: NormalQuantile((rank + 0.5) / n), ties sharing
// their mean rank; order preserving and free of the values' units.
std::vector<double> NormalScores(const std::vector<double>& values);

// Expected improvement over `best` of a N(mean, stddev^2) value.
double ExpectedImprovement(double mean, double stddev, double best);

// Probability that a point with independent N(mean_j, stddev_j^2)
// coordinates is not dominated (>= in every coordinate, maximising) by any
// point of `front` (mutually non-dominated). Exact for two coordinates;
// 128 Monte Carlo draws from `rng` otherwise. 1 for an empty front.
double ProbabilityNotDominated(const std::vector<GpPrediction>& prediction,
                               const std::vector<Point>& front, Rng& rng);

// Indices of the points no other point dominates (smaller is better in
// every coordinate); of equal points, the first. O(n x front).
std::vector<int> ParetoFrontIndices(const std::vector<Point>& points);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_ACQUISITION_H_
