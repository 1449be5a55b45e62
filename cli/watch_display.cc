#include "cli/watch_display.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/front_format.h"
#include "common/metric_names.h"

namespace edgenas {

WatchProgress ComputeProgress(const v1::Job& job, absl::Time now,
                              std::optional<double> best_accuracy) {
  WatchProgress p;
  p.job_id = job.id();
  p.state = JobStateName(job.state());
  p.finished = job.candidates_done() + job.candidates_failed();
  p.failed = job.candidates_failed();
  p.budget = job.spec().budget().max_evaluations();
  p.front_size = job.front_size();
  p.hypervolume = job.hypervolume();
  const absl::Time created = absl::FromUnixMillis(job.created_unix_ms());
  const absl::Time end = IsTerminal(job.state()) && job.updated_unix_ms() > 0
                             ? absl::FromUnixMillis(job.updated_unix_ms())
                             : now;
  p.elapsed = std::max(absl::ZeroDuration(), end - created);
  if (job.state() == v1::JOB_SEARCHING && p.budget > 0 && p.finished > 0 &&
      p.finished < p.budget) {
    p.eta = p.elapsed / p.finished * (p.budget - p.finished);
  }
  p.best_accuracy = best_accuracy;
  return p;
}

std::string FormatDurationShort(absl::Duration d) {
  const int64_t s = std::max<int64_t>(0, absl::ToInt64Seconds(d));
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

namespace {

std::string Counts(const WatchProgress& p) {
  return p.budget > 0 ? absl::StrCat(p.finished, "/", p.budget) : absl::StrCat(p.finished);
}

std::string Best(const WatchProgress& p) {
  return p.best_accuracy ? FormatMetricValue(kMetricAccuracy, *p.best_accuracy) : "-";
}

}  // namespace

std::string FormatProgressBar(const WatchProgress& p, int bar_width) {
  const double fraction =
      p.budget > 0 ? std::clamp(static_cast<double>(p.finished) / p.budget, 0.0, 1.0) : 0.0;
  const int filled = static_cast<int>(std::floor(fraction * bar_width));
  std::string bar = "[" + std::string(filled, '#') + std::string(bar_width - filled, '-') + "]";
  return absl::StrCat(bar, " ", absl::StrFormat("%3d%%", static_cast<int>(fraction * 100)), "  ",
                      Counts(p), "  elapsed ", FormatDurationShort(p.elapsed), "  ETA ",
                      p.eta ? FormatDurationShort(*p.eta) : "-", "  best ", Best(p), "  hv ",
                      absl::StrFormat("%.4f", p.hypervolume), "  front ", p.front_size,
                      "  failed ", p.failed, "  ", p.state);
}

std::string FormatProgressPlain(const WatchProgress& p) {
  return absl::StrCat("job ", p.job_id, " ", p.state, ": ", Counts(p), " evaluated, ", p.failed,
                      " failed, front ", p.front_size, ", hv ",
                      absl::StrFormat("%.4f", p.hypervolume), ", best ", Best(p), ", elapsed ",
                      FormatDurationShort(p.elapsed),
                      p.eta ? absl::StrCat(", ETA ", FormatDurationShort(*p.eta)) : "");
}

void WatchDisplay::OnEvent(const v1::JobEvent& event, absl::Time now) {
  if (event.type() == v1::EVENT_CANDIDATE_DONE) {
    for (const v1::Metric& m : event.candidate().metrics()) {
      if (m.name() == kMetricAccuracy && (!best_accuracy_ || m.value() > *best_accuracy_)) {
        best_accuracy_ = m.value();
      }
    }
  }
  if (event.has_job()) {
    Show(event.job(), event.unix_ms() > 0 ? absl::FromUnixMillis(event.unix_ms()) : now);
  }
}

void WatchDisplay::Learn(const v1::Job& job) {
  if (job.spec().budget().max_evaluations() > 0) budget_ = job.spec().budget().max_evaluations();
}

void WatchDisplay::Show(const v1::Job& job, absl::Time now) {
  Learn(job);  // event snapshots may leave the spec out: keep the budget once seen
  WatchProgress p = ComputeProgress(job, now, best_accuracy_);
  if (p.budget == 0 && budget_ > 0) {
    v1::Job with_budget = job;
    with_budget.mutable_spec()->mutable_budget()->set_max_evaluations(budget_);
    p = ComputeProgress(with_budget, now, best_accuracy_);
  }
  if (is_tty_) {
    // \r back to the start, \x1b[K clears what a longer line left behind.
    out_ << "\r" << FormatProgressBar(p) << "\x1b[K" << std::flush;
    line_open_ = true;
    return;
  }
  // One line per change of what matters; elapsed time alone is no change.
  const std::string key = absl::StrCat(p.state, "|", p.finished, "|", p.failed, "|",
                                       p.front_size, "|", p.hypervolume, "|", Best(p));
  if (key == last_key_) return;
  last_key_ = key;
  out_ << FormatProgressPlain(p) << "\n" << std::flush;
}

void WatchDisplay::Finish() {
  if (line_open_) out_ << "\n" << std::flush;
  line_open_ = false;
}

}  // namespace edgenas
