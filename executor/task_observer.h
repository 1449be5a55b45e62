// Observing the tasks an executor runs without touching its loop or its
// handlers: ObserveTasks wraps a TaskHandler so that an observer (metrics)
// sees every task, its result and how long it ran.
#ifndef EDGENAS_EXECUTOR_TASK_OBSERVER_H_
#define EDGENAS_EXECUTOR_TASK_OBSERVER_H_

#include <functional>
#include <string>

#include "executor/executor_loop.h"

namespace edgenas {

// Called after each task with its result and its run time in seconds.
using TaskObserver = std::function<void(const v1::Task& task,
                                        const absl::StatusOr<TaskOutcome>& result,
                                        double seconds)>;

// A handler that runs `inner` and then tells `observer`; the result is
// passed through unchanged. An empty observer returns `inner` itself.
TaskHandler ObserveTasks(TaskHandler inner, TaskObserver observer);

// The outcome of a result as the executor reports it: "completed",
// "cancelled", "rejected" (INVALID_ARGUMENT: not retried) or "failed".
std::string TaskOutcomeLabel(const absl::StatusOr<TaskOutcome>& result);

}  // namespace edgenas

#endif  // EDGENAS_EXECUTOR_TASK_OBSERVER_H_
