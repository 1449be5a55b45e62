// TaskRecord: one unit of work for a worker or device agent, and the state
// of its lease. Shared by the task queue (the lease state machine) and the
// store (which persists it).
#ifndef EDGENAS_COORDINATOR_STORE_TASK_RECORD_H_
#define EDGENAS_COORDINATOR_STORE_TASK_RECORD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace edgenas {

enum class TaskKind { kAccuracy = 1, kLatency = 2 };

enum class TaskState {
  kQueued = 0,     // waiting for an executor
  kLeased = 1,     // held by lease_owner until lease_expiry_ms
  kDone = 2,       // completed; result stored
  kFailed = 3,     // attempts exhausted or not retryable
  kCancelled = 4,  // its job was cancelled or finished
};

struct TaskRecord {
  std::string task_id;
  std::string job_id;
  std::string candidate_id;
  TaskKind kind = TaskKind::kAccuracy;
  // Device class a latency task must run on ("" for accuracy tasks).
  std::string device_class;
  TaskState state = TaskState::kQueued;
  // Leases handed out so far (each lease is one attempt).
  int attempts = 0;
  int max_attempts = 3;
  std::string lease_token;
  std::string lease_owner;  // executor id
  int64_t lease_expiry_ms = 0;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::string last_error;
  // Tasks that must be kDone before this one can be leased (job-level tasks
  // such as a teacher or supernet, or an earlier stage of this candidate).
  std::vector<std::string> depends_on;
  // Capabilities an executor must have registered to take it ("energy_meter",
  // "gpu", ...); empty means any executor of the right kind.
  std::vector<std::string> requires_capabilities;
  // What the executor is asked to do; "" evaluates the candidate (the
  // default of today's workers and agents). Evaluators name their own, e.g.
  // "train_teacher". Job-level tasks have an empty candidate_id.
  std::string operation;
  // When the current lease began (memory only, not stored: 0 for a lease
  // restored after a restart). For task-duration metrics.
  int64_t leased_ms = 0;
};

const char* TaskStateName(TaskState state);
const char* TaskKindName(TaskKind kind);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STORE_TASK_RECORD_H_
