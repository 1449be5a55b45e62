#include "coordinator/pareto_archive.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <tuple>
#include <utility>

namespace edgenas {
namespace {

// Value of objective `i` of `p` turned into a quantity to minimise.
double Minimised(const Point& p, size_t i, const std::vector<Sense>& senses) {
  return senses[i] == Sense::kMaximize ? -p[i] : p[i];
}

bool AllFinite(const Point& p) {
  return std::all_of(p.begin(), p.end(), [](double v) { return std::isfinite(v); });
}

// Dominance between points already oriented to minimise.
bool DominatesMinimised(const Point& a, const Point& b) {
  bool strictly_better = false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly_better = true;
  }
  return strictly_better;
}

}  // namespace

ParetoArchive::ParetoArchive(std::vector<Sense> senses, Point reference)
    : senses_(std::move(senses)), reference_(std::move(reference)) {
  hypervolume_supported_ = !senses_.empty() && senses_.size() <= 3 &&
                           reference_.size() == senses_.size() && AllFinite(reference_);
}

bool ParetoArchive::Insert(const std::string& id, const Point& point) {
  if (point.size() != senses_.size() || senses_.empty() || !AllFinite(point)) return false;
  ++inserted_;
  const bool changed = senses_.size() == 2 ? Insert2d(id, point) : InsertScan(id, point);
  if (changed) {
    front_dirty_ = true;
    hypervolume_dirty_ = true;
  }
  return changed;
}

bool ParetoArchive::Insert2d(const std::string& id, const Point& point) {
  const double x = Minimised(point, 0, senses_);
  const double y = Minimised(point, 1, senses_);
  auto it = front2d_.lower_bound(x);
  if (it != front2d_.end() && it->first == x) {
    if (it->second.y < y) return false;  // same first value, better second
    if (it->second.y == y) {             // an equal point: kept beside it
      it->second.members.push_back({id, point});
      ++front_size_;
      AddId(id);
      return true;
    }
  }
  // The best member with a smaller first value has the smallest second value
  // among them, so it alone decides whether the new point is dominated.
  if (it != front2d_.begin() && std::prev(it)->second.y <= y) return false;
  // Members from `it` on are no better in the first objective; those no
  // better in the second are dominated, and they form a contiguous run.
  while (it != front2d_.end() && it->second.y >= y) {
    for (const ArchiveMember& m : it->second.members) RemoveId(m.id);
    front_size_ -= it->second.members.size();
    it = front2d_.erase(it);
  }
  Bucket bucket;
  bucket.y = y;
  bucket.members.push_back({id, point});
  front2d_.emplace_hint(it, x, std::move(bucket));
  ++front_size_;
  AddId(id);
  return true;
}

bool ParetoArchive::InsertScan(const std::string& id, const Point& point) {
  Point m(point.size());
  for (size_t i = 0; i < point.size(); ++i) m[i] = Minimised(point, i, senses_);
  for (const Point& member : minimised_) {
    if (DominatesMinimised(member, m)) return false;
  }
  // No member dominates the point, so none it dominates can dominate another
  // member either: drop them in one compacting pass.
  size_t kept = 0;
  for (size_t j = 0; j < minimised_.size(); ++j) {
    if (DominatesMinimised(m, minimised_[j])) {
      RemoveId(members_[j].id);
      continue;
    }
    if (kept != j) {
      members_[kept] = std::move(members_[j]);
      minimised_[kept] = std::move(minimised_[j]);
    }
    ++kept;
  }
  members_.resize(kept);
  minimised_.resize(kept);
  members_.push_back({id, point});
  minimised_.push_back(std::move(m));
  front_size_ = members_.size();
  AddId(id);
  return true;
}

void ParetoArchive::AddId(const std::string& id) { ++id_counts_[id]; }

void ParetoArchive::RemoveId(const std::string& id) {
  auto it = id_counts_.find(id);
  if (it != id_counts_.end() && --it->second == 0) id_counts_.erase(it);
}

const std::vector<ArchiveMember>& ParetoArchive::Front() const {
  if (!front_dirty_) return front_cache_;
  front_cache_.clear();
  front_cache_.reserve(front_size_);
  if (senses_.size() == 2) {
    for (const auto& [x, bucket] : front2d_) {
      front_cache_.insert(front_cache_.end(), bucket.members.begin(), bucket.members.end());
    }
  } else {
    front_cache_ = members_;
  }
  const std::vector<Sense>& senses = senses_;
  std::sort(front_cache_.begin(), front_cache_.end(),
            [&senses](const ArchiveMember& a, const ArchiveMember& b) {
              const double ka = Minimised(a.point, 0, senses);
              const double kb = Minimised(b.point, 0, senses);
              return std::tie(ka, a.id, a.point) < std::tie(kb, b.id, b.point);
            });
  front_dirty_ = false;
  return front_cache_;
}

bool ParetoArchive::OnFront(const std::string& id) const { return id_counts_.count(id) > 0; }

size_t ParetoArchive::FrontSize() const { return front_size_; }

double ParetoArchive::Hypervolume() const {
  if (hypervolume_dirty_) {
    // The true value never decreases as points arrive, but a different
    // summation order can round a hair lower: keep the promise exactly.
    hypervolume_ = std::max(hypervolume_, ComputeHypervolume());
    hypervolume_dirty_ = false;
  }
  return hypervolume_;
}

double ParetoArchive::ComputeHypervolume() const {
  if (!hypervolume_supported_ || front_size_ == 0) return 0.0;
  if (senses_.size() == 2) return Hypervolume2d();
  std::vector<Point> points;
  points.reserve(members_.size());
  for (const ArchiveMember& m : members_) points.push_back(m.point);
  auto hv = edgenas::Hypervolume(points, reference_, senses_);
  return hv.ok() ? *hv : 0.0;  // inputs were validated, so never an error
}

// Sweep over the front in ascending minimised first value (so descending
// second value): each member inside the reference box adds the strip between
// its second value and the previous best, out to the reference.
double ParetoArchive::Hypervolume2d() const {
  const double ref_x = Minimised(reference_, 0, senses_);
  const double ref_y = Minimised(reference_, 1, senses_);
  double area = 0.0;
  double best_y = ref_y;
  for (const auto& [x, bucket] : front2d_) {
    if (x >= ref_x) break;
    if (bucket.y < best_y) {
      area += (ref_x - x) * (best_y - bucket.y);
      best_y = bucket.y;
    }
  }
  return area;
}

Point DeriveReference(const std::vector<Sense>& senses,
                      const std::vector<std::optional<double>>& explicit_reference,
                      const Point& first_point) {
  Point reference(senses.size());
  for (size_t i = 0; i < senses.size(); ++i) {
    if (i < explicit_reference.size() && explicit_reference[i].has_value()) {
      reference[i] = *explicit_reference[i];
    } else if (senses[i] == Sense::kMaximize) {
      reference[i] = 0.0;
    } else {
      const double value = i < first_point.size() ? first_point[i] : 0.0;
      reference[i] = std::max(2.0 * value, 1e-9);
    }
  }
  return reference;
}

}  // namespace edgenas
