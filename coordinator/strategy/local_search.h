// LocalSearch: first-improvement local search over the one-edit
// neighbourhood (all architectures differing in exactly one gene) with
// random restarts; with several Pareto objectives, Pareto local search
// (Paquete, Chiarandini and Stuetzle, 2004). Both are one algorithm over an
// archive of the current run:
//   * A run starts from one point (the first run: from the non-dominated
//     ones among the kOk observations, at the first Suggest that finds at
//     least `initial` of them) and its archive holds
//     the run's non-dominated points. One objective and lexicographic jobs
//     have a total order, so the archive is the single current point.
//   * Suggest hands out untried neighbours of archive members, each member's
//     neighbourhood in its own seeded random order, up to n per call, so
//     parallel workers explore one neighbourhood together.
//   * Every kOk observation that is a neighbour of a member and that no
//     member covers (<= in every objective; one objective: strictly better
//     than the current point) joins the archive at once and evicts the
//     members it covers: the search moves as soon as a better neighbour is
//     observed, not when its batch completes.
//   * A member is explored when all its neighbours are evaluated. When every
//     member is explored (a local optimum / a locally Pareto-optimal set),
//     the search restarts: a new run from a random sample (the best observed
//     spare uniform sample when there is one, else a fresh one is suggested
//     and the run starts when it comes back ok).
//
// Evaluated architectures are indexed by gene vector (hash map), so a
// suggestion costs O(genes) per neighbour looked at, independent of how many
// observations the job has. Infeasible and failed results count as
// evaluated and never improve. A duplicate with a known observation counts as
// evaluated with that result. A duplicate whose equal is still in flight
// (known == nullptr) counts as evaluated without improvement: the equal
// architecture's own Observe is what can move the search. A cancelled
// neighbour becomes untried again.
//
// When every untried neighbour is in flight, "on_busy" decides: "sample"
// (default) fills the batch with uniform samples, which become restart
// points when they are not neighbours, so workers never idle; "wait" returns
// what it has (kWait when nothing). kExhausted when every architecture of the
// space has been evaluated.
//
// Params (strategy.params.<key>):
//   initial  in [1, 1000000], default 1: kOk observations (suggested or
//            not) to have before the first local move; uniform samples before.
//   on_busy  "sample" (default) or "wait", as above.
#ifndef EDGENAS_COORDINATOR_STRATEGY_LOCAL_SEARCH_H_
#define EDGENAS_COORDINATOR_STRATEGY_LOCAL_SEARCH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/pareto.h"
#include "common/random.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {

class LocalSearch : public Strategy {
 public:
  // Validates the params above and builds the strategy over `space`
  // (non-null, outliving it); INVALID_ARGUMENT naming the field otherwise.
  static absl::StatusOr<std::unique_ptr<LocalSearch>> Create(const StrategyOptions& options,
                                                             const SearchSpace* space);

  std::string Name() const override { return "local_search"; }
  // Up to n suggestions with fresh ids: untried neighbours of archive
  // members, a restart point, or uniform samples (before the first run, or
  // when busy with on_busy=sample, which always gives n). kWait when nothing
  // can be handed out before results arrive; kExhausted when the whole space
  // is evaluated. n < 1 (outside the contract) gives an empty batch, kWait.
  SuggestBatch Suggest(int n) override;
  // Records the suggestion as evaluated with `known`'s result (or without
  // improvement when known is null) and may move the search.
  void OnDuplicate(const Suggestion& suggestion, const Observation* known) override;
  // The suggestion is no longer in flight; a neighbour is handed out again.
  void OnCancelled(int64_t suggestion_id) override;
  // Indexes the result and may move the search. Observations with an
  // invalid architecture only release their suggestion.
  void Observe(const Observation& observation) override;

  // The current run's archive, oldest member first (for tests and diagnostics).
  std::vector<Architecture> Archive() const;
  // How many times the search restarted from a new point.
  int restarts() const { return restarts_; }

 private:
  enum class Kind { kNeighbour, kSample, kSeed };
  struct Issued {
    std::vector<int> genes;
    Kind kind;
  };
  struct Known {
    bool usable = false;  // kOk with num_objectives finite scores
    Point scores;
  };
  struct Member {
    std::vector<int> genes;
    Point scores;
    std::vector<std::pair<int, int>> order;     // (gene, value) of each neighbour, shuffled
    size_t next = 0;                            // first neighbour in `order` not yet looked at
    std::vector<std::vector<int>> outstanding;  // looked at, not yet evaluated
    bool explored = false;
  };
  enum class Next { kFound, kBusy, kExplored };

  LocalSearch(const StrategyOptions& options, const SearchSpace* space, int initial,
              bool wait_when_busy);

  // Finds the next neighbour to hand out; kBusy when the rest are in flight,
  // kExplored when every member is explored (or there are none).
  Next NextNeighbour(std::vector<int>* genes);
  // Starts a new run from a spare or a known point, or issues a fresh
  // restart point into `batch`; false when no point could be chosen.
  bool Restart(SuggestBatch* batch);
  // Adds a suggestion of `kind` to the batch and marks it in flight.
  void Issue(SuggestBatch* batch, std::vector<int> genes, Kind kind);
  // Forgets an issued suggestion; returns what it was (nullopt if unknown).
  std::optional<Issued> Release(int64_t id);
  // Records the result for `genes` and applies it to the run.
  void Learn(const std::vector<int>& genes, bool usable, const Point& scores, Kind kind);
  // True when `a` covers `b`: `b` may not join an archive holding `a`.
  bool Covers(const Point& a, const Point& b) const;
  // Adds the point to the archive unless a member covers it (and, when
  // `require_neighbour`, unless it is no member's neighbour); evicts the
  // members it covers. Returns whether it joined.
  bool Accept(const std::vector<int>& genes, const Point& scores, bool require_neighbour);
  void StartRun(const std::vector<int>& genes, const Point& scores);
  bool Usable(const Observation& observation) const;

  const SearchSpace* space_;
  const int num_objectives_;
  const bool total_order_;  // one objective or lexicographic
  const int initial_;
  const bool wait_when_busy_;
  Rng rng_;
  int64_t next_id_ = 0;
  int64_t usable_observed_ = 0;
  int samples_in_flight_ = 0;
  bool started_ = false;
  int restarts_ = 0;
  bool seed_in_flight_ = false;  // a restart point awaits its result
  std::vector<Member> archive_;
  // Observed kOk uniform samples and unsuggested architectures that are not
  // in the archive: restart points, best (lexicographically smallest) first.
  std::map<std::pair<Point, int64_t>, std::vector<int>> spares_;
  int64_t spare_seq_ = 0;
  absl::flat_hash_map<std::vector<int>, Known> known_;
  absl::flat_hash_map<std::vector<int>, int> in_flight_;  // genes -> count
  absl::flat_hash_map<int64_t, Issued> issued_;           // id -> suggestion
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_LOCAL_SEARCH_H_
