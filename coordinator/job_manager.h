// JobManager: the coordinator's core. It owns every unfinished job's
// runtime, the task queue with its leases, the registered executors, and the
// parked long polls, and emits job events. The RPC layer is a thin adapter
// over it; tests drive it directly with a fake clock.
//
// Durable, then visible. Every state change runs as an operation on one
// committer thread, in batches: the thread takes every operation that has
// arrived, runs them one after another under the state mutex inside ONE
// SQLite transaction (validation first, so a refused operation changes
// nothing), commits (synchronous=FULL: one fsync for the whole batch, i.e.
// group commit), and only then releases the mutex and answers the callers.
// So no reader ever sees state that is not on disk, and nothing is
// acknowledged before it is committed.
//
// A failed write or commit (disk full, a size cap, a read-only file) is not
// fatal: the batch rolls back, every caller in it is told why
// (StoreFaultStatus: RESOURCE_EXHAUSTED "database full: ...", UNAVAILABLE
// "database is read-only: ..."), and the in-memory state is reloaded from
// the database, so it is again exactly what was committed. Until a probe
// write succeeds (Store::CheckWritable, tried before each batch), the
// manager refuses new work with that status (Lease, SubmitJob) and expires
// no lease and enforces no budget, so that no task is charged an attempt
// because its result could not be stored; results, failures, heartbeats,
// registrations and reads are still tried, and the lease holder's result is
// taken even if its lease time has passed. When the probe succeeds, every
// live lease gets one lease duration of grace before it can expire. If the
// reload itself fails, every call is refused with UNAVAILABLE until a later
// reload succeeds; reloads are tried again after a growing pause
// (kMinReloadBackoffMs doubling to kMaxReloadBackoffMs), and parked calls are
// still answered at their deadlines (and when cancelled) meanwhile.
//
// The coordinator's own downtime is not charged either: leases loaded from
// the store at start-up live at least one lease duration from then
// (coordinator/lease_rules.h). Lease durations run on the monotonic clock,
// so a wall-clock step expires nothing.
//
// Exact restart: a job's record keeps whether it stopped creating
// candidates, and a job that screens keeps its own copies of the latency
// tables it was submitted with (Store::PutJobLatencyTables), so a restart or
// reload resumes it as it was. A job that cannot be loaded (a read error)
// is shown with Job.load_failed, its results are answered UNAVAILABLE,
// housekeeping loads it again after a growing pause, and CancelJob ends it
// (job_load_failures.cc).
//
// No thread per waiter. Lease long polls and event watches are callbacks:
// a Lease that finds no work is parked (memory, not a thread) under its
// executor's routing profile (kind, device class, capabilities); when a
// batch queues tasks, only the parked polls whose profile can run them are
// woken and handed tasks in the same transaction. Deadlines answer parked
// calls with nothing.
//
// Reads (GetJob, ListJobs, GetParetoFront, GetCandidate, ListCandidates)
// take the mutex
// and never wait for the committer beyond the batch in progress. Finished
// jobs are kept as their id and state only (ended_jobs_); their record,
// spec and candidates are read from the store when asked for, and ListJobs
// pages through the store (coordinator/job_listing.h). A live job keeps its
// finished candidates off the Pareto front compact (JobRuntime: only what
// the search reads), so candidates' full records are always the store's.
#ifndef EDGENAS_COORDINATOR_JOB_MANAGER_H_
#define EDGENAS_COORDINATOR_JOB_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "coordinator/artifact_producers.h"
#include "coordinator/coordinator_observer.h"
#include "coordinator/coordinator_snapshot.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/executor_retention.h"
#include "coordinator/job_runtime.h"
#include "coordinator/store/store.h"
#include "coordinator/store/store_fault.h"
#include "coordinator/task_queue.h"
#include "edgenas/v1/search_service.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

struct JobManagerOptions {
  Store* store = nullptr;               // required; outlives the manager
  const Clock* clock = nullptr;         // default: RealClock
  int heartbeat_interval_ms = 5000;     // told to executors at Register
  int housekeeping_interval_ms = 500;   // lease sweep / wall-time period
  // Executors silent for longer are forgotten at the next sweep (memory,
  // store and metrics; coordinator/executor_retention.h). 0: never; else
  // at least kMinExecutorRetentionMs (Create refuses less).
  int64_t executor_retention_ms = kDefaultExecutorRetentionMs;
  // False: leases and budgets are swept only by Tick() (tests with a fake
  // clock). Operations still run on the committer thread.
  bool start_housekeeping_thread = true;
  // Told about every batch whose write or commit failed (it was rolled
  // back, its callers refused, and the manager goes on); default: none (the
  // failure is logged either way).
  std::function<void(const absl::Status&)> on_store_error;
  // Tests: evaluator for every job instead of spec.evaluation.mode's.
  std::function<std::unique_ptr<Evaluator>(const v1::JobSpec&)> evaluator_override;
  // Told about commits, task ends, lease expiries and retries (metrics);
  // optional, outlives the manager.
  CoordinatorObserver* observer = nullptr;
  // Lets go of a candidate's kept weights (the artifact store deletes
  // CandidateWeightsArtifactName): called once the candidate is off the
  // Pareto front (it finished off it, or a newcomer pushed it off), and
  // for every candidate off the final front when its job ends; so a job
  // keeps at most one checkpoint per front member. Called on the committer
  // thread after the change committed (never for a rolled-back batch),
  // outside the state lock; may be called for candidates without weights.
  // Optional.
  std::function<void(const std::string& job_id, const std::string& candidate_id)>
      release_weights;
};

// Events after a sequence number, and whether the job has ended.
struct EventBatch {
  std::vector<v1::JobEvent> events;
  bool job_terminal = false;
};

// Bounds on executor requests (refused or clamped, see task_service.proto).
inline constexpr int64_t kMaxLeaseWaitMs = 30000;
inline constexpr int kMaxTasksPerLease = 16;
inline constexpr int kMaxLeasesPerHeartbeat = 64;
inline constexpr int kMaxCapabilities = 32;
inline constexpr int kMaxAccelerators = 16;
// After a failed reload (the manager is broken) the next one is tried this
// long after (clock time), doubling after each failure up to the maximum.
inline constexpr int64_t kMinReloadBackoffMs = 100;
inline constexpr int64_t kMaxReloadBackoffMs = 10000;

class JobManager {
 public:
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  // Loads every job from the store (unfinished ones in full) and resumes
  // them, then starts the committer thread.
  static absl::StatusOr<std::unique_ptr<JobManager>> Create(const JobManagerOptions& options);
  ~JobManager();

  // --- SearchService core ---
  // Validates (INVALID_ARGUMENT naming the field), stores and starts a job.
  absl::StatusOr<v1::Job> SubmitJob(v1::JobSpec spec);
  void SubmitJobAsync(v1::JobSpec spec, Callback<v1::Job> done);
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id);
  // One page of every job, oldest first, in the request's view
  // (coordinator/job_listing.h): at most page_size jobs and about 2 MiB.
  // INVALID_ARGUMENT naming the bad field (page_size, page_token, view).
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& request = {});
  // Cancels a job that has not ended; its outstanding tasks are revoked.
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id);
  void CancelJobAsync(const std::string& job_id, Callback<v1::Job> done);
  absl::StatusOr<v1::ParetoFront> GetParetoFront(const std::string& job_id);
  absl::StatusOr<v1::Candidate> GetCandidate(const std::string& job_id,
                                             const std::string& candidate_id);
  // One page of a live or ended job's candidates in sequence order, filtered
  // by state and fidelity (coordinator/candidate_listing.h). NOT_FOUND for
  // an unknown job; INVALID_ARGUMENT naming the bad field (page_size,
  // page_token, states[i], fidelity). A live job's list may grow after its
  // last page; the filters decide `total` at the time of each call.
  absl::StatusOr<v1::ListCandidatesResponse> ListCandidates(
      const v1::ListCandidatesRequest& request);
  // Calls `done` once with the events after `after_sequence` (up to 500),
  // as soon as there is one, the job has ended, or `timeout_ms` passed
  // (then with none). NOT_FOUND for an unknown job.
  void WatchEvents(const std::string& job_id, int64_t after_sequence, int64_t timeout_ms,
                   Callback<EventBatch> done);
  absl::StatusOr<EventBatch> WaitForEvents(const std::string& job_id, int64_t after_sequence,
                                           int64_t timeout_ms);

  // --- TaskService core (async forms call `done` exactly once) ---
  absl::StatusOr<v1::RegisterResponse> Register(const v1::RegisterRequest& request);
  void RegisterAsync(const v1::RegisterRequest& request, Callback<v1::RegisterResponse> done);
  // Registers an executor bound to `owner_identity` (the fingerprint of its
  // client certificate; "" without one), stored with it so that the binding
  // survives a restart (ExecutorRecord::owner_identity).
  void RegisterAsync(const v1::RegisterRequest& request, const std::string& owner_identity,
                     Callback<v1::RegisterResponse> done);
  // Long poll: answers with tasks this executor can run as soon as there
  // are some, or with none after request.wait_ms (clamped to 30 s).
  // NOT_FOUND for an unknown executor (it should register again). Returns a
  // handle for CancelLease (0 when already answered).
  uint64_t LeaseAsync(const v1::LeaseRequest& request, Callback<v1::LeaseResponse> done);
  // Answers a parked long poll now with no tasks (its client went away).
  void CancelLease(uint64_t handle);
  absl::StatusOr<v1::LeaseResponse> Lease(const v1::LeaseRequest& request);
  void HeartbeatAsync(const v1::HeartbeatRequest& request, Callback<v1::HeartbeatResponse> done);
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request);
  // Accepts a task result; see task_service.proto for the contract.
  void CompleteAsync(const v1::CompleteRequest& request, Callback<v1::CompleteResponse> done);
  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request);
  void FailAsync(const v1::FailRequest& request, Callback<v1::FailResponse> done);
  absl::Status Fail(const v1::FailRequest& request);

  // --- latency tables (latency_table_service.cc) ---
  // Stores a device agent's latency table for its own class, replacing the
  // class's earlier table of the same space. NOT_FOUND for an unknown
  // executor; PERMISSION_DENIED when it is not a DEVICE_AGENT or
  // table.device_class is not its registered class; INVALID_ARGUMENT naming
  // the bad field (ValidateLatencyTable). Answered once committed.
  void PutLatencyTableAsync(const v1::PutLatencyTableRequest& request,
                            Callback<v1::PutLatencyTableResponse> done);
  absl::StatusOr<v1::PutLatencyTableResponse> PutLatencyTable(
      const v1::PutLatencyTableRequest& request);
  // The stored table of (space, device_class); NOT_FOUND when there is none,
  // INVALID_ARGUMENT naming an empty field.
  absl::StatusOr<v1::LatencyTable> GetLatencyTable(const v1::GetLatencyTableRequest& request);

  // --- artifacts (job_manager_artifacts.cc) ---
  // Whether claim.executor_id may write artifact claim.name of claim.job_id
  // now (ArtifactService.Upload; rules in coordinator/artifact_producers.h).
  // OK only when the job exists and has not ended, the executor holds the
  // live lease claim.lease_token on claim.task_id, a task of that job, the
  // task produces the name, and the ref it would replace (if any) was set
  // by this same task or by one whose output never counted (failed,
  // cancelled or requeued). NOT_FOUND naming job_id for an unknown job;
  // FAILED_PRECONDITION naming job_id once it has ended, or naming name when
  // the ref was set by a task that finished or still runs (immutable);
  // PERMISSION_DENIED naming task_id, lease_token or name otherwise.
  // Refusals never name another executor. Waits only for the batch in
  // progress; changes nothing.
  absl::Status CheckArtifactWriter(const ArtifactWriteClaim& claim);

  // Sweeps expired leases and enforces wall-time budgets now (tests call it
  // after advancing a fake clock). Waits for the sweep to commit.
  void Tick();
  // Answers every parked call, refuses new operations with UNAVAILABLE and
  // stops the committer thread. Idempotent.
  void Shutdown();

  // The live state as counts and per-job progress (metrics read it at
  // scrape time). Waits only for the batch in progress.
  CoordinatorSnapshot Snapshot() const;

  // Operations committed so far and batches they took (diagnostics).
  int64_t committed_operations() const;
  int64_t committed_batches() const;
  // Reloads of the whole state from the store tried so far (after failed
  // batches, and while broken: at most one per back-off period).
  int64_t reload_attempts() const;

 private:
  struct Executor {
    v1::ExecutorKind kind;
    std::string name;
    std::string device_class;
    std::vector<std::string> capabilities;
    // Last Register, Lease, Heartbeat, Complete or Fail (0: not since a
    // restart); executors heard from recently count as live.
    int64_t last_seen_ms = 0;
    // When this coordinator loaded it from the store (0: registered since):
    // retention counts silence from here at the earliest.
    int64_t known_since_ms = 0;
  };
  // A reply to send after the batch commits; gets the commit's status.
  using Reply = std::function<void(const absl::Status&)>;
  // An operation: `run` runs under mu_ inside the batch transaction and
  // returns its reply (empty when it parked itself); `refuse` answers it
  // with an error instead when it cannot run (shutdown, broken store).
  struct Op {
    std::function<Reply()> run;
    std::function<void(const absl::Status&)> refuse;
  };
  struct LeaseWaiter {
    std::string executor_id;
    LeaseFilter filter;
    int max_tasks = 1;
    absl::Time deadline;
    Callback<v1::LeaseResponse> done;
  };
  struct EventWaiter {
    std::string job_id;
    int64_t after_sequence = 0;
    absl::Time deadline;
    Callback<EventBatch> done;
  };

  explicit JobManager(const JobManagerOptions& options);
  // Loads executors and jobs. With `resume` (startup), repairs what a crash
  // left and advances each job (writes, inside the caller's transaction);
  // without (ReloadFromStore), only reads: memory becomes what is stored.
  absl::Status LoadFromStore(bool resume = true) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadJob(const v1::Job& job, bool resume = true)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a failed batch: drops every job, task and executor from memory
  // and loads them again as last committed (executors keep last_seen).
  // Parked calls stay parked. On failure the manager is broken_ until a
  // later reload succeeds; the next try is due after a back-off
  // (kMinReloadBackoffMs, doubling to kMaxReloadBackoffMs).
  absl::Status ReloadFromStore() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // While broken: reloads when the back-off has passed, else does nothing.
  void RetryReloadIfDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The earliest parked-call deadline, and while broken the next reload's
  // due time (as real time: the committer sleeps until then).
  absl::Time NextWakeup() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Queues `op` for the committer thread.
  void Submit(Op op);
  // Runs `body` as an operation and waits for its committed result.
  template <typename T>
  absl::StatusOr<T> RunSync(std::function<absl::StatusOr<T>()> body);
  // Calls `start` with a callback and waits for its answer (the synchronous
  // forms of the async calls; never call from the committer thread).
  template <typename T>
  static absl::StatusOr<T> Await(const std::function<void(Callback<T>)>& start);
  // Wraps a body's result and a callback into an operation.
  template <typename T>
  static Op MakeOp(std::function<absl::StatusOr<T>()> body, Callback<T> done);
  void CommitterLoop();
  // Runs one batch: operations, housekeeping, dispatch, commit, replies.
  void RunBatch(std::vector<Op> batch, bool sweep);
  // Records a failed write; the batch will not commit.
  void WriteFailed(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs a store write; a failure marks the batch failed (see WriteFailed).
  bool Write(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // --- jobs that failed to load (job_load_failures.cc) ---
  // A job whose load failed (a read error, a strategy log that does not
  // replay): kept as stored, neither running nor ended, shown with
  // Job.load_failed and why, and tried again after a back-off.
  struct UnloadedJob {
    v1::Job stored;
    absl::Status why;
    int64_t backoff_ms = 0;
    int64_t next_try_ms = 0;  // clock time
  };
  // Loads a live job; on failure undoes what the attempt put in memory and
  // records the job as unloaded (or pushes its next try back).
  void LoadOrPark(const v1::Job& job, bool resume) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tries again every unloaded job whose back-off passed (housekeeping).
  void RetryUnloadedJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The record shown for an unloaded job: as stored, load_failed, why.
  static v1::Job UnloadedRecord(const UnloadedJob& job);
  // UNAVAILABLE for work of an unloaded job: try again later.
  static absl::Status UnloadedStatus(const std::string& job_id, const UnloadedJob& job);
  // Cancels a job that could not be loaded, by its stored record.
  absl::StatusOr<v1::Job> CancelUnloaded(const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // UNAVAILABLE when `task_id` is a stored task of an unloaded job, else OK.
  absl::Status CheckTaskJobLoaded(const std::string& task_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // A live job; FAILED_PRECONDITION for an ended one, UNAVAILABLE for one
  // that failed to load, NOT_FOUND otherwise.
  absl::StatusOr<JobRuntime*> FindJob(const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The stored or live record of any job; NOT_FOUND otherwise.
  absl::StatusOr<v1::Job> JobRecord(const std::string& job_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // OK when the job is live or ended (nothing read); NOT_FOUND otherwise.
  absl::Status JobKnown(const std::string& job_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::Job> DoSubmit(v1::JobSpec spec) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::Job> DoCancel(const std::string& job_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::RegisterResponse> DoRegister(const v1::RegisterRequest& request,
                                                  const std::string& owner_identity)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::HeartbeatResponse> DoHeartbeat(const v1::HeartbeatRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::CompleteResponse> DoComplete(const v1::CompleteRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::FailResponse> DoFail(const v1::FailRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<v1::PutLatencyTableResponse> DoPutLatencyTable(
      const v1::PutLatencyTableRequest& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives the job its latency-table screener (coordinator/screening.h) when
  // its spec screens, from `snapshot` (the job's own copies of its tables,
  // Store::ListJobLatencyTables) when not null, else from the tables stored
  // now; appends the tables it used to *used (to snapshot at submission).
  // At submission a missing or unfit table refuses the job
  // (FAILED_PRECONDITION naming job.latency.screen_with_table); on restart
  // the job runs unscreened and its message says why.
  absl::Status AttachScreener(JobRuntime* job, bool at_submit,
                              const std::vector<v1::LatencyTable>* snapshot,
                              std::vector<v1::LatencyTable>* used)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The executor, marked as seen now (every executor call goes through it).
  absl::StatusOr<const Executor*> FindExecutor(const std::string& executor_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Leases up to max_tasks to the executor and persists the leases.
  std::vector<v1::Task> LeaseLocked(const std::string& executor_id, const LeaseFilter& filter,
                                    int max_tasks) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands queued tasks to parked long polls that can run them.
  void DispatchWaiters(std::vector<Reply>* replies) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers parked calls whose deadline passed (also while broken or
  // shutting down: then expired watches get no events, not an error).
  void ExpireWaiters(std::vector<Reply>* replies) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Answers event watches of jobs that have new events or ended.
  void WakeEventWaiters(std::vector<Reply>* replies) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<EventBatch> ReadEvents(const std::string& job_id, int64_t after_sequence)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Moves a job to a new state (persisted, with an event).
  void SetState(JobRuntime* job, v1::JobState state, const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drives the job's lifecycle: PREPARING -> SEARCHING (creating candidates)
  // -> FINALIZING -> DONE/FAILED.
  void Advance(JobRuntime* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the job: revokes its open tasks, keeps its record only.
  void EndJob(JobRuntime* job, v1::JobState state, const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds tasks to the queue and the store.
  void AddTasks(const std::vector<TaskRecord>& tasks) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillJob(JobRuntime* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Persists a candidate update, revokes its leftover tasks, emits events.
  void ApplyUpdate(JobRuntime* job, const JobRuntime::Update& update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Marks the job's record and strategy log for writing at the end of the
  // batch (one write per job per batch, not per result).
  void MarkDirty(JobRuntime* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushDirtyJobs() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendEvent(JobRuntime* job, v1::EventType type, const v1::Candidate* candidate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Handles a task that ran out of attempts.
  void OnTaskExhausted(const TaskRecord& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets executors silent for over options_.executor_retention_ms
  // (executor_retention.cc); part of the sweep.
  void ForgetSilentExecutors() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Lease expiry follows store_fault_ (job_manager_leases.cc): suspended
  // while it is set; when it clears, every live lease gets one lease
  // duration of grace. Call after every change of store_fault_.
  void SyncLeaseExpiry() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The job's lease duration (kDefaultLeaseMs for a job not in memory).
  int64_t LeaseMsOfJob(const std::string& job_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Task ToProto(const TaskRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t Now() const { return clock_->NowUnixMs(); }

  Store* const store_;
  const Clock* const clock_;
  const JobManagerOptions options_;
  CoordinatorObserver* const observer_;  // never null (a no-op by default)

  // The operations waiting for the committer.
  mutable absl::Mutex ops_mu_;
  std::vector<Op> ops_ ABSL_GUARDED_BY(ops_mu_);
  bool tick_requested_ ABSL_GUARDED_BY(ops_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(ops_mu_) = false;
  int64_t committed_ops_ ABSL_GUARDED_BY(ops_mu_) = 0;
  int64_t committed_batches_ ABSL_GUARDED_BY(ops_mu_) = 0;
  // When the committer must wake up without new operations (deadlines).
  absl::Time next_wakeup_ ABSL_GUARDED_BY(ops_mu_) = absl::InfiniteFuture();
  std::atomic<uint64_t> next_handle_{1};
  std::thread committer_;
  // Replies of committed batches, sent by the replier thread so that the
  // committer can start the next batch while gRPC sends the answers.
  struct ReplyBatch {
    std::vector<Reply> replies;
    absl::Status commit;
  };
  absl::Mutex replies_mu_;
  std::deque<ReplyBatch> reply_queue_ ABSL_GUARDED_BY(replies_mu_);
  bool replier_stopping_ ABSL_GUARDED_BY(replies_mu_) = false;
  std::thread replier_;
  void ReplierLoop();

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<JobRuntime>> jobs_ ABSL_GUARDED_BY(mu_);
  // Jobs that ended: only their state; the record is read from the store.
  std::map<std::string, v1::JobState> ended_jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, UnloadedJob> unloaded_jobs_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, int64_t> last_event_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, Executor> executors_ ABSL_GUARDED_BY(mu_);
  TaskQueue queue_ ABSL_GUARDED_BY(mu_);
  // Parked long polls: by handle, per routing profile in arrival order
  // (stale handles skipped lazily), and by deadline.
  std::unordered_map<uint64_t, LeaseWaiter> lease_waiters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::deque<uint64_t>> waiters_by_profile_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, uint64_t> lease_deadlines_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<uint64_t, EventWaiter> event_waiters_ ABSL_GUARDED_BY(mu_);
  std::multimap<absl::Time, uint64_t> event_deadlines_ ABSL_GUARDED_BY(mu_);
  // Jobs whose events or state changed in the current batch.
  std::vector<std::string> touched_jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, JobRuntime*> dirty_jobs_ ABSL_GUARDED_BY(mu_);
  // (job id, candidate id) whose weights to release once the batch commits.
  std::vector<std::pair<std::string, std::string>> weights_to_release_ ABSL_GUARDED_BY(mu_);
  // Runtimes of jobs that ended in this batch, destroyed after it.
  std::vector<std::unique_ptr<JobRuntime>> retired_ ABSL_GUARDED_BY(mu_);
  std::vector<Reply> shutdown_replies_ ABSL_GUARDED_BY(mu_);
  absl::Status batch_error_ ABSL_GUARDED_BY(mu_);
  // Why the last failed batch failed (StoreFaultStatus), until a probe write
  // succeeds: new work is refused with it meanwhile.
  absl::Status store_fault_ ABSL_GUARDED_BY(mu_);
  // Memory may differ from the store (a reload failed): everything is
  // refused, with broken_reason_, until a reload succeeds.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status broken_reason_ ABSL_GUARDED_BY(mu_);
  int64_t reload_attempts_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reload_backoff_ms_ ABSL_GUARDED_BY(mu_) = 0;  // 0: not broken
  int64_t next_reload_ms_ ABSL_GUARDED_BY(mu_) = 0;     // clock time of the next try
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

// --- templates of the operation plumbing ---

template <typename T>
JobManager::Op JobManager::MakeOp(std::function<absl::StatusOr<T>()> body, Callback<T> done) {
  Op op;
  auto shared_done = std::make_shared<Callback<T>>(std::move(done));
  op.run = [body = std::move(body), shared_done]() -> Reply {
    auto result = std::make_shared<absl::StatusOr<T>>(body());
    return [result, shared_done](const absl::Status& commit) {
      // Nothing of the batch was stored: a change it made (or the store
      // error it hit itself) is answered with why; an operation refused on
      // its own merits changed nothing and keeps its answer.
      if (!commit.ok() && (result->ok() || result->status() == commit)) {
        (*shared_done)(StoreFaultStatus(commit));
      } else {
        (*shared_done)(std::move(*result));
      }
    };
  };
  op.refuse = [shared_done](const absl::Status& status) { (*shared_done)(status); };
  return op;
}

template <typename T>
absl::StatusOr<T> JobManager::Await(const std::function<void(Callback<T>)>& start) {
  absl::Notification notified;
  absl::StatusOr<T> out = absl::InternalError("not answered");
  start([&](absl::StatusOr<T> r) {
    out = std::move(r);
    notified.Notify();
  });
  notified.WaitForNotification();
  return out;
}

template <typename T>
absl::StatusOr<T> JobManager::RunSync(std::function<absl::StatusOr<T>()> body) {
  return Await<T>([&](Callback<T> done) { Submit(MakeOp<T>(std::move(body), std::move(done))); });
}

// Random identifier with a prefix, e.g. "job-3fa9c2d1e0b4".
std::string NewId(const std::string& prefix);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_JOB_MANAGER_H_
