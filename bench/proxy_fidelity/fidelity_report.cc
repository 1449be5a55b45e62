#include "bench/proxy_fidelity/fidelity_report.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "bench/proxy_fidelity/rank_correlation.h"

namespace edgenas {
namespace {

const Measurement& Of(const ArchResult& r, const std::string& mode) {
  return mode == kModeFlash ? r.flash : r.supernet;
}

std::string JsonNumber(double v) { return std::isfinite(v) ? absl::StrFormat("%.6g", v) : "null"; }

std::string Fixed(double v, int digits) {
  return std::isfinite(v) ? absl::StrFormat("%.*f", digits, v) : std::string("n/a");
}

std::string CsvCells(const Measurement& m) {
  if (!m.present) return ",,,";
  return absl::StrFormat("%.4f,%.4f,%.3f,%.3f", m.accuracy, m.std_error, m.cost_seconds,
                         m.wall_seconds);
}

// `text` as one CSV field: quoted (quotes doubled) when it holds a comma,
// quote or line break.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

}  // namespace

absl::StatusOr<ModeSummary> SummarizeMode(const std::string& mode,
                                          const std::vector<ArchResult>& results,
                                          const OneOffCost& one_off) {
  if (mode != kModeFlash && mode != kModeSupernet) {
    return absl::InvalidArgumentError(absl::StrCat("unknown proxy mode \"", mode, "\""));
  }
  std::vector<double> full, proxy;
  ModeSummary s;
  s.mode = mode;
  for (const ArchResult& r : results) {
    const Measurement& m = Of(r, mode);
    if (!r.full.present || !m.present) continue;
    full.push_back(r.full.accuracy);
    proxy.push_back(m.accuracy);
    s.seconds_per_candidate += m.cost_seconds;
    s.wall_seconds_per_candidate += m.wall_seconds;
    s.full_seconds_per_candidate += r.full.cost_seconds;
    s.steps = m.steps;
  }
  if (full.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        mode, ": needs at least 2 architectures with full training and the proxy, got ",
        full.size()));
  }
  absl::StatusOr<double> tau = KendallTauB(proxy, full);
  if (!tau.ok()) return tau.status();
  absl::StatusOr<double> rho = SpearmanRho(proxy, full);
  if (!rho.ok()) return rho.status();
  const double n = static_cast<double>(full.size());
  s.archs = static_cast<int>(full.size());
  s.kendall_tau = *tau;
  s.spearman_rho = *rho;
  s.seconds_per_candidate /= n;
  s.wall_seconds_per_candidate /= n;
  s.full_seconds_per_candidate /= n;
  if (one_off.present) {
    s.one_off_seconds = one_off.cost_seconds + one_off.extra_seconds;
    s.one_off_steps = one_off.steps;
  }
  s.amortized_seconds_per_candidate = s.seconds_per_candidate + s.one_off_seconds / n;
  return s;
}

std::string FormatSummaryTable(const std::vector<ModeSummary>& summaries, const RunInfo& info) {
  std::string out = absl::StrFormat(
      "proxy fidelity: %d %s architectures (seed %llu; options %s), Fashion-MNIST, accuracy on "
      "the last %d training images; device %s, %d threads\n"
      "reference = full training, %d steps of batch %d; flash_distill = %d steps per candidate "
      "from a %d-step teacher%s; supernet = inherited weights from a %d-step supernet\n"
      "seconds are the worker's cost_seconds (mean per candidate); amortised adds the one-off "
      "teacher/supernet training divided by the candidates\n",
      info.archs, info.space, static_cast<unsigned long long>(info.seed),
      info.space_options.empty() ? "default" : info.space_options,
      info.validation_examples, info.device, info.threads, info.full_steps, info.batch_size,
      info.flash_steps, info.teacher_steps,
      info.feature_weight > 0.0
          ? absl::StrFormat(", activation transfer weight %g", info.feature_weight)
          : std::string(),
      info.supernet_steps);
  absl::StrAppendFormat(&out, "%-14s %5s %12s %13s %11s %12s %15s %11s %12s %15s\n", "proxy",
                        "archs", "kendall_tau", "spearman_rho", "proxy s/c", "one-off s",
                        "amortised s/c", "full s/c", "ratio own", "ratio amortised");
  for (const ModeSummary& s : summaries) {
    const double full = s.full_seconds_per_candidate;
    absl::StrAppendFormat(&out, "%-14s %5d %12s %13s %11.2f %12.1f %15.2f %11.2f %12s %15s\n",
                          s.mode, s.archs, Fixed(s.kendall_tau, 3), Fixed(s.spearman_rho, 3),
                          s.seconds_per_candidate, s.one_off_seconds,
                          s.amortized_seconds_per_candidate, full,
                          full > 0 ? Fixed(s.seconds_per_candidate / full, 3) : "n/a",
                          full > 0 ? Fixed(s.amortized_seconds_per_candidate / full, 3) : "n/a");
  }
  out += "(s/c = seconds per candidate; ratio = proxy seconds / full-training seconds per "
         "candidate; tau and rho of proxy accuracy against full-training accuracy)\n";
  return out;
}

std::string SummaryJson(const std::vector<ModeSummary>& summaries, const RunInfo& info) {
  std::vector<std::string> objects;
  for (const ModeSummary& s : summaries) {
    objects.push_back(absl::StrCat(
        "{\"mode\": \"", s.mode, "\", \"kendall_tau\": ", JsonNumber(s.kendall_tau),
        ", \"spearman_rho\": ", JsonNumber(s.spearman_rho),
        ", \"seconds_per_candidate\": ", JsonNumber(s.seconds_per_candidate),
        ", \"full_seconds_per_candidate\": ", JsonNumber(s.full_seconds_per_candidate),
        ", \"amortized_seconds_per_candidate\": ", JsonNumber(s.amortized_seconds_per_candidate),
        ", \"archs\": ", s.archs, ", \"seed\": ", info.seed, ", \"full_steps\": ", info.full_steps,
        ", \"steps\": ", s.steps, ", \"one_off_seconds\": ", JsonNumber(s.one_off_seconds),
        ", \"one_off_steps\": ", s.one_off_steps,
        ", \"wall_seconds_per_candidate\": ", JsonNumber(s.wall_seconds_per_candidate),
        ", \"space\": \"", info.space, "\", \"space_options\": \"", info.space_options,
        "\", \"channels\": ", info.channels, ", \"batch_size\": ", info.batch_size,
        ", \"validation_examples\": ", info.validation_examples, ", \"device\": \"", info.device,
        "\", \"threads\": ", info.threads, "}"));
  }
  return absl::StrCat("[\n  ", absl::StrJoin(objects, ",\n  "), "\n]\n");
}

std::string ResultsCsv(const std::vector<ArchResult>& results) {
  std::string out =
      "arch,full_accuracy,full_std_error,full_cost_seconds,full_wall_seconds,"
      "flash_accuracy,flash_std_error,flash_cost_seconds,flash_wall_seconds,"
      "supernet_accuracy,supernet_std_error,supernet_cost_seconds,supernet_wall_seconds\n";
  for (const ArchResult& r : results) {
    absl::StrAppend(&out, CsvField(r.arch), ",", CsvCells(r.full), ",", CsvCells(r.flash), ",",
                    CsvCells(r.supernet), "\n");
  }
  return out;
}

}  // namespace edgenas
