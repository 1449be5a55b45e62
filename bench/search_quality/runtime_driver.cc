// Kept apart from the torch-free benchmark main: this file includes the
// generated protobuf headers (through the job runtime).
#include "bench/search_quality/runtime_driver.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "common/job_spec.h"
#include "common/metric_names.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/job_runtime.h"

namespace edgenas {
namespace {

constexpr char kDeviceClass[] = "table";

v1::JobSpec MakeSpec(const SearchRun& run) {
  v1::JobSpec spec;
  spec.set_name("search-quality");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name(run.strategy);
  for (const auto& [k, v] : run.params) (*spec.mutable_strategy()->mutable_params())[k] = v;
  auto* acc = spec.add_objectives();
  acc->set_metric(kMetricAccuracy);
  acc->set_direction(v1::MAXIMIZE);
  if (!run.latency_column.empty()) {
    auto* lat = spec.add_objectives();
    lat->set_metric(kMetricLatencyMs);
    lat->set_direction(v1::MINIMIZE);
    lat->set_device_class(kDeviceClass);
  }
  auto* ev = spec.mutable_evaluation();
  ev->set_mode("table");
  ev->mutable_table()->set_path(run.table_path);
  ev->mutable_table()->set_accuracy_column(run.accuracy_column);
  ev->mutable_table()->set_arch_column(run.arch_column);
  spec.mutable_budget()->set_max_evaluations(run.budget);
  spec.set_parallelism(1);
  spec.set_seed(run.seed);
  return spec;
}

}  // namespace

absl::StatusOr<std::vector<int>> RunSearch(const TableProblem& problem, const SearchRun& run) {
  v1::Job job;
  job.set_id("bench");
  *job.mutable_spec() = MakeSpec(run);
  if (absl::Status s = NormalizeJobSpec(job.mutable_spec(), RegisteredJobSpecNames()); !s.ok()) {
    return s;
  }
  job.set_state(v1::JOB_SEARCHING);
  auto runtime = JobRuntime::Create(job);
  if (!runtime.ok()) return runtime.status();
  JobRuntime& rt = **runtime;

  std::vector<int> rows;
  int64_t now_ms = 0;
  while (static_cast<int>(rows.size()) < run.budget) {
    std::vector<JobRuntime::NewCandidate> created = rt.Fill(++now_ms);
    if (created.empty()) break;  // budget used, space exhausted or stopped
    for (const JobRuntime::NewCandidate& nc : created) {
      auto row = problem.table().RowOf(nc.candidate.arch());
      if (!row.ok()) return row.status();
      rows.push_back(*row);
      for (const TaskRecord& task : nc.tasks) {
        std::vector<v1::Metric> metrics(1);
        if (task.kind == TaskKind::kAccuracy) {
          metrics[0].set_name(kMetricAccuracy);
          metrics[0].set_value(problem.accuracy(*row) * problem.accuracy_scale());
          metrics[0].set_source(absl::StrCat("table:", run.accuracy_column));
        } else {
          metrics[0].set_name(kMetricLatencyMs);
          metrics[0].set_value(problem.latency(*row));
          metrics[0].set_source(absl::StrCat("replay:", run.latency_column));
        }
        if (absl::Status s = rt.ValidateReport(task, metrics, {}); !s.ok()) return s;
        AttributeMetrics(task, &metrics);
        auto update = rt.RecordTaskResult(task, metrics, {}, now_ms);
        if (!update.ok()) return update.status();
      }
    }
  }
  return rows;
}

}  // namespace edgenas
