#include "device_agent/runners/replay_runner.h"

#include <chrono>
#include <thread>
#include <algorithm>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, replay_table, "", "--runner=replay: CSV table, header row required");
ABSL_FLAG(std::string, replay_latency_column, "",
          "--runner=replay: column with the latency in ms (required)");
ABSL_FLAG(std::string, replay_energy_column, "",
          "--runner=replay: column with the energy per inference in mJ (optional; without "
          "it, energy_mj is unavailable)");
ABSL_FLAG(std::string, replay_arch_column, "arch",
          "--runner=replay: column with the architecture strings");
ABSL_FLAG(int, replay_delay_ms, 0,
          "--runner=replay: how long each task takes, in ms (stands in for a board's "
          "measuring time, e.g. in bench/fault_tolerance; 0 = none)");

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

ReplayRunner::ReplayRunner(ReplayOptions options, std::unique_ptr<CsvTable> table)
    : options_(std::move(options)), table_(std::move(table)) {
  info_.name = "replay";
  info_.capabilities.push_back("latency:replay");
  if (has_energy()) {
    info_.capabilities.push_back("energy_meter");  // routes energy tasks here
    info_.capabilities.push_back("energy:replay");
    info_.energy_meter_kind = "replay";
  }
  info_.device = options_.device;
}

absl::StatusOr<std::unique_ptr<ReplayRunner>> ReplayRunner::Create(ReplayOptions options) {
  if (options.table.empty()) return Invalid("--replay_table", "required with --runner=replay");
  if (options.latency_column.empty()) {
    return Invalid("--replay_latency_column", "required with --runner=replay");
  }
  if (options.arch_column.empty()) return Invalid("--replay_arch_column", "must not be empty");
  if (options.delay_ms < 0 || options.delay_ms > 3600000) {
    return Invalid("--replay_delay_ms", absl::StrCat("must be in [0, 3600000], got ", options.delay_ms));
  }
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

absl::StatusOr<TaskOutcome> ReplayRunner::Run(const v1::Task& task,
                                              const std::atomic<bool>* stop) {
  if (task.kind() != v1::TASK_LATENCY) {
    return absl::InvalidArgumentError(absl::StrCat(
        "task.kind: the replay runner answers TASK_LATENCY, got ", v1::TaskKind_Name(task.kind())));
  }
  RETURN_IF_ERROR(CheckNotStopped(stop, "replay latency task"));
  absl::StatusOr<int> row = table_->RowOf(task.arch());
  if (!row.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("task.arch: ", row.status().message(),
                     "; the replay runner answers only architectures its table holds"));
  }
  // Stands in for the measuring time; a stop ends it early.
  for (int waited = 0; waited < options_.delay_ms; waited += 10) {
    RETURN_IF_ERROR(CheckNotStopped(stop, "replay latency task"));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(10, options_.delay_ms - waited)));
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
  StampDevice(options_.device, &outcome);
  return outcome;
}

absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateReplayRunnerFromFlags(
    const RunnerContext& context) {
  ReplayOptions replay;
  replay.table = absl::GetFlag(FLAGS_replay_table);
  replay.latency_column = absl::GetFlag(FLAGS_replay_latency_column);
  replay.energy_column = absl::GetFlag(FLAGS_replay_energy_column);
  replay.arch_column = absl::GetFlag(FLAGS_replay_arch_column);
  replay.delay_ms = absl::GetFlag(FLAGS_replay_delay_ms);
  replay.device_class = context.device_class;
  replay.device =
      context.Describe("replay", "", replay.energy_column.empty() ? "" : "replay");
  ASSIGN_OR_RETURN(std::unique_ptr<ReplayRunner> runner, ReplayRunner::Create(std::move(replay)));
  EDGENAS_LOG(kInfo, "agent", "replay runner: ", runner->NumRows(), " rows from ",
              absl::GetFlag(FLAGS_replay_table));
  return runner;
}

absl::Status ReplayFlagsUnused(const std::string& selected) {
  for (const auto& [flag, value] :
       {std::pair{"--replay_table", absl::GetFlag(FLAGS_replay_table)},
        std::pair{"--replay_latency_column", absl::GetFlag(FLAGS_replay_latency_column)},
        std::pair{"--replay_energy_column", absl::GetFlag(FLAGS_replay_energy_column)}}) {
    if (!value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": only used with --runner=replay"));
    }
  }
  return absl::OkStatus();
}

}  // namespace edgenas
