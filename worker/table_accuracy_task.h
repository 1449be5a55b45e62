// TableAccuracyTasks: what a worker does with a TASK_ACCURACY task of a job
// in evaluation.mode "table": look the candidate's exact architecture string
// up in the job's CSV table (evaluation.table) and report that accuracy,
// labelled with its source. Nothing is trained and no model is built, so
// this file stays free of LibTorch. Tables are loaded once per (path, arch
// column, accuracy column) and kept for the life of the worker process
// (reloaded when the file's size or modification time changes).
#ifndef EDGENAS_WORKER_TABLE_ACCURACY_TASK_H_
#define EDGENAS_WORKER_TABLE_ACCURACY_TASK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/csv_table.h"
#include "common/task_outcome.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

// The evaluation mode this file answers.
inline constexpr char kTableMode[] = "table";

// True when `task` is an accuracy task that TableAccuracyTasks answers.
bool IsTableAccuracyTask(const v1::Task& task);

// The scale that accuracy_scale 0 ("automatic") means: 0.01 when any value
// is above 1 (the column holds percentages), else 1.
double AutomaticAccuracyScale(const std::vector<double>& values);

// Thread-safe; one per worker process.
class TableAccuracyTasks {
 public:
  // Answers the task: metric accuracy = table value x scale, source
  // "table:<accuracy_column>", with a note naming the file. Every failure is
  // INVALID_ARGUMENT (retrying cannot help) naming the field: an unreadable
  // or malformed file (evaluation.table.path), an unknown or non-numeric
  // column (evaluation.table.accuracy_column / arch_column), an architecture
  // missing from the table (task.arch), a scaled value outside [0, 1]
  // (evaluation.table.accuracy_scale).
  absl::StatusOr<TaskOutcome> Run(const v1::Task& task);

 private:
  // One accuracy column of a loaded table.
  struct Column {
    std::shared_ptr<const CsvTable> table;
    std::vector<double> values;  // by row
    double automatic_scale = 1;
    // File identity when loaded; a change means a reload.
    uintmax_t file_size = 0;
    int64_t modified_ns = 0;
  };
  using Key = std::tuple<std::string, std::string, std::string>;  // path, arch, accuracy

  absl::StatusOr<std::shared_ptr<const Column>> GetColumn(const v1::TableSpec& table,
                                                          const std::string& arch_column);

  absl::Mutex mu_;
  std::map<Key, std::shared_ptr<const Column>> columns_ ABSL_GUARDED_BY(mu_);
};

}  // namespace edgenas

#endif  // EDGENAS_WORKER_TABLE_ACCURACY_TASK_H_
