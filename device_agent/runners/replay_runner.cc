#include "device_agent/runners/replay_runner.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

// Metric sources are at most 128 characters (the coordinator refuses more).
constexpr size_t kMaxSource = 128;
constexpr size_t kMaxNote = 1024;

absl::Status Invalid(absl::string_view flag, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", message));
}

// Every value of `column`, each a finite number >= 0 (a measurement).
absl::StatusOr<std::vector<double>> MeasuredColumn(const CsvTable& table, const std::string& column,
                                                   absl::string_view flag) {
  absl::StatusOr<std::vector<double>> values = table.NumericColumn(column);
  if (!values.ok()) return Invalid(flag, values.status().message());
  for (size_t row = 0; row < values->size(); ++row) {
    if ((*values)[row] < 0) {
      return Invalid(flag, absl::StrCat(table.source(), ": column \"", column, "\" is ",
                                        (*values)[row], " (negative) for ", table.key_column(),
                                        " \"", table.Keys()[row], "\""));
    }
  }
  return values;
}

v1::Metric MakeMetric(const char* name, double value, const std::string& column,
                      const std::string& device_class) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  m.set_source(absl::StrCat("replay:", column).substr(0, kMaxSource));
  m.set_device_class(device_class);
  return m;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReplayRunner>> ReplayRunner::Create(ReplayOptions options) {
  if (options.table.empty()) return Invalid("--replay_table", "required with --runner=replay");
  if (options.latency_column.empty()) {
    return Invalid("--replay_latency_column", "required with --runner=replay");
  }
  if (options.arch_column.empty()) return Invalid("--replay_arch_column", "must not be empty");
  if (options.device_class.empty()) return Invalid("--device_class", "must not be empty");
  absl::StatusOr<CsvTable> table = CsvTable::Load(options.table, options.arch_column);
  if (!table.ok()) {
    // A missing file, or a malformed one (the message names the line, or the
    // key column when --replay_arch_column is not in the header).
    return Invalid(absl::IsNotFound(table.status())
                       ? std::string("--replay_table")
                       : absl::StrCat("--replay_table (keyed by --replay_arch_column=",
                                      options.arch_column, ")"),
                   table.status().message());
  }
  auto runner = std::unique_ptr<ReplayRunner>(
      new ReplayRunner(std::move(options), std::make_unique<CsvTable>(*std::move(table))));
  const ReplayOptions& o = runner->options_;
  ASSIGN_OR_RETURN(runner->latency_ms_,
                   MeasuredColumn(*runner->table_, o.latency_column, "--replay_latency_column"));
  if (!o.energy_column.empty()) {
    ASSIGN_OR_RETURN(runner->energy_mj_,
                     MeasuredColumn(*runner->table_, o.energy_column, "--replay_energy_column"));
  }
  return runner;
}

absl::StatusOr<TaskOutcome> ReplayRunner::Run(const v1::Task& task) const {
  if (task.kind() != v1::TASK_LATENCY) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.kind: the replay runner answers TASK_LATENCY, got ", v1::TaskKind_Name(task.kind())));
  }
  absl::StatusOr<int> row = table_->RowOf(task.arch());
  if (!row.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("task.arch: ", row.status().message(),
                     "; the replay runner answers only architectures its table holds"));
  }
  TaskOutcome outcome;
  const std::string& dc = options_.device_class;
  outcome.metrics.push_back(
      MakeMetric(kMetricLatencyMs, latency_ms_[*row], options_.latency_column, dc));
  std::string columns = absl::StrCat("column ", options_.latency_column);
  if (has_energy()) {
    outcome.metrics.push_back(
        MakeMetric(kMetricEnergyMj, energy_mj_[*row], options_.energy_column, dc));
    absl::StrAppend(&columns, ", energy column ", options_.energy_column);
  } else {
    outcome.notes.push_back("energy_mj unavailable: the replay table has no energy column");
  }
  outcome.notes.push_back(absl::StrCat("replayed board measurements from ", options_.table, " (",
                                       columns, "), not measured on this machine")
                              .substr(0, kMaxNote));
  return outcome;
}

}  // namespace edgenas
