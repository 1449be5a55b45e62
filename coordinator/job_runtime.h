// JobRuntime: the in-memory state and rules of one job, with no locking and
// no I/O: which candidates exist and which tasks each needs, when a
// candidate is finished (done, infeasible or failed), the strategy that
// proposes new ones, and the Pareto front with its hypervolume.
// JobManager owns one per job, serialises calls and persists what changes.
#ifndef EDGENAS_COORDINATOR_JOB_RUNTIME_H_
#define EDGENAS_COORDINATOR_JOB_RUNTIME_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pareto.h"
#include "common/search_space.h"
#include "coordinator/strategy/strategy.h"
#include "coordinator/task_record.h"
#include "edgenas/v1/job.pb.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

class JobRuntime {
 public:
  // A candidate created by Fill and the tasks that will measure it.
  struct NewCandidate {
    v1::Candidate candidate;
    std::vector<TaskRecord> tasks;
  };
  // The effect of a task result or failure on its candidate.
  struct Update {
    v1::Candidate candidate;
    bool finished = false;       // the candidate just left PENDING
    bool front_changed = false;  // the Pareto front differs from before
  };

  // Builds the runtime for `job`, whose spec must be normalised
  // (NormalizeJobSpec). INVALID_ARGUMENT when the space/strategy can't be made.
  static absl::StatusOr<std::unique_ptr<JobRuntime>> Create(const v1::Job& job);

  const v1::Job& job() const { return job_; }
  v1::Job* mutable_job() { return &job_; }
  bool IsTerminal() const;

  // Creates new candidates until `parallelism` are pending or the budget is
  // used, asking the strategy and skipping canonical duplicates (whose known
  // result is fed back to the strategy instead).
  std::vector<NewCandidate> Fill(int64_t now_ms);

  // Re-inserts a candidate loaded from the store (metrics included); a
  // finished one is replayed into the strategy and the front. `pending_tasks`
  // lists the ids of its tasks that are not yet done.
  void Restore(const v1::Candidate& candidate, const std::vector<std::string>& pending_tasks);

  // Records a completed task's metrics. INVALID_ARGUMENT when the metrics do
  // not fit the task (unknown name, non-finite value, accuracy outside
  // [0, 1], negative latency, or the task's main metric missing); nothing
  // changes then. NOT_FOUND for an unknown candidate.
  absl::StatusOr<Update> RecordTaskResult(const TaskRecord& task,
                                          const std::vector<v1::Metric>& metrics,
                                          const std::vector<std::string>& notes, int64_t now_ms);
  // Marks the task's candidate failed with `reason` (no-op if already finished).
  absl::StatusOr<Update> FailCandidate(const std::string& candidate_id, const std::string& reason,
                                       int64_t now_ms);

  // True when no more candidates will be created (budget used or space exhausted).
  bool CreationFinished() const;
  // True when creation finished and every candidate is finished.
  bool AllFinished() const;
  // Stops creating candidates (wall-time budget, cancellation).
  void StopCreating() { stop_creating_ = true; }
  bool creation_stopped() const { return stop_creating_; }
  // Marks every pending candidate failed with `reason`; returns them.
  std::vector<v1::Candidate> FailPending(const std::string& reason, int64_t now_ms);

  const v1::Candidate* FindCandidate(const std::string& id) const;
  std::vector<v1::Candidate> Candidates() const;
  v1::ParetoFront Front() const;
  // Objective values of a finished candidate, in objective order.
  std::optional<Point> ObjectiveValues(const v1::Candidate& c) const;

  // Validates one reported metric (finite, known name, sane range).
  static absl::Status ValidateMetric(const v1::Metric& m, int index);
  // Validates every metric and checks that the task's main metric
  // (accuracy or latency_ms) is present.
  static absl::Status ValidateTaskMetrics(TaskKind kind, const std::vector<v1::Metric>& metrics);

 private:
  JobRuntime(const v1::Job& job, std::unique_ptr<SearchSpace> space,
             std::unique_ptr<Strategy> strategy);

  std::vector<TaskRecord> TasksFor(const v1::Candidate& c, int64_t now_ms) const;
  // Decides the final state of a candidate whose tasks are all done.
  void Finish(v1::Candidate* c, const std::vector<std::string>& notes, int64_t now_ms);
  void ObserveFinished(const v1::Candidate& c, const Architecture& arch);
  Point ReferencePoint() const;
  std::vector<std::string> FrontIds() const;
  void RefreshCounters();

  v1::Job job_;
  std::unique_ptr<SearchSpace> space_;
  std::unique_ptr<Strategy> strategy_;
  std::vector<Sense> senses_;
  std::map<std::string, v1::Candidate> candidates_;          // by id
  std::map<std::string, std::string> by_key_;                // canonical key -> id
  std::map<std::string, std::set<std::string>> pending_tasks_;  // candidate -> task ids
  int next_sequence_ = 0;
  int next_initial_ = 0;  // next entry of spec.initial_architectures
  bool space_exhausted_ = false;
  bool stop_creating_ = false;
};

// The value of metric `name` measured on `device_class` ("" for
// device-independent metrics), if the candidate has it.
std::optional<double> FindMetric(const v1::Candidate& c, const std::string& name,
                                 const std::string& device_class);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_JOB_RUNTIME_H_
