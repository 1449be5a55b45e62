// Test helpers for ExecutorLoop tests: the loop on a thread of its own, and
// a latency task as the fake TaskService hands it out.
#ifndef EDGENAS_TESTS_EXECUTOR_LOOP_RUNNER_H_
#define EDGENAS_TESTS_EXECUTOR_LOOP_RUNNER_H_

#include <chrono>
#include <future>
#include <string>

#include "absl/status/status.h"
#include "executor/executor_loop.h"

namespace edgenas {

// Runs the loop on a thread; Finish() stops it and returns Run's status.
class LoopRunner {
 public:
  explicit LoopRunner(ExecutorLoop* loop)
      : loop_(loop), result_(std::async(std::launch::async, [loop] { return loop->Run(); })) {}
  ~LoopRunner() {
    if (result_.valid()) {
      loop_->Stop();
      result_.wait();
    }
  }
  LoopRunner(const LoopRunner&) = delete;
  LoopRunner& operator=(const LoopRunner&) = delete;

  // True while Run() has not returned.
  bool running() const {
    return result_.wait_for(std::chrono::seconds(0)) != std::future_status::ready;
  }
  absl::Status Finish() {
    loop_->Stop();
    // Hang guard only: a loop that ignores Stop() must fail, not block ctest.
    if (result_.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      return absl::DeadlineExceededError("Run() did not return after Stop()");
    }
    return result_.get();
  }

 private:
  ExecutorLoop* loop_;
  std::future<absl::Status> result_;
};

// A latency task of job "job-1" over nb201.
inline v1::Task MakeLatencyTask(const std::string& id) {
  v1::Task task;
  task.set_task_id(id);
  task.set_job_id("job-1");
  task.set_kind(v1::TASK_LATENCY);
  task.set_space("nb201");
  return task;
}

}  // namespace edgenas

#endif  // EDGENAS_TESTS_EXECUTOR_LOOP_RUNNER_H_
