// Screening of candidates by a device class's latency table before
// dispatch (LatencySpec.screen_with_table). For every latency_ms constraint
// with a max_value, the candidate's latency on the constraint's device class
// is predicted from that class's table (common/latency_predictor.h); a
// candidate whose prediction exceeds max_value x (1 + screen_margin) is
// screened: recorded as CANDIDATE_SCREENED with a note that gives the
// prediction, the bound and the table's device and date, never dispatched,
// and reported to the strategy as infeasible. Screened candidates do not use
// the evaluation budget (it counts evaluated candidates); a job stops
// creating candidates after kMaxScreenedPerEvaluation x max_evaluations
// screened ones, with the reason in its message.
// Pure logic over the tables it was given: no I/O, no locking.
#ifndef EDGENAS_COORDINATOR_SCREENING_H_
#define EDGENAS_COORDINATOR_SCREENING_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/latency_ops.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/job.pb.h"

namespace edgenas {

// Screened candidates a job may create per evaluation of its budget (plus a
// fixed allowance) before it stops: a constraint that nearly every
// architecture breaks ends the job instead of screening the whole space.
inline constexpr int kMaxScreenedPerEvaluation = 10;
inline constexpr int kMaxScreenedAllowance = 100;

// What the screener says about one architecture.
struct ScreenVerdict {
  bool screened = false;
  // One line per constraint predicted (for screened candidates the first
  // line says why; dispatched ones get the predictions as a note too).
  std::string note;
};

class CandidateScreener {
 public:
  // The stored table for (space, device_class): NOT_FOUND when there is none.
  using TableLookup = std::function<absl::StatusOr<v1::LatencyTable>(
      const std::string& space, const std::string& device_class)>;

  // The screener of a normalised `spec`, or null when it does not screen
  // (screen_with_table false, or no latency_ms constraint with max_value).
  // FAILED_PRECONDITION naming job.latency.screen_with_table when a class
  // has no table, the table does not cover the space's shapes (naming the
  // missing operator), or was profiled with another thread count or batch
  // size than the job measures with.
  static absl::StatusOr<std::unique_ptr<CandidateScreener>> Create(const v1::JobSpec& spec,
                                                                   const TableLookup& lookup);

  // Predicts `arch` against every screened constraint. A prediction that
  // fails (cannot happen with a covering table) never screens: the
  // candidate is dispatched and the note says why it was not predicted.
  ScreenVerdict Screen(const Architecture& arch) const;

  // Most screened candidates a job with `max_evaluations` may create.
  static int MaxScreened(int max_evaluations);

 private:
  struct Bound {
    std::string device_class;
    double max_value = 0;
    std::map<OpShape, double> index;
    double overhead_ms = 0;
    std::string table_label;  // "<space> on cpu (AMD EPYC, profiled 2025-01-02 10:00 UTC)"
    std::string what;         // "<space> on cpu"
    InputShape input;         // the job's input shape (from its dataset)
  };
  CandidateScreener(SpaceConfig space, double margin, std::vector<Bound> bounds)
      : space_(std::move(space)), margin_(margin), bounds_(std::move(bounds)) {}

  SpaceConfig space_;
  double margin_;
  std::vector<Bound> bounds_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_SCREENING_H_
