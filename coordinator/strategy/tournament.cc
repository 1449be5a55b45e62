#include "coordinator/strategy/tournament.h"

#include <algorithm>
#include <limits>
#include <numeric>
#include <utility>

namespace edgenas {

std::vector<int> NonDominatedRanks(const std::vector<Point>& points) {
  const int n = static_cast<int>(points.size());
  if (n == 0) return {};
  const std::vector<Sense> senses(points[0].size(), Sense::kMinimize);
  // Peel fronts: a point's rank is the number of fronts removed before no
  // remaining point dominates it. Samples are small, so O(n^3) is fine.
  std::vector<int> ranks(n, -1);
  int assigned = 0;
  for (int rank = 0; assigned < n; ++rank) {
    std::vector<int> front;
    for (int i = 0; i < n; ++i) {
      if (ranks[i] >= 0) continue;
      bool dominated = false;
      for (int j = 0; j < n && !dominated; ++j) {
        dominated = j != i && ranks[j] < 0 && Dominates(points[j], points[i], senses);
      }
      if (!dominated) front.push_back(i);
    }
    for (int i : front) ranks[i] = rank;
    assigned += static_cast<int>(front.size());
  }
  return ranks;
}

std::vector<double> CrowdingDistances(const std::vector<Point>& points,
                                      const std::vector<int>& ranks) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const int n = static_cast<int>(points.size());
  std::vector<double> distance(n, 0.0);
  const int num_ranks = n == 0 ? 0 : *std::max_element(ranks.begin(), ranks.end()) + 1;
  for (int rank = 0; rank < num_ranks; ++rank) {
    std::vector<int> front;
    for (int i = 0; i < n; ++i) {
      if (ranks[i] == rank) front.push_back(i);
    }
    if (front.size() <= 2) {
      for (int i : front) distance[i] = kInf;
      continue;
    }
    for (size_t m = 0; m < points[front[0]].size(); ++m) {
      // Stable sort so that equal values keep their index order (determinism).
      std::vector<int> order = front;
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return points[a][m] < points[b][m]; });
      const double lo = points[order.front()][m];
      const double hi = points[order.back()][m];
      if (hi == lo) continue;
      for (size_t k = 0; k < order.size(); ++k) {
        const double v = points[order[k]][m];
        if (v == lo || v == hi) {
          distance[order[k]] = kInf;
        } else {
          distance[order[k]] += (points[order[k + 1]][m] - points[order[k - 1]][m]) / (hi - lo);
        }
      }
    }
  }
  return distance;
}

int MultiObjectiveWinner(const std::vector<Point>& points, Rng& rng) {
  const std::vector<int> ranks = NonDominatedRanks(points);
  const std::vector<double> crowding = CrowdingDistances(points, ranks);
  std::vector<int> best;
  for (int i = 0; i < static_cast<int>(points.size()); ++i) {
    if (best.empty() || ranks[i] < ranks[best[0]] ||
        (ranks[i] == ranks[best[0]] && crowding[i] > crowding[best[0]])) {
      best = {i};
    } else if (ranks[i] == ranks[best[0]] && crowding[i] == crowding[best[0]]) {
      best.push_back(i);
    }
  }
  if (best.size() == 1) return best[0];
  return best[rng.UniformInt(static_cast<int>(best.size()))];
}

int SingleObjectiveWinner(const std::vector<Point>& points) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(points.size()); ++i) {
    if (points[i][0] < points[best][0]) best = i;
  }
  return best;
}

bool LexicographicLess(const Point& a, const Point& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
}

std::vector<int> LexicographicRanks(const std::vector<Point>& points) {
  std::vector<int> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return LexicographicLess(points[a], points[b]);
  });
  std::vector<int> ranks(points.size(), 0);
  int rank = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && points[order[i]] != points[order[i - 1]]) ++rank;
    ranks[order[i]] = rank;
  }
  return ranks;
}

std::vector<int> Ranks(const std::vector<Point>& points, bool lexicographic) {
  return lexicographic ? LexicographicRanks(points) : NonDominatedRanks(points);
}

int LexicographicWinner(const std::vector<Point>& points) {
  int best = 0;
  for (int i = 1; i < static_cast<int>(points.size()); ++i) {
    if (LexicographicLess(points[i], points[best])) best = i;
  }
  return best;
}

std::vector<std::vector<int>> FastNonDominatedSort(const std::vector<Point>& points) {
  const int n = static_cast<int>(points.size());
  std::vector<std::vector<int>> fronts;
  if (n == 0) return fronts;
  const std::vector<Sense> senses(points[0].size(), Sense::kMinimize);
  // dominated[i]: the points i dominates; count[i]: how many dominate i.
  std::vector<std::vector<int>> dominated(n);
  std::vector<int> count(n, 0);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (Dominates(points[i], points[j], senses)) {
        dominated[i].push_back(j);
        ++count[j];
      } else if (Dominates(points[j], points[i], senses)) {
        dominated[j].push_back(i);
        ++count[i];
      }
    }
  }
  std::vector<int> front;
  for (int i = 0; i < n; ++i) {
    if (count[i] == 0) front.push_back(i);
  }
  while (!front.empty()) {
    std::vector<int> next;
    for (int i : front) {
      for (int j : dominated[i]) {
        if (--count[j] == 0) next.push_back(j);
      }
    }
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(front));
    front = std::move(next);
  }
  return fronts;
}

std::vector<int> FastNonDominatedRanks(const std::vector<Point>& points) {
  std::vector<int> ranks(points.size(), 0);
  const std::vector<std::vector<int>> fronts = FastNonDominatedSort(points);
  for (size_t rank = 0; rank < fronts.size(); ++rank) {
    for (int i : fronts[rank]) ranks[i] = static_cast<int>(rank);
  }
  return ranks;
}

bool CrowdedLess(int rank_a, double crowding_a, int rank_b, double crowding_b) {
  if (rank_a != rank_b) return rank_a < rank_b;
  return crowding_a > crowding_b;
}

}  // namespace edgenas
