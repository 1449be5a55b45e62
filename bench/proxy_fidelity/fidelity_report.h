// proxy_fidelity's figures as plain data (no LibTorch): the per-architecture
// measurements, the per-mode summary (rank correlation with full training,
// own and amortised cost) and their text, JSON and CSV forms.
#ifndef EDGENAS_BENCH_PROXY_FIDELITY_FIDELITY_REPORT_H_
#define EDGENAS_BENCH_PROXY_FIDELITY_FIDELITY_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgenas {

// Proxy mode names, as in evaluation.mode.
inline constexpr char kModeFlash[] = "flash_distill";
inline constexpr char kModeSupernet[] = "supernet";

// One accuracy task's outcome.
struct Measurement {
  bool present = false;  // false when the mode was skipped
  double accuracy = 0.0;
  double std_error = 0.0;
  double cost_seconds = 0.0;  // the accuracy metric's cost_seconds (worker's own figure)
  double wall_seconds = 0.0;  // RunAccuracyPlan's wall clock, fetches and data included
  int64_t steps = 0;
};

struct ArchResult {
  std::string arch;
  Measurement full;
  Measurement flash;
  Measurement supernet;
};

// What the run was, for every printed and written figure.
struct RunInfo {
  int archs = 0;
  uint64_t seed = 0;
  int full_steps = 0;
  int flash_steps = 0;  // per candidate
  double feature_weight = 0.0;  // flash distillation's activation transfer (0 = off)
  int teacher_steps = 0;
  int supernet_steps = 0;
  std::string space = "nb201";  // the space's name
  std::string space_options;    // "key=value" pairs of its options, space-separated
  int channels = 0;             // NB201's width option (0 for other spaces)
  int batch_size = 0;
  int validation_examples = 0;
  std::string device;  // "cpu" or "cuda"
  int threads = 0;
};

// A job-level task a proxy needs once (teacher, supernet).
struct OneOffCost {
  bool present = false;
  double cost_seconds = 0.0;  // the task's own training cost
  // Work outside any cost_seconds that the proxy pays once more, e.g.
  // loading the teacher (on CUDA: its logits over the training split) on
  // the first distillation task.
  double extra_seconds = 0.0;
  int64_t steps = 0;
};

struct ModeSummary {
  std::string mode;
  int archs = 0;
  double kendall_tau = 0.0;   // NaN when undefined (a constant ranking)
  double spearman_rho = 0.0;  // NaN when undefined
  double seconds_per_candidate = 0.0;  // mean own cost_seconds
  double wall_seconds_per_candidate = 0.0;
  double one_off_seconds = 0.0;  // cost_seconds + extra_seconds of the one-off task
  double amortized_seconds_per_candidate = 0.0;  // own + one_off / archs
  double full_seconds_per_candidate = 0.0;       // mean full-training cost_seconds
  int64_t steps = 0;          // training steps per candidate (0 for the supernet)
  int64_t one_off_steps = 0;  // teacher or supernet training steps
};

// Summarises `mode` (kModeFlash or kModeSupernet) over the results where
// both it and full training are present. INVALID_ARGUMENT for an unknown
// mode or fewer than 2 such results.
absl::StatusOr<ModeSummary> SummarizeMode(const std::string& mode,
                                          const std::vector<ArchResult>& results,
                                          const OneOffCost& one_off);

// The human-readable table: one row per mode, every figure labelled.
std::string FormatSummaryTable(const std::vector<ModeSummary>& summaries, const RunInfo& info);

// A JSON list with one object per mode (NaN as null).
std::string SummaryJson(const std::vector<ModeSummary>& summaries, const RunInfo& info);

// One CSV row per architecture (empty cells for skipped modes), with header;
// an architecture holding a comma or quote (e.g. mbv3's) is quoted.
std::string ResultsCsv(const std::vector<ArchResult>& results);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_PROXY_FIDELITY_FIDELITY_REPORT_H_
