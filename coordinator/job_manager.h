// JobManager: the coordinator's core. It owns every job's runtime, the task
// queue with its leases, and the executors, persists every change to the
// Store before answering, and emits job events. The RPC layer is a thin
// adapter over it; tests drive it directly with a fake clock.
// Thread-safe: one mutex serialises all state changes; Lease and
// WaitForEvents block (long poll) without holding it.
#ifndef EDGENAS_COORDINATOR_JOB_MANAGER_H_
#define EDGENAS_COORDINATOR_JOB_MANAGER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "coordinator/job_runtime.h"
#include "coordinator/store.h"
#include "coordinator/task_queue.h"
#include "edgenas/v1/search_service.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

struct JobManagerOptions {
  Store* store = nullptr;               // required; outlives the manager
  const Clock* clock = nullptr;         // default: RealClock
  int heartbeat_interval_ms = 5000;     // told to executors at Register
  int housekeeping_interval_ms = 500;   // lease sweep period of the thread
  bool start_housekeeping_thread = true;  // tests call Tick() by hand
};

// Events after a sequence number, and whether the job has ended.
struct EventBatch {
  std::vector<v1::JobEvent> events;
  bool job_terminal = false;
};

class JobManager {
 public:
  // Loads every job from the store and resumes the unfinished ones.
  static absl::StatusOr<std::unique_ptr<JobManager>> Create(const JobManagerOptions& options);
  ~JobManager();

  // --- SearchService core ---
  // Validates (INVALID_ARGUMENT naming the field), stores and starts a job.
  absl::StatusOr<v1::Job> SubmitJob(v1::JobSpec spec);
  absl::StatusOr<v1::Job> GetJob(const std::string& job_id);
  std::vector<v1::Job> ListJobs();
  // Cancels a job that has not ended; its outstanding tasks are revoked.
  absl::StatusOr<v1::Job> CancelJob(const std::string& job_id);
  absl::StatusOr<v1::ParetoFront> GetParetoFront(const std::string& job_id);
  absl::StatusOr<v1::Candidate> GetCandidate(const std::string& job_id,
                                             const std::string& candidate_id);
  // Returns events with sequence > after_sequence, waiting up to timeout_ms
  // for the first one. NOT_FOUND for an unknown job.
  absl::StatusOr<EventBatch> WaitForEvents(const std::string& job_id, int64_t after_sequence,
                                           int64_t timeout_ms);

  // --- TaskService core ---
  absl::StatusOr<v1::RegisterResponse> Register(const v1::RegisterRequest& request);
  // Long poll: waits up to request.wait_ms (capped) for tasks this executor
  // can run. NOT_FOUND for an unknown executor (it should register again).
  absl::StatusOr<v1::LeaseResponse> Lease(const v1::LeaseRequest& request);
  absl::StatusOr<v1::HeartbeatResponse> Heartbeat(const v1::HeartbeatRequest& request);
  // Accepts a task result; see task_service.proto for the contract.
  absl::StatusOr<v1::CompleteResponse> Complete(const v1::CompleteRequest& request);
  absl::Status Fail(const v1::FailRequest& request);

  // Sweeps expired leases and enforces wall-time budgets. Called by the
  // housekeeping thread; tests call it after advancing a fake clock.
  void Tick();
  // Wakes every long poll and stops the housekeeping thread. Idempotent.
  void Shutdown();

 private:
  struct Executor {
    v1::ExecutorKind kind;
    std::string name;
    std::string device_class;
  };

  explicit JobManager(const JobManagerOptions& options);
  absl::Status LoadFromStore() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  absl::StatusOr<JobRuntime*> FindJob(const std::string& job_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Creates new candidates/tasks for a searching job and persists them.
  absl::Status FillJob(JobRuntime* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves a job to a new state (persisted, with an event).
  absl::Status SetState(JobRuntime* job, v1::JobState state, const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends the job when everything is finished, else creates more work.
  absl::Status Advance(JobRuntime* job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Persists a candidate update and emits its events.
  absl::Status ApplyUpdate(JobRuntime* job, const JobRuntime::Update& update)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendEvent(JobRuntime* job, v1::EventType type, const v1::Candidate* candidate)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Handles a task that ran out of attempts: its candidate fails.
  absl::Status OnTaskExhausted(const TaskRecord& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  v1::Task ToProto(const TaskRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t Now() const { return clock_->NowUnixMs(); }

  Store* const store_;
  const Clock* const clock_;
  const JobManagerOptions options_;

  absl::Mutex mu_;
  absl::CondVar work_cv_;   // new tasks queued, or shutdown
  absl::CondVar event_cv_;  // new events, or shutdown
  std::map<std::string, std::unique_ptr<JobRuntime>> jobs_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> last_event_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Executor> executors_ ABSL_GUARDED_BY(mu_);
  TaskQueue queue_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::thread housekeeping_;
};

// Random identifier with a prefix, e.g. "job-3fa9c2d1e0b4".
std::string NewId(const std::string& prefix);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_JOB_MANAGER_H_
