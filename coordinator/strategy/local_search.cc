#include "coordinator/strategy/local_search.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/status_macros.h"
#include "coordinator/strategy/strategy_params.h"
#include "coordinator/strategy/tournament.h"

namespace edgenas {
namespace {

// Restarts tried within one Suggest before falling back to on_busy, so a
// call stays cheap even when restart points turn out explored.
constexpr int kMaxRestartsPerCall = 4;
// Uniform draws tried for a restart point not yet evaluated.
constexpr int kRestartDraws = 32;

int GenesDiffering(const std::vector<int>& a, const std::vector<int>& b) {
  int diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff += a[i] != b[i];
  return diff;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LocalSearch>> LocalSearch::Create(const StrategyOptions& options,
                                                                 const SearchSpace* space) {
  const StrategyParams params(options.params);
  ASSIGN_OR_RETURN(const int initial, params.Int("initial", 1, 1, 1000000));
  ASSIGN_OR_RETURN(const std::string on_busy,
                   params.Choice("on_busy", "sample", {"sample", "wait"}));
  return std::unique_ptr<LocalSearch>(new LocalSearch(options, space, initial, on_busy == "wait"));
}

LocalSearch::LocalSearch(const StrategyOptions& options, const SearchSpace* space, int initial,
                         bool wait_when_busy)
    : space_(space),
      num_objectives_(options.num_objectives),
      total_order_(options.num_objectives == 1 || options.lexicographic),
      initial_(initial),
      wait_when_busy_(wait_when_busy),
      rng_(options.seed) {}

SuggestBatch LocalSearch::Suggest(int n) {
  SuggestBatch batch;
  if (n < 1) {
    batch.state = SuggestState::kWait;
    return batch;
  }
  if (static_cast<int64_t>(known_.size()) >= space_->Size()) {
    batch.state = SuggestState::kExhausted;
    return batch;
  }
  if (!started_ && usable_observed_ >= initial_) {
    // The first run starts from the non-dominated spares, best first. It
    // starts here rather than in Observe so that every initial architecture
    // reported before the first Suggest is a candidate.
    started_ = true;
    for (auto it = spares_.begin(); it != spares_.end();) {
      if (Accept(it->second, it->first.first, /*require_neighbour=*/false)) {
        it = spares_.erase(it);
      } else {
        ++it;
      }
    }
  }
  int restarts_this_call = 0;
  while (static_cast<int>(batch.suggestions.size()) < n) {
    if (!started_) {
      if (wait_when_busy_ && usable_observed_ + samples_in_flight_ >= initial_) break;
      Issue(&batch, space_->Sample(rng_).genes, Kind::kSample);
      continue;
    }
    std::vector<int> genes;
    // While a restart point is in flight the archive is empty: wait for it.
    const Next next = seed_in_flight_ ? Next::kBusy : NextNeighbour(&genes);
    if (next == Next::kFound) {
      Issue(&batch, std::move(genes), Kind::kNeighbour);
      continue;
    }
    if (next == Next::kExplored && restarts_this_call < kMaxRestartsPerCall) {
      ++restarts_this_call;
      if (Restart(&batch)) continue;
    }
    if (wait_when_busy_) break;
    Issue(&batch, space_->Sample(rng_).genes, Kind::kSample);
  }
  if (batch.suggestions.empty()) batch.state = SuggestState::kWait;
  return batch;
}

void LocalSearch::OnDuplicate(const Suggestion& suggestion, const Observation* known) {
  const std::optional<Issued> issued = Release(suggestion.id);
  const Kind kind = issued ? issued->kind : Kind::kSample;
  if (!space_->Validate(suggestion.arch).ok()) {
    if (kind == Kind::kSeed) seed_in_flight_ = false;
    return;
  }
  if (known != nullptr) {
    Learn(suggestion.arch.genes, Usable(*known), known->scores, kind);
  } else {
    Learn(suggestion.arch.genes, /*usable=*/false, {}, kind);
  }
}

void LocalSearch::OnCancelled(int64_t suggestion_id) {
  const std::optional<Issued> issued = Release(suggestion_id);
  if (issued && issued->kind == Kind::kSeed) seed_in_flight_ = false;
}

void LocalSearch::Observe(const Observation& observation) {
  std::optional<Issued> issued;
  if (observation.suggestion_id != kNoSuggestion) issued = Release(observation.suggestion_id);
  const Kind kind = issued ? issued->kind : Kind::kSample;
  if (!space_->Validate(observation.arch).ok()) {
    if (kind == Kind::kSeed) seed_in_flight_ = false;
    return;
  }
  const bool usable = Usable(observation);
  if (usable) ++usable_observed_;
  Learn(observation.arch.genes, usable, observation.scores, kind);
}

std::vector<Architecture> LocalSearch::Archive() const {
  std::vector<Architecture> out;
  for (const Member& m : archive_) out.push_back(Architecture{m.genes});
  return out;
}

LocalSearch::Next LocalSearch::NextNeighbour(std::vector<int>* genes) {
  for (;;) {
    bool busy = false;
    bool moved = false;  // the archive changed: scan it again
    for (size_t i = 0; i < archive_.size() && !moved; ++i) {
      Member& m = archive_[i];
      if (m.explored) continue;
      for (size_t j = 0; j < m.outstanding.size();) {
        if (known_.contains(m.outstanding[j])) {
          m.outstanding.erase(m.outstanding.begin() + j);
          continue;
        }
        // Neither evaluated nor in flight: it was cancelled; hand it out again.
        if (!in_flight_.contains(m.outstanding[j])) {
          *genes = m.outstanding[j];
          return Next::kFound;
        }
        ++j;
      }
      while (m.next < m.order.size()) {
        const auto [gene, value] = m.order[m.next++];
        std::vector<int> neighbour = m.genes;
        neighbour[gene] = value;
        auto k = known_.find(neighbour);
        if (k != known_.end()) {
          // Evaluated before (e.g. in an earlier run): it may move the search
          // without a new evaluation. `m` is invalid once the archive changes.
          if (k->second.usable &&
              Accept(neighbour, k->second.scores, /*require_neighbour=*/false)) {
            moved = true;
            break;
          }
          continue;
        }
        m.outstanding.push_back(neighbour);
        if (in_flight_.contains(neighbour)) continue;
        *genes = std::move(neighbour);
        return Next::kFound;
      }
      if (moved) break;
      if (m.outstanding.empty()) {
        m.explored = true;
      } else {
        busy = true;
      }
    }
    if (!moved) return busy ? Next::kBusy : Next::kExplored;
  }
}

bool LocalSearch::Restart(SuggestBatch* batch) {
  archive_.clear();
  auto has_untried_neighbour = [&](const std::vector<int>& genes) {
    std::vector<int> neighbour = genes;
    for (size_t g = 0; g < genes.size(); ++g) {
      for (int v = 0; v < space_->Cardinality(static_cast<int>(g)); ++v) {
        if (v == genes[g]) continue;
        neighbour[g] = v;
        if (!known_.contains(neighbour)) return true;
      }
      neighbour[g] = genes[g];
    }
    return false;
  };
  // The best spare sample whose neighbourhood is not yet explored.
  while (!spares_.empty()) {
    auto it = spares_.begin();
    const std::vector<int> genes = std::move(it->second);
    const Point scores = it->first.first;
    spares_.erase(it);
    if (has_untried_neighbour(genes)) {
      StartRun(genes, scores);
      ++restarts_;
      return true;
    }
  }
  for (int draw = 0; draw < kRestartDraws; ++draw) {
    std::vector<int> genes = space_->Sample(rng_).genes;
    auto k = known_.find(genes);
    if (k == known_.end()) {
      if (in_flight_.contains(genes)) continue;
      seed_in_flight_ = true;
      Issue(batch, std::move(genes), Kind::kSeed);
      ++restarts_;
      return true;
    }
    if (k->second.usable && has_untried_neighbour(genes)) {
      StartRun(genes, k->second.scores);
      ++restarts_;
      return true;
    }
  }
  return false;
}

void LocalSearch::Issue(SuggestBatch* batch, std::vector<int> genes, Kind kind) {
  const int64_t id = next_id_++;
  ++in_flight_[genes];
  if (kind == Kind::kSample) ++samples_in_flight_;
  batch->suggestions.push_back({id, Architecture{genes}});
  issued_.emplace(id, Issued{std::move(genes), kind});
}

std::optional<LocalSearch::Issued> LocalSearch::Release(int64_t id) {
  auto it = issued_.find(id);
  if (it == issued_.end()) return std::nullopt;
  Issued issued = std::move(it->second);
  issued_.erase(it);
  auto f = in_flight_.find(issued.genes);
  if (f != in_flight_.end() && --f->second == 0) in_flight_.erase(f);
  if (issued.kind == Kind::kSample) --samples_in_flight_;
  return issued;
}

void LocalSearch::Learn(const std::vector<int>& genes, bool usable, const Point& scores,
                        Kind kind) {
  Known& known = known_[genes];
  const bool fresh = !known.usable;  // a usable result is kept once recorded
  if (fresh && usable) {
    known.usable = true;
    known.scores = scores;
  }
  if (kind == Kind::kSeed) {  // only one restart point is ever in flight
    seed_in_flight_ = false;
    if (usable) StartRun(genes, scores);
    return;
  }
  if (!usable || !fresh) return;
  if (started_ && Accept(genes, scores, /*require_neighbour=*/true)) return;
  if (kind == Kind::kSample) spares_.emplace(std::make_pair(scores, spare_seq_++), genes);
}

bool LocalSearch::Covers(const Point& a, const Point& b) const {
  if (total_order_) return !LexicographicLess(b, a);
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
  }
  return true;
}

bool LocalSearch::Accept(const std::vector<int>& genes, const Point& scores,
                         bool require_neighbour) {
  if (require_neighbour && std::none_of(archive_.begin(), archive_.end(), [&](const Member& m) {
        return GenesDiffering(m.genes, genes) == 1;
      })) {
    return false;
  }
  for (const Member& m : archive_) {
    if (m.genes == genes || Covers(m.scores, scores)) return false;
  }
  archive_.erase(std::remove_if(archive_.begin(), archive_.end(),
                                [&](const Member& m) { return Covers(scores, m.scores); }),
                 archive_.end());
  Member member;
  member.genes = genes;
  member.scores = scores;
  for (int g = 0; g < static_cast<int>(genes.size()); ++g) {
    for (int v = 0; v < space_->Cardinality(g); ++v) {
      if (v != genes[g]) member.order.emplace_back(g, v);
    }
  }
  for (int i = static_cast<int>(member.order.size()) - 1; i > 0; --i) {
    std::swap(member.order[i], member.order[rng_.UniformInt(i + 1)]);
  }
  archive_.push_back(std::move(member));
  return true;
}

void LocalSearch::StartRun(const std::vector<int>& genes, const Point& scores) {
  archive_.clear();
  Accept(genes, scores, /*require_neighbour=*/false);
}

bool LocalSearch::Usable(const Observation& observation) const {
  return observation.ok() && HasFiniteScores(observation, num_objectives_);
}

}  // namespace edgenas
