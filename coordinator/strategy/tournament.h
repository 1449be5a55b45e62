// Tournament selection on score vectors (smaller is better in every
// objective): non-dominated rank and crowding distance as in NSGA-II
// (Deb et al., 2002), used by evolutionary strategies to pick a parent
// from a sample of population members.
#ifndef EDGENAS_COORDINATOR_STRATEGY_TOURNAMENT_H_
#define EDGENAS_COORDINATOR_STRATEGY_TOURNAMENT_H_

#include <vector>

#include "common/pareto.h"
#include "common/random.h"

namespace edgenas {

// Non-dominated rank of each point: 0 when no point dominates it, k when
// only points of rank < k do. Requires points of one common size.
std::vector<int> NonDominatedRanks(const std::vector<Point>& points);

// Crowding distance of each point within the front of its rank (`ranks` as
// NonDominatedRanks returns): +infinity at an objective's extremes and in
// fronts of at most two points; otherwise the sum over objectives of the gap
// between its neighbours divided by the front's range (constant objectives
// add nothing).
std::vector<double> CrowdingDistances(const std::vector<Point>& points,
                                      const std::vector<int>& ranks);

// Index of the tournament winner among non-empty `points`: lowest rank, then
// largest crowding distance; exact ties are broken by one draw from `rng`
// (no draw when the winner is unique).
int MultiObjectiveWinner(const std::vector<Point>& points, Rng& rng);

// Index of the point with the smallest first score; ties go to the lowest
// index (the earliest drawn). Requires non-empty `points`.
int SingleObjectiveWinner(const std::vector<Point>& points);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_TOURNAMENT_H_
