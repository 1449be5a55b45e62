// JobRuntime: the in-memory state and rules of one unfinished job, with no
// locking and no I/O: which candidates exist and which tasks each needs
// (from the job's Evaluator), when a candidate is finished (done, infeasible
// or failed), the strategy that proposes new ones (and the log of every call
// made on it, for exact replay after a restart), and the incremental Pareto
// archive with its fixed reference point.
// JobManager owns one per unfinished job, serialises calls and persists
// what changes (candidates, tasks, job record, TakeStrategyCalls()).
// Cost per result: O(log n) bookkeeping plus O(front) archive work.
#ifndef EDGENAS_COORDINATOR_JOB_RUNTIME_H_
#define EDGENAS_COORDINATOR_JOB_RUNTIME_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pareto.h"
#include "common/search_space.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/pareto_archive.h"
#include "coordinator/screening.h"
#include "coordinator/search_value.h"
#include "coordinator/store/task_record.h"
#include "coordinator/strategy/strategy.h"
#include "coordinator/strategy_log.h"
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
    // The candidate's stored record (state, notes) changed; metrics are
    // stored on their own, so a result without notes changes nothing else.
    bool record_changed = true;
    // Tasks the candidate needs now (a multi-fidelity promotion), to store
    // and queue.
    std::vector<TaskRecord> new_tasks;
    // Candidates whose kept weights are no longer wanted: the one that just
    // finished when it is not on the front, and members the front lost.
    std::vector<std::string> off_front;
  };

  // Builds the runtime for `job`, whose spec must be normalised
  // (NormalizeJobSpec). `evaluator` overrides the one named by
  // spec.evaluation.mode (tests). INVALID_ARGUMENT when the space, strategy
  // or evaluator can't be made.
  static absl::StatusOr<std::unique_ptr<JobRuntime>> Create(
      const v1::Job& job, std::unique_ptr<Evaluator> evaluator = nullptr);

  const v1::Job& job() const { return job_; }
  v1::Job* mutable_job() { return &job_; }
  const Evaluator& evaluator() const { return *evaluator_; }
  bool IsTerminal() const;

  // Rebuilds the state of a stored job: its candidates (metrics included),
  // every task it has, and its strategy log, which is replayed into a fresh
  // strategy so suggestions continue exactly; whether creation stopped and
  // the run of duplicates come from the job record. Call once, before anything
  // else. Linear in the size of the job.
  absl::Status Restore(std::vector<v1::Candidate> candidates, const std::vector<TaskRecord>& tasks,
                       const std::vector<StrategyCall>& log);
  // After Restore: pending candidates none of whose tasks is still queued or
  // leased (a crash between two writes of an older build) are finished or
  // failed now. Returns their updates, to persist.
  std::vector<Update> RecoverStuck(const std::vector<TaskRecord>& tasks, int64_t now_ms);

  // Job-level tasks of the PREPARING stage (empty when there are none).
  std::vector<TaskRecord> PrepareTasks(int64_t now_ms);
  // Job-level tasks of the FINALIZING stage, over the current front.
  std::vector<TaskRecord> FinalizeTasks(int64_t now_ms);
  // Every candidate not on the Pareto front (all of them before the first
  // DONE one), sorted: whose weights the end of the job lets go.
  std::vector<std::string> CandidatesOffFront() const;
  // Records that a job-level task ended; true when none is left pending.
  bool JobTaskEnded(const std::string& task_id);
  bool JobTasksPending() const { return !job_tasks_pending_.empty(); }

  // Creates new candidates until `parallelism` are pending or the budget is
  // used, asking the strategy and skipping canonical duplicates (which the
  // strategy is told about). Stops creating for good after
  // kMaxConsecutiveDuplicates duplicates in a row, or when the strategy says
  // the space is exhausted; job().message() then says why.
  std::vector<NewCandidate> Fill(int64_t now_ms);

  // The Metric.fidelity of `task`'s results: -1 for a FINALIZING task on a
  // finished candidate, else the evaluator's rung for it.
  int FidelityOf(const TaskRecord& task) const;

  // Records a completed task's metrics (already validated by ValidateReport,
  // attributed by AttributeMetrics and stamped with FidelityOf). An accuracy
  // result of a pending candidate may add tasks (Update::new_tasks) when the
  // evaluator promotes it to a higher fidelity.
  // NOT_FOUND for an unknown candidate.
  absl::StatusOr<Update> RecordTaskResult(const TaskRecord& task,
                                          const std::vector<v1::Metric>& metrics,
                                          const std::vector<std::string>& notes, int64_t now_ms);
  // Marks the candidate failed with `reason` (no-op if already finished).
  absl::StatusOr<Update> FailCandidate(const std::string& candidate_id, const std::string& reason,
                                       int64_t now_ms);

  // Checks a report against its task before anything changes:
  // INVALID_ARGUMENT naming the field for unknown or duplicate names, a
  // metric the task does not report, non-finite or out-of-range values, too
  // many metrics or notes, or the task's main metric missing.
  absl::Status ValidateReport(const TaskRecord& task, const std::vector<v1::Metric>& metrics,
                              const std::vector<std::string>& notes) const;

  // True when no more candidates will be created (budget used, space
  // exhausted, creation stopped).
  bool CreationFinished() const;
  // True when creation finished and every candidate is finished.
  bool AllFinished() const;
  // Stops creating candidates (wall-time budget, cancellation).
  void StopCreating() { stop_creating_ = true; }
  // Screens the strategy's suggestions by latency table from now on (null:
  // no screening); see coordinator/screening.h. Screened candidates are
  // created finished (CANDIDATE_SCREENED, no tasks, strategy told they are
  // infeasible) and do not count against budget.max_evaluations.
  void SetScreener(std::unique_ptr<CandidateScreener> screener) {
    screener_ = std::move(screener);
  }
  // Candidates screened so far (restored ones included).
  int screened() const { return screened_; }
  bool creation_stopped() const { return stop_creating_; }
  // Marks every pending candidate failed with `reason` and tells the
  // strategy they were cancelled; returns them.
  std::vector<v1::Candidate> FailPending(const std::string& reason, int64_t now_ms);

  // Strategy calls made since the last call, to append to the stored log.
  std::vector<StrategyCall> TakeStrategyCalls();
  // True when there are strategy calls for TakeStrategyCalls.
  bool HasNewStrategyCalls() const { return !new_calls_.empty(); }

  // The candidate as held in memory, or null. Pending candidates and the
  // Pareto front's members are held in full; every other finished
  // candidate is held compact (a CompactRecord) and returned as
  // CompactCandidate would make it (IsCompact: only what the search reads),
  // in a buffer valid until the next FindCandidate call; its full record
  // is the store's.
  const v1::Candidate* FindCandidate(const std::string& id) const;
  // True for a compact candidate (no id, arch, notes, and only the search's
  // metric values); read the full record from the store.
  static bool IsCompact(const v1::Candidate& c) { return c.id().empty(); }
  // Candidates held (full or compact).
  size_t CandidateCount() const { return candidates_.size() + compact_.size(); }
  v1::ParetoFront Front() const;
  // Objective values of a finished candidate, in objective order.
  std::optional<Point> ObjectiveValues(const v1::Candidate& c) const;

  // Most candidates a job may skip as duplicates in a row before it stops.
  static constexpr int kMaxConsecutiveDuplicates = 10000;

 private:
  JobRuntime(const v1::Job& job, std::unique_ptr<SearchSpace> space,
             std::unique_ptr<Strategy> strategy, std::unique_ptr<Evaluator> evaluator);

  // Stops creating candidates for good (space exhausted, duplicate or
  // screening cap): recorded in the job record (Job.creation_stopped), so a
  // restart restores it. The caller sets job().message().
  void StopCreatingForGood();
  // Decides the final state of a candidate whose tasks are all done.
  void Finish(v1::Candidate* c, const std::vector<std::string>& notes, int64_t now_ms);
  // Feeds a finished candidate to the strategy (logged) and the archive.
  void OnFinished(const v1::Candidate& c, bool replaying);
  // What memory keeps of a finished candidate off the front: the fields of
  // CompactCandidate, with each metric's name and device class as an index
  // into metric_keys_ (about 200 bytes instead of about 2 KB in full).
  struct CompactValue {
    double value = 0;
    uint16_t key = 0;  // index into metric_keys_
    int16_t fidelity = 0;
    bool unstable = false;
  };
  struct CompactRecord {
    int32_t sequence = 0;
    v1::CandidateState state = v1::CANDIDATE_STATE_UNSPECIFIED;
    int64_t suggestion_id = 0;
    std::vector<int32_t> genes;
    std::vector<CompactValue> values;
  };
  // Replaces a finished candidate off the front by its compact record; no-op
  // for pending candidates, front members, and candidates whose values do
  // not fit a CompactRecord (kept in full).
  void Compact(std::string id);  // a copy: it may name the erased record
  // The compact record as a (compact) v1::Candidate.
  v1::Candidate Expand(const CompactRecord& record) const;
  // Inserts a DONE candidate into the archive; true when the front changed.
  bool AddToArchive(const v1::Candidate& c);
  Observation MakeObservation(const v1::Candidate& c) const;
  void Log(StrategyCallType type, int64_t number, const std::string& candidate_id,
           bool known_finished = false);
  // Adds a new candidate for `arch` (suggestion id or kNoSuggestion).
  NewCandidate AddCandidate(const Architecture& arch, const std::string& key,
                            int64_t suggestion_id, int64_t now_ms);
  // Records a suggestion the screener refused: a finished candidate
  // without tasks, observed by the strategy as infeasible.
  NewCandidate AddScreenedCandidate(const Suggestion& s, const std::string& key,
                                    const std::string& note, int64_t now_ms);
  // Candidates that count against budget.max_evaluations (not screened).
  int Evaluated() const { return static_cast<int>(CandidateCount()) - screened_; }
  void CountState(v1::CandidateState state, int delta);
  void SyncCounters();

  v1::Job job_;
  std::unique_ptr<SearchSpace> space_;
  std::unique_ptr<Strategy> strategy_;
  std::unique_ptr<Evaluator> evaluator_;
  std::unique_ptr<CandidateScreener> screener_;  // null: no screening
  std::vector<Sense> senses_;
  std::unordered_map<std::string, v1::Candidate> candidates_;               // by id, in full
  std::unordered_map<std::string, CompactRecord> compact_;                  // by id
  // (metric name, device class) of the compact records' values.
  std::vector<std::pair<std::string, std::string>> metric_keys_;
  mutable v1::Candidate expanded_;  // FindCandidate's buffer for compact ones
  std::unordered_map<std::string, std::string> by_key_;                     // key -> id
  std::unordered_map<std::string, std::set<std::string>> pending_tasks_;    // candidate -> tasks
  std::set<std::string> job_tasks_pending_;  // prepare/finalize tasks not yet ended
  std::vector<std::string> prepare_task_ids_;
  // Accuracy values reported at each fidelity (multi-fidelity promotion),
  // rebuilt from the candidates' metrics by Restore.
  std::map<int, std::vector<double>> rung_values_;
  std::unique_ptr<ParetoArchive> archive_;  // created at the first DONE candidate
  std::vector<StrategyCall> new_calls_;
  int64_t log_seq_ = 0;
  int next_sequence_ = 0;
  int next_initial_ = 0;  // next entry of spec.initial_architectures
  int consecutive_duplicates_ = 0;
  int done_ = 0, failed_ = 0, pending_ = 0;
  int screened_ = 0;  // CANDIDATE_SCREENED: not counted in the budget
  bool space_exhausted_ = false;
  bool stop_creating_ = false;
};

// Checks what a report can be checked for without its task: at most 16
// metrics and 8 notes of at most 1,024 bytes, known names each at most once,
// finite values in range. INVALID_ARGUMENT naming the field otherwise.
absl::Status ValidateReportValues(const std::vector<v1::Metric>& metrics,
                                  const std::vector<std::string>& notes);

// Checks a device descriptor (from a registration or on a metric): strings
// of at most 256 characters, non-negative counts. INVALID_ARGUMENT naming
// `field` (e.g. "metrics[0].device.cpu_model") otherwise.
absl::Status ValidateDeviceDescriptor(const v1::DeviceDescriptor& device, const std::string& field);

// Sets each metric's device class: the task's for device metrics of a
// latency task, "" for everything else.
void AttributeMetrics(const TaskRecord& task, std::vector<v1::Metric>* metrics);

// The objective values of a DONE candidate in the spec's objective order,
// or nullopt when it is not done or an objective was not measured.
std::optional<Point> ObjectivePoint(const v1::JobSpec& spec, const v1::Candidate& c);

// The MnasNet-style reward of a scalarized job (objective_mode SCALARIZED):
// values[0] x prod_{i>0} (values[i] / target_i)^weight_i, over the raw
// (unoriented) objective values in objective order.
double ScalarizedReward(const v1::JobSpec& spec, const Point& values);

// What a live job keeps of a finished candidate off the Pareto front:
// state, sequence, suggestion id, encoding, and the search's values
// (SearchMetric) of each metric with name, device class, value, fidelity
// and the unstable flag: everything MakeObservation, the archive and the
// duplicate check read, and nothing else (no id, arch text, notes, failure
// reason, sources or other metric fields: the store has the full record).
// About a third of the full record's memory.
v1::Candidate CompactCandidate(const v1::Candidate& c);

// The Pareto front of a finished job from its stored candidates (used for
// jobs that are not kept in memory).
v1::ParetoFront FrontOfStoredJob(const v1::Job& job, const std::vector<v1::Candidate>& candidates);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_JOB_RUNTIME_H_
