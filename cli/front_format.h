// Text renderings of search results for the `edgenas` CLI: the Pareto front
// as an aligned table, CSV or JSON, and a one-line progress summary of a job.
#ifndef EDGENAS_CLI_FRONT_FORMAT_H_
#define EDGENAS_CLI_FRONT_FORMAT_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "edgenas/v1/job.pb.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

struct FrontFormatOptions {
  // Which values of a metric to show when a candidate has several (a proxy
  // accuracy and a finalist's full-training accuracy): "" the one the search
  // ranked by; a source kind (e.g. "full_train", "flash_distill",
  // "supernet", "table") only values from that kind ("-" where none);
  // "all" one column per kind, headed e.g. "accuracy[full_train]".
  std::string source;
};

// The kind of a metric source: its second ':'-separated field
// ("worker:flash_distill:cpu" -> "flash_distill"), else the whole source.
std::string SourceKind(const std::string& source);

// An aligned table, one row per candidate ordered best-first by the first
// objective (by the value the search used): #, one column per objective
// (accuracy as a percentage, latency and energy with 3 decimals),
// test_accuracy beside accuracy when a front member has one (measured on the
// test split after the search; never an objective), params (unless an
// objective), arch. Missing values show as "-"; values a device
// agent reported as unstable end in "~" (explained in a note below the
// table). Ends with a newline.
std::string FormatFrontTable(const v1::ParetoFront& front,
                             const FrontFormatOptions& options = {});

// RFC 4180 CSV with a header row and the table's rows and order, plus the
// candidate id and an "unstable" column (the ';'-joined headers of the
// values reported as unstable, empty when none); values are raw (accuracy
// as a fraction), fields are quoted when they contain a comma, quote or
// line break. JSON carries each metric's unstable, ci_low, ci_high, method.
std::string FormatFrontCsv(const v1::ParetoFront& front, const FrontFormatOptions& options = {});

// The front as protobuf JSON (proto field names, all fields printed).
absl::StatusOr<std::string> FormatFrontJson(const v1::ParetoFront& front);

// One line (no newline) describing a job's progress, e.g.
// "job 7f3a: searching | done 12/24 failed 1 pending 2 | front 5 | hv 0.4123 | 1m23s".
// The elapsed time runs from creation to `now`, or to the last update once ended.
std::string FormatProgressLine(const v1::Job& job, absl::Time now);

// "pending", "preparing", "searching", "finalizing", "done", "failed",
// "cancelled" or "unknown".
std::string JobStateName(v1::JobState state);

// True for DONE, FAILED and CANCELLED.
bool IsTerminal(v1::JobState state);

// Formats one metric value for people: accuracy "91.23%", latency "1.234",
// params "12,345", others in %g form.
std::string FormatMetricValue(const std::string& metric, double value);

// Shows a job's progress line on `out`: redrawn in place with \r when `out`
// is a terminal, otherwise one line per change (for logs and pipes).
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& out, bool is_tty) : out_(out), is_tty_(is_tty) {}
  // Shows the job's current line; an unchanged line is not repeated.
  void Update(const v1::Job& job);
  // Ends the in-place line so that later output starts on a fresh line.
  void Finish();

 private:
  std::ostream& out_;
  const bool is_tty_;
  std::string last_line_;
  bool line_open_ = false;
};

}  // namespace edgenas

#endif  // EDGENAS_CLI_FRONT_FORMAT_H_
