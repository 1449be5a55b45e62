// An incremental Pareto archive: the non-dominated front of a job's finished
// candidates and its exact hypervolume, kept up to date point by point
// instead of being recomputed from every candidate (O(n^2)) on each result.
//
// Two objectives keep the front in an ordered map (insert O(log n + k));
// other counts scan the front (insert O(front size)). The hypervolume is
// cached and recomputed only after the front changed.
//
// Not thread-safe: even the const accessors refresh caches, so the owner
// (e.g. a job runtime under its mutex) must serialise every call.
#ifndef EDGENAS_COORDINATOR_PARETO_ARCHIVE_H_
#define EDGENAS_COORDINATOR_PARETO_ARCHIVE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/pareto.h"

namespace edgenas {

// One member of the front.
struct ArchiveMember {
  std::string id;
  Point point;
};

class ParetoArchive {
 public:
  // `senses` per objective (1..3 supported for hypervolume; more allowed for
  // the front, hypervolume 0 then); `reference` has one value per objective,
  // fixed for the archive's life (a reference of the wrong size or with
  // non-finite values makes the hypervolume 0).
  ParetoArchive(std::vector<Sense> senses, Point reference);

  // Adds a finished candidate's objective values (finite, size == senses).
  // Returns true when the front changed (the point joined it). A point
  // dominated by a member is counted but not kept. Points equal to a member
  // are kept (neither dominates). A point of the wrong size or with a
  // non-finite value is rejected: returns false, not counted.
  // Cost: O(log n + k) for 2 objectives (k = members removed), O(front size)
  // otherwise.
  bool Insert(const std::string& id, const Point& point);

  // Front members, sorted by the first objective from best to worst, then by
  // id (then by point), so the order is deterministic. Rebuilt lazily (by the
  // first call after the front changed), into the same vector.
  const std::vector<ArchiveMember>& Front() const;

  // True when a member with this id is on the front now.
  bool OnFront(const std::string& id) const;

  // Number of members on the front (equal points each count).
  size_t FrontSize() const;

  // Exact hypervolume of the front w.r.t. the fixed reference (points not
  // strictly better than the reference in every objective contribute
  // nothing). Recomputed only when the front changed since the last call;
  // 0 for >3 objectives. Never decreases as points are inserted.
  double Hypervolume() const;

  // The fixed reference and the per-objective senses given at construction.
  const Point& reference() const { return reference_; }
  const std::vector<Sense>& senses() const { return senses_; }

  // Points inserted so far (dominated ones included, rejected ones not).
  int64_t inserted() const { return inserted_; }

 private:
  // Members of the 2-objective front sharing one (minimised) first value;
  // they share the second value too, or one would dominate the other.
  struct Bucket {
    double y = 0.0;  // second objective, minimised
    std::vector<ArchiveMember> members;
  };

  bool Insert2d(const std::string& id, const Point& point);
  bool InsertScan(const std::string& id, const Point& point);
  void AddId(const std::string& id);
  void RemoveId(const std::string& id);
  double ComputeHypervolume() const;
  double Hypervolume2d() const;

  std::vector<Sense> senses_;
  Point reference_;
  bool hypervolume_supported_ = false;
  int64_t inserted_ = 0;
  size_t front_size_ = 0;

  // 2 objectives: buckets keyed by the minimised first objective (ascending,
  // so best first); the minimised second objective strictly decreases.
  std::map<double, Bucket> front2d_;
  // Other objective counts: the members, and their values oriented to
  // minimise (parallel vectors).
  std::vector<ArchiveMember> members_;
  std::vector<Point> minimised_;

  std::unordered_map<std::string, int> id_counts_;  // ids on the front

  mutable bool front_dirty_ = true;
  mutable std::vector<ArchiveMember> front_cache_;
  mutable bool hypervolume_dirty_ = true;
  mutable double hypervolume_ = 0.0;
};

// The fixed reference for a job: for each objective, `explicit_reference[i]`
// when set, else derived once from the first finished point: 0 for maximised
// objectives, and max(2 * value, 1e-9) for minimised ones (every metric is
// non-negative). Entries missing from `explicit_reference` count as unset.
Point DeriveReference(const std::vector<Sense>& senses,
                      const std::vector<std::optional<double>>& explicit_reference,
                      const Point& first_point);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_PARETO_ARCHIVE_H_
