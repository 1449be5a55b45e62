// Prometheus metrics of the executors: WorkerMetrics for edgenas-worker
// (tasks by outcome, task time, training step time, device) and
// AgentMetrics for edgenas-agent (measurements by runner and outcome, their
// coefficient of variation, unstable measurements, energy availability).
// Both read what a task reported (TaskOutcome) through ObserveTasks, so the
// trainers and runners know nothing of metrics. Labels are bounded: no task,
// candidate or architecture ids.
#ifndef EDGENAS_EXECUTOR_EXECUTOR_METRICS_H_
#define EDGENAS_EXECUTOR_EXECUTOR_METRICS_H_

#include <string>

#include "executor/task_observer.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace edgenas {

class WorkerMetrics {
 public:
  // `device` is "cpu" or "cuda"; `device_name` e.g. the GPU's name or
  // "cpu threads=4". `registry` must outlive this.
  WorkerMetrics(prometheus::Registry& registry, const std::string& device,
                const std::string& device_name);
  // Records one finished task (use as a TaskObserver).
  void Observe(const v1::Task& task, const absl::StatusOr<TaskOutcome>& result, double seconds);
  // Wraps `handler` so that every task is recorded, and the busy-slot gauge
  // shows tasks in progress.
  TaskHandler Wrap(TaskHandler handler);

 private:
  prometheus::Family<prometheus::Counter>& tasks_;
  prometheus::Histogram& task_seconds_;
  prometheus::Histogram& step_seconds_;
  prometheus::Counter& steps_;
  prometheus::Gauge& busy_;
};

class AgentMetrics {
 public:
  // Measurements CV above this count as unstable.
  static constexpr double kUnstableCv = 0.10;

  // `runner` ("libtorch", "replay"), `device_class` as registered, and the
  // energy meter found at startup ("" when none). `registry` must outlive this.
  AgentMetrics(prometheus::Registry& registry, const std::string& runner,
               const std::string& device_class, const std::string& energy_meter);
  // Records one finished latency task (use as a TaskObserver).
  void Observe(const v1::Task& task, const absl::StatusOr<TaskOutcome>& result, double seconds);
  TaskHandler Wrap(TaskHandler handler);

 private:
  const std::string runner_;
  const std::string device_class_;
  prometheus::Family<prometheus::Counter>& measurements_;
  prometheus::Histogram& cv_;
  prometheus::Counter& unstable_;
  prometheus::Family<prometheus::Counter>& energy_;
  prometheus::Gauge& energy_available_;
  prometheus::Histogram& task_seconds_;
};

}  // namespace edgenas

#endif  // EDGENAS_EXECUTOR_EXECUTOR_METRICS_H_
