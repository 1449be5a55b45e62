#include "executor/task_observer.h"

#include <chrono>

namespace edgenas {

TaskHandler ObserveTasks(TaskHandler inner, TaskObserver observer) {
  if (!observer) return inner;
  return [inner = std::move(inner), observer = std::move(observer)](
             const v1::Task& task, const std::atomic<bool>* cancel) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<TaskOutcome> result = inner(task, cancel);
    observer(task, result,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return result;
  };
}

std::string TaskOutcomeLabel(const absl::StatusOr<TaskOutcome>& result) {
  if (result.ok()) return "completed";
  if (absl::IsCancelled(result.status())) return "cancelled";
  if (absl::IsInvalidArgument(result.status())) return "rejected";
  return "failed";
}

}  // namespace edgenas
