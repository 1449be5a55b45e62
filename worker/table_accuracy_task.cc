#include "worker/table_accuracy_task.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

constexpr char kDefaultArchColumn[] = "arch";
// Metric sources are at most 128 characters (the coordinator refuses more).
constexpr size_t kMaxSource = 128;

// Every table problem is a property of the job (or its file), not of this
// attempt: INVALID_ARGUMENT makes the executor report it as not retryable.
absl::Status Invalid(absl::string_view field, const absl::Status& cause) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", cause.message()));
}

struct FileStamp {
  uintmax_t size = 0;
  int64_t modified_ns = 0;
};

absl::StatusOr<FileStamp> StampOf(const std::string& path) {
  std::error_code error;
  FileStamp stamp;
  stamp.size = std::filesystem::file_size(path, error);
  if (error) {
    return absl::NotFoundError(absl::StrCat("cannot open table ", path, ": ", error.message()));
  }
  const auto modified = std::filesystem::last_write_time(path, error);
  if (error) {
    return absl::NotFoundError(absl::StrCat("cannot stat table ", path, ": ", error.message()));
  }
  stamp.modified_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(modified.time_since_epoch()).count();
  return stamp;
}

}  // namespace

bool IsTableAccuracyTask(const v1::Task& task) {
  return task.kind() == v1::TASK_ACCURACY && task.spec().evaluation().mode() == kTableMode;
}

double AutomaticAccuracyScale(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return v > 1.0; }) ? 0.01 : 1.0;
}

absl::StatusOr<std::shared_ptr<const TableAccuracyTasks::Column>> TableAccuracyTasks::GetColumn(
    const v1::TableSpec& spec, const std::string& arch_column) {
  const std::string& path = spec.path();
  absl::StatusOr<FileStamp> stamp = StampOf(path);
  if (!stamp.ok()) return Invalid("evaluation.table.path", stamp.status());
  const Key key{path, arch_column, spec.accuracy_column()};
  absl::MutexLock lock(&mu_);
  auto it = columns_.find(key);
  if (it != columns_.end() && it->second->file_size == stamp->size &&
      it->second->modified_ns == stamp->modified_ns) {
    return it->second;
  }
  // Share the parsed table with other columns of the same file and version.
  std::shared_ptr<const CsvTable> table;
  for (const auto& [other_key, other] : columns_) {
    if (std::get<0>(other_key) == path && std::get<1>(other_key) == arch_column &&
        other->file_size == stamp->size && other->modified_ns == stamp->modified_ns) {
      table = other->table;
      break;
    }
  }
  if (table == nullptr) {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<CsvTable> loaded = CsvTable::Load(path, arch_column);
    if (!loaded.ok()) {
      // The message names the file, and the line or column that is wrong.
      return Invalid(
          absl::IsNotFound(loaded.status()) ? "evaluation.table.path" : "evaluation.table",
          loaded.status());
    }
    table = std::make_shared<const CsvTable>(*std::move(loaded));
    EDGENAS_LOG(kInfo, "worker", "loaded table ", path, ": ", table->NumRows(), " rows in ",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                " s");
  }
  auto column = std::make_shared<Column>();
  column->table = table;
  absl::StatusOr<std::vector<double>> values = table->NumericColumn(spec.accuracy_column());
  if (!values.ok()) return Invalid("evaluation.table.accuracy_column", values.status());
  column->values = *std::move(values);
  column->automatic_scale = AutomaticAccuracyScale(column->values);
  column->file_size = stamp->size;
  column->modified_ns = stamp->modified_ns;
  columns_[key] = column;
  return std::shared_ptr<const Column>(column);
}

absl::StatusOr<TaskOutcome> TableAccuracyTasks::Run(const v1::Task& task) {
  if (!IsTableAccuracyTask(task)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "evaluation.mode: the table evaluator answers TASK_ACCURACY tasks of \"table\" jobs, got ",
        v1::TaskKind_Name(task.kind()), " in mode \"", task.spec().evaluation().mode(), "\""));
  }
  const v1::TableSpec& spec = task.spec().evaluation().table();
  if (spec.path().empty()) return absl::InvalidArgumentError("evaluation.table.path: required");
  if (spec.accuracy_column().empty()) {
    return absl::InvalidArgumentError("evaluation.table.accuracy_column: required");
  }
  const std::string arch_column =
      spec.arch_column().empty() ? std::string(kDefaultArchColumn) : spec.arch_column();
  ASSIGN_OR_RETURN(std::shared_ptr<const Column> column, GetColumn(spec, arch_column));

  absl::StatusOr<int> row = column->table->RowOf(task.arch());
  if (!row.ok()) return Invalid("task.arch", row.status());
  const double raw = column->values[*row];
  const double scale = spec.accuracy_scale() > 0 ? spec.accuracy_scale() : column->automatic_scale;
  const double accuracy = raw * scale;
  if (!(accuracy >= 0.0 && accuracy <= 1.0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "evaluation.table.accuracy_scale: %s value %g x scale %g = %g is not a fraction in "
        "[0, 1] (arch %s in %s)",
        spec.accuracy_column(), raw, scale, accuracy, task.arch(), spec.path()));
  }

  TaskOutcome outcome;
  v1::Metric metric;
  metric.set_name(kMetricAccuracy);
  metric.set_value(accuracy);
  metric.set_source(absl::StrCat("table:", spec.accuracy_column()).substr(0, kMaxSource));
  outcome.metrics.push_back(std::move(metric));
  outcome.notes.push_back(absl::StrCat("looked up in ", spec.path(), ", column ",
                                       spec.accuracy_column(), " (value ", raw, " x scale ", scale,
                                       spec.accuracy_scale() > 0 ? "" : ", automatic",
                                       "); not trained")
                              .substr(0, 1024));
  return outcome;
}

}  // namespace edgenas
