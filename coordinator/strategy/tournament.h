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

// True when `a` comes before `b` lexicographically (smaller first score;
// equal first scores compared by the next, and so on).
bool LexicographicLess(const Point& a, const Point& b);

// Dense rank of each point under lexicographic order: 0 for the best
// points (equal ones share a rank), 1 for the next, ...
std::vector<int> LexicographicRanks(const std::vector<Point>& points);

// NonDominatedRanks, or LexicographicRanks when `lexicographic`.
std::vector<int> Ranks(const std::vector<Point>& points, bool lexicographic);

// Index of the lexicographically smallest point; ties go to the lowest
// index. Requires non-empty `points`.
int LexicographicWinner(const std::vector<Point>& points);

// Fronts by fast non-dominated sorting (Deb et al., 2002; O(M N^2) for N
// points of M objectives): fronts[0] lists the points no point dominates,
// fronts[k] those dominated only by points of earlier fronts, each in
// ascending index order. Point i is in front NonDominatedRanks(points)[i].
// Requires points of one common size.
std::vector<std::vector<int>> FastNonDominatedSort(const std::vector<Point>& points);

// NonDominatedRanks computed by FastNonDominatedSort (same result, O(M N^2)).
std::vector<int> FastNonDominatedRanks(const std::vector<Point>& points);

// NSGA-II's crowded comparison: true when (rank_a, crowding_a) is better
// than (rank_b, crowding_b), i.e. a lower rank, or an equal rank and a
// larger crowding distance. Exact ties compare false both ways.
bool CrowdedLess(int rank_a, double crowding_a, int rank_b, double crowding_b);

// Index of the point with the smallest first score; ties go to the lowest
// index (the earliest drawn). Requires non-empty `points`.
int SingleObjectiveWinner(const std::vector<Point>& points);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_TOURNAMENT_H_
