// ReplayRunner: the agent's "replay" runner. It answers TASK_LATENCY tasks
// from a CSV table of measurements made earlier on a real board (e.g.
// Raspberry Pi 5 LiteRT latency and energy for every NAS-Bench-201 cell),
// looked up by the candidate's exact architecture string, so a benchmark job
// runs through coordinator, leases and agents without the board. Results are
// labelled "replay:<column>" with a note naming the file; a number is never
// invented: an architecture missing from the table fails its task. No
// LibTorch here.
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_REPLAY_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_REPLAY_RUNNER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/csv_table.h"
#include "common/task_outcome.h"
#include "device_agent/runners/latency_runner.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

// Named after the agent's flags, which errors name.
struct ReplayOptions {
  std::string table;                 // --replay_table: CSV path (required)
  std::string latency_column;        // --replay_latency_column: ms (required)
  std::string energy_column;         // --replay_energy_column: mJ per inference ("" = none)
  std::string arch_column = "arch";  // --replay_arch_column
  // --replay_delay_ms: how long each task takes (a board's measuring time,
  // for benchmarks and tests that need tasks in flight); 0 = none.
  int delay_ms = 0;
  std::string device_class = "cpu";  // the agent's --device_class, set on every metric
  // Set on every metric (runner "replay"); empty: none.
  v1::DeviceDescriptor device;
};

class ReplayRunner : public LatencyRunner {
 public:
  // Loads the table and checks that every value of the named columns is a
  // finite number >= 0. INVALID_ARGUMENT naming the flag (e.g.
  // "--replay_latency_column: t.csv: unknown column ...; columns: ...")
  // for a missing flag, an unreadable or malformed file, an unknown column or
  // a bad value.
  static absl::StatusOr<std::unique_ptr<ReplayRunner>> Create(ReplayOptions options);

  // True when the table answers energy_mj (the agent then registers the
  // energy_meter capability).
  bool has_energy() const { return !options_.energy_column.empty(); }
  int NumRows() const { return table_->NumRows(); }

  const RunnerInfo& info() const override { return info_; }

  // Reports latency_ms (and energy_mj when has_energy()) for task.arch(),
  // source "replay:<column>", with a note naming the file. INVALID_ARGUMENT
  // (not retryable) for a task that is not TASK_LATENCY or an architecture
  // the table does not hold; CANCELLED when *stop is true.
  absl::StatusOr<TaskOutcome> Run(const v1::Task& task, const std::atomic<bool>* stop) override;

 private:
  ReplayRunner(ReplayOptions options, std::unique_ptr<CsvTable> table);

  const ReplayOptions options_;
  RunnerInfo info_;
  const std::unique_ptr<CsvTable> table_;
  std::vector<double> latency_ms_;  // by row
  std::vector<double> energy_mj_;   // by row; empty without an energy column
};

// The registry's factory (runner_registry.h): a ReplayRunner from the
// --replay_* flags and the agent's context; errors name the flag.
absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateReplayRunnerFromFlags(
    const RunnerContext& context);

// INVALID_ARGUMENT naming the first of --replay_table,
// --replay_latency_column, --replay_energy_column set although --runner
// names another runner; OK otherwise.
absl::Status ReplayFlagsUnused(const std::string& selected);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_REPLAY_RUNNER_H_
