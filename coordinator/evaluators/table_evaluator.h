// TableEvaluator (evaluation.mode "table"): accuracy comes from a CSV table
// of precomputed results (evaluation.table), looked up by a worker that
// registered the "accuracy:table" capability; latency and energy go to the
// agents of each device class exactly as in a measured job (an agent may
// answer them from a table with its replay runner). The job still runs
// through leases, workers and agents like any other, so strategies can be
// benchmarked at scale on real tables.
#ifndef EDGENAS_COORDINATOR_EVALUATORS_TABLE_EVALUATOR_H_
#define EDGENAS_COORDINATOR_EVALUATORS_TABLE_EVALUATOR_H_

#include <string>
#include <vector>

#include "coordinator/evaluators/evaluator.h"

namespace edgenas {

// Capability a worker registers when it can answer accuracy from a table.
inline constexpr char kCapabilityAccuracyTable[] = "accuracy:table";

class TableEvaluator : public Evaluator {
 public:
  std::string Name() const override { return "table"; }
  // An accuracy task (requiring kCapabilityAccuracyTable) when a worker
  // metric is an objective or constrained; one latency task per device class.
  std::vector<TaskRecord> CandidateTasks(const v1::Job& job, const v1::Candidate& candidate,
                                         const std::vector<std::string>& prepare_task_ids,
                                         int64_t now_ms) const override;
  // Accuracy tasks report accuracy only (a table lookup builds no model);
  // latency tasks as the default.
  bool MetricBelongs(const TaskRecord& task, const std::string& metric) const override;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_EVALUATORS_TABLE_EVALUATOR_H_
