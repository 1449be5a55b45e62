#include "executor/executor_metrics.h"

#include <memory>

#include "common/job_defaults.h"
#include "common/metric_names.h"
#include "common/metrics/snapshot_collector.h"

namespace edgenas {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const v1::Metric* FindReported(const TaskOutcome& outcome, const char* name) {
  for (const v1::Metric& m : outcome.metrics) {
    if (m.name() == name) return &m;
  }
  return nullptr;
}

// Keeps a gauge incremented while a task runs.
TaskHandler CountBusy(TaskHandler handler, prometheus::Gauge* busy) {
  return [handler = std::move(handler), busy](const v1::Task& task,
                                              const std::atomic<bool>* cancel) {
    busy->Increment();
    absl::StatusOr<TaskOutcome> result = handler(task, cancel);
    busy->Decrement();
    return result;
  };
}

}  // namespace

WorkerMetrics::WorkerMetrics(prometheus::Registry& registry, const std::string& device,
                             const std::string& device_name)
    : tasks_(BuildCounter()
                 .Name("edgenas_worker_tasks_total")
                 .Help("Accuracy tasks run, by outcome (completed, failed, rejected, cancelled)")
                 .Register(registry)),
      task_seconds_(BuildHistogram()
                        .Name("edgenas_worker_task_duration_seconds")
                        .Help("Run time of one accuracy task on this worker")
                        .Register(registry)
                        .Add({}, ExponentialBuckets(0.01, 4, 11))),
      step_seconds_(BuildHistogram()
                        .Name("edgenas_worker_training_step_seconds")
                        .Help("Mean time of one training step (SGD and validation) of a task, "
                              "from its reported cost and steps")
                        .Register(registry)
                        .Add({}, ExponentialBuckets(0.0005, 2, 16))),
      steps_(BuildCounter()
                 .Name("edgenas_worker_training_steps_total")
                 .Help("Training steps run by this worker")
                 .Register(registry)
                 .Add({})),
      busy_(BuildGauge()
                .Name("edgenas_worker_busy_slots")
                .Help("Tasks running now (at most --slots); busy_slots / slots is the "
                      "worker's utilisation")
                .Register(registry)
                .Add({})) {
  BuildGauge()
      .Name("edgenas_worker_device_info")
      .Help("1, labelled with the training device (cpu or cuda) and its description")
      .Register(registry)
      .Add({{"device", device}, {"name", device_name.substr(0, 100)}})
      .Set(1);
  for (const char* outcome : {"completed", "failed", "rejected", "cancelled"}) {
    tasks_.Add({{"outcome", outcome}});
  }
}

void WorkerMetrics::Observe(const v1::Task& task, const absl::StatusOr<TaskOutcome>& result,
                            double seconds) {
  tasks_.Add({{"outcome", TaskOutcomeLabel(result)}}).Increment();
  task_seconds_.Observe(seconds);
  if (!result.ok()) return;
  const v1::Metric* accuracy = FindReported(*result, kMetricAccuracy);
  if (accuracy != nullptr && accuracy->steps() > 0 && accuracy->cost_seconds() > 0) {
    step_seconds_.Observe(accuracy->cost_seconds() / static_cast<double>(accuracy->steps()));
    steps_.Increment(static_cast<double>(accuracy->steps()));
  }
}

TaskHandler WorkerMetrics::Wrap(TaskHandler handler) {
  return ObserveTasks(CountBusy(std::move(handler), &busy_),
                      [this](const v1::Task& task, const absl::StatusOr<TaskOutcome>& result,
                             double seconds) { Observe(task, result, seconds); });
}

AgentMetrics::AgentMetrics(prometheus::Registry& registry, const std::string& runner,
                           const std::string& device_class, const std::string& energy_meter)
    : runner_(runner),
      device_class_(device_class),
      measurements_(BuildCounter()
                        .Name("edgenas_agent_measurements_total")
                        .Help("Latency measurements, by device class, runner and outcome")
                        .Register(registry)),
      cv_(BuildHistogram()
              .Name("edgenas_agent_measurement_cv_ratio")
              .Help("Coefficient of variation (stddev / mean) of each latency measurement")
              .Register(registry)
              .Add({{"device_class", device_class}, {"runner", runner}},
                   prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
                                                           0.5, 1.0})),
      unstable_(BuildCounter()
                    .Name("edgenas_agent_unstable_measurements_total")
                    .Help("Measurements whose CV exceeded 0.10 or that hit max_runs before "
                          "the median settled")
                    .Register(registry)
                    .Add({{"device_class", device_class}, {"runner", runner}})),
      energy_(BuildCounter()
                  .Name("edgenas_agent_energy_readings_total")
                  .Help("Energy per inference readings, by outcome (measured, unavailable)")
                  .Register(registry)),
      energy_available_(BuildGauge()
                            .Name("edgenas_agent_energy_meter_available")
                            .Help("1 when the last measurement (or the startup probe) could "
                                  "read an energy meter, else 0")
                            .Register(registry)
                            .Add({{"device_class", device_class},
                                  {"meter", energy_meter.empty() ? "none" : energy_meter}})),
      task_seconds_(BuildHistogram()
                        .Name("edgenas_agent_task_duration_seconds")
                        .Help("Run time of one latency task (model build, warm-up, timed runs)")
                        .Register(registry)
                        .Add({{"device_class", device_class}, {"runner", runner}},
                             ExponentialBuckets(0.001, 4, 10))) {
  energy_available_.Set(energy_meter.empty() ? 0 : 1);
  for (const char* outcome : {"completed", "failed", "rejected", "cancelled"}) {
    measurements_.Add({{"device_class", device_class}, {"runner", runner}, {"outcome", outcome}});
  }
  for (const char* outcome : {"measured", "unavailable"}) {
    energy_.Add({{"device_class", device_class}, {"outcome", outcome}});
  }
}

void AgentMetrics::Observe(const v1::Task& task, const absl::StatusOr<TaskOutcome>& result,
                           double seconds) {
  measurements_
      .Add({{"device_class", device_class_}, {"runner", runner_},
            {"outcome", TaskOutcomeLabel(result)}})
      .Increment();
  task_seconds_.Observe(seconds);
  if (!result.ok()) return;
  const v1::Metric* cv = FindReported(*result, kMetricLatencyCv);
  const v1::Metric* runs = FindReported(*result, kMetricLatencyRuns);
  const int max_runs =
      task.spec().latency().max_runs() > 0 ? task.spec().latency().max_runs() : kDefaultMaxRuns;
  bool unstable = false;
  if (cv != nullptr) {
    cv_.Observe(cv->value());
    unstable = cv->value() > kUnstableCv;
  }
  if (runs != nullptr && runs->value() >= max_runs) unstable = true;
  if (unstable) unstable_.Increment();
  const bool energy = FindReported(*result, kMetricEnergyMj) != nullptr;
  energy_.Add({{"device_class", device_class_}, {"outcome", energy ? "measured" : "unavailable"}})
      .Increment();
  energy_available_.Set(energy ? 1 : 0);
}

TaskHandler AgentMetrics::Wrap(TaskHandler handler) {
  return ObserveTasks(std::move(handler),
                      [this](const v1::Task& task, const absl::StatusOr<TaskOutcome>& result,
                             double seconds) { Observe(task, result, seconds); });
}

}  // namespace edgenas
