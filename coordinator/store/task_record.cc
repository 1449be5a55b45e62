#include "coordinator/store/task_record.h"

namespace edgenas {

const char* TaskStateName(TaskState state) {
  switch (state) {
    case TaskState::kQueued:
      return "queued";
    case TaskState::kLeased:
      return "leased";
    case TaskState::kDone:
      return "done";
    case TaskState::kFailed:
      return "failed";
    case TaskState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

const char* TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kAccuracy:
      return "accuracy";
    case TaskKind::kLatency:
      return "latency";
  }
  return "unknown";
}

}  // namespace edgenas
