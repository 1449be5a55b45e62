// What `edgenas watch` shows while a job runs: on a terminal a progress bar
// redrawn in place (evaluations / budget, elapsed, ETA, best accuracy,
// hypervolume, failures); elsewhere (a pipe, a log) one plain line per
// change, so that scripts and logs get every step without control codes.
#ifndef EDGENAS_CLI_WATCH_DISPLAY_H_
#define EDGENAS_CLI_WATCH_DISPLAY_H_

#include <optional>
#include <ostream>
#include <string>

#include "absl/time/time.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

// The figures of one progress report.
struct WatchProgress {
  std::string job_id;
  std::string state;       // "searching", ...
  int finished = 0;        // done + failed
  int failed = 0;
  int budget = 0;          // 0: none
  int front_size = 0;
  double hypervolume = 0;
  absl::Duration elapsed;
  std::optional<absl::Duration> eta;  // none before the first result or without a budget
  std::optional<double> best_accuracy;
};

// The figures of `job` at `now`, with the best accuracy seen so far. The
// ETA extrapolates the mean time per finished candidate to the budget left
// while the job is searching.
WatchProgress ComputeProgress(const v1::Job& job, absl::Time now,
                              std::optional<double> best_accuracy);

// "[########------------]  41/100  elapsed 2m03s  ETA 2m57s  best 91.23%
// hv 0.4123  front 5  failed 2  searching" with a bar `bar_width` wide.
std::string FormatProgressBar(const WatchProgress& p, int bar_width = 24);

// "job X searching: 41/100 evaluated, 2 failed, front 5, hv 0.4123, best
// 91.23%, elapsed 2m03s, ETA 2m57s" (no control characters).
std::string FormatProgressPlain(const WatchProgress& p);

// "2m03s", "1h02m", "45s".
std::string FormatDurationShort(absl::Duration d);

class WatchDisplay {
 public:
  WatchDisplay(std::ostream& out, bool is_tty) : out_(out), is_tty_(is_tty) {}
  // Takes one event: its job snapshot, and its candidate's accuracy. The
  // event's own time stands for "now" (a replayed event shows the elapsed
  // time it had), `now` when it carries none.
  void OnEvent(const v1::JobEvent& event, absl::Time now);
  // Remembers what `job`'s record says that event snapshots may leave out
  // (the budget), without showing anything.
  void Learn(const v1::Job& job);
  // Shows `job` (e.g. the final state) at `now`.
  void Show(const v1::Job& job, absl::Time now);
  // Ends the in-place line (terminal) so that later output starts fresh.
  void Finish();
  std::optional<double> best_accuracy() const { return best_accuracy_; }

 private:
  std::ostream& out_;
  const bool is_tty_;
  std::optional<double> best_accuracy_;
  int budget_ = 0;        // from the first job record that carried the spec
  std::string last_key_;  // what a plain line reports, to skip repeats
  bool line_open_ = false;
};

}  // namespace edgenas

#endif  // EDGENAS_CLI_WATCH_DISPLAY_H_
