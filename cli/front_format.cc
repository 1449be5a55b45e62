// Pareto front and progress renderings. Numbers are formatted per metric so
// that a table reads at a glance; CSV and JSON keep the raw values.
#include "cli/front_format.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cli/csv_text.h"
#include "common/metric_names.h"
#include "google/protobuf/util/json_util.h"

namespace edgenas {
namespace {

// One metric column of the table; `device_class` narrows device metrics and
// `source_kind`, when set, takes only values from that kind of source.
struct MetricColumn {
  std::string header;
  std::string metric;
  std::string device_class;
  std::string source_kind;
};

// The value of `metric` on `device_class` (from `source_kind` when set); an
// exact device match wins, and an empty device class on either side matches
// any. Without a kind, the value the search used: the highest rung's
// (Metric.fidelity), never a finalist's (-1), the first stored among equals.
const v1::Metric* FindMetricEntry(const v1::Candidate& candidate, const std::string& metric,
                                  const std::string& device_class,
                                  const std::string& source_kind = "") {
  const v1::Metric* exact = nullptr;
  const v1::Metric* loose = nullptr;
  // test_accuracy exists only after the search (fidelity -1): any value.
  const bool any_fidelity = !source_kind.empty() || metric == kMetricTestAccuracy;
  auto better = [any_fidelity](const v1::Metric* best, const v1::Metric& m) {
    if (any_fidelity) return best == nullptr;
    return m.fidelity() >= 0 && (best == nullptr || m.fidelity() > best->fidelity());
  };
  for (const v1::Metric& value : candidate.metrics()) {
    if (value.name() != metric) continue;
    if (!source_kind.empty() && SourceKind(value.source()) != source_kind) continue;
    if (value.device_class() == device_class) {
      if (better(exact, value)) exact = &value;
    } else if ((device_class.empty() || value.device_class().empty()) && better(loose, value)) {
      loose = &value;
    }
  }
  return exact != nullptr ? exact : loose;
}

std::optional<double> FindMetric(const v1::Candidate& candidate, const std::string& metric,
                                 const std::string& device_class,
                                 const std::string& source_kind = "") {
  const v1::Metric* m = FindMetricEntry(candidate, metric, device_class, source_kind);
  if (m == nullptr) return std::nullopt;
  return m->value();
}

std::vector<MetricColumn> MetricColumns(const v1::ParetoFront& front,
                                        const FrontFormatOptions& options) {
  std::vector<MetricColumn> columns;
  bool has_params = false;
  for (const v1::Objective& objective : front.objectives()) {
    const int same_metric = static_cast<int>(
        std::count_if(front.objectives().begin(), front.objectives().end(),
                      [&](const v1::Objective& o) { return o.metric() == objective.metric(); }));
    std::string header = objective.metric();
    if (same_metric > 1 && !objective.device_class().empty()) {
      absl::StrAppend(&header, "@", objective.device_class());
    }
    has_params = has_params || objective.metric() == kMetricParams;
    std::vector<std::string> kinds;
    if (options.source == "all") {
      for (const v1::Candidate& c : front.candidates()) {
        for (const v1::Metric& m : c.metrics()) {
          const std::string kind = SourceKind(m.source());
          if (m.name() == objective.metric() &&
              std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
            kinds.push_back(kind);
          }
        }
      }
    } else if (!options.source.empty()) {
      kinds.push_back(options.source);
    }
    if (kinds.size() <= 1 && options.source == "all") kinds.clear();
    if (kinds.empty()) {
      columns.push_back({header, objective.metric(), objective.device_class(), ""});
      continue;
    }
    for (const std::string& kind : kinds) {
      columns.push_back({absl::StrCat(header, "[", kind, "]"), objective.metric(),
                         objective.device_class(), kind});
    }
  }
  // The winners' test-split accuracy, beside the search's accuracy (or
  // after the objectives), wherever a front member has one.
  bool has_test = false;
  for (const v1::Candidate& c : front.candidates()) {
    for (const v1::Metric& m : c.metrics()) has_test = has_test || m.name() == kMetricTestAccuracy;
  }
  if (has_test) {
    auto at = columns.end();
    for (auto it = columns.begin(); it != columns.end(); ++it) {
      if (it->metric == kMetricAccuracy) at = it + 1;
    }
    columns.insert(at, {kMetricTestAccuracy, kMetricTestAccuracy, "", ""});
  }
  if (!has_params) columns.push_back({kMetricParams, kMetricParams, "", ""});
  return columns;
}

// Candidate indexes ordered best-first by the first objective, missing last.
std::vector<int> RowOrder(const v1::ParetoFront& front) {
  std::vector<int> order(front.candidates_size());
  std::iota(order.begin(), order.end(), 0);
  if (front.objectives().empty()) return order;
  const v1::Objective& first = front.objectives(0);
  const bool maximize = first.direction() == v1::MAXIMIZE;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const std::optional<double> va =
        FindMetric(front.candidates(a), first.metric(), first.device_class());
    const std::optional<double> vb =
        FindMetric(front.candidates(b), first.metric(), first.device_class());
    if (!va || !vb) return va.has_value() && !vb.has_value();
    return maximize ? *va > *vb : *va < *vb;
  });
  return order;
}

std::string GroupedInteger(double value) {
  if (!std::isfinite(value) || std::fabs(value) >= 1e15) return absl::StrFormat("%g", value);
  const long long rounded = std::llround(value);
  std::string digits = std::to_string(std::llabs(rounded));
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return rounded < 0 ? absl::StrCat("-", digits) : digits;
}

std::string FormatElapsed(absl::Duration elapsed) {
  const int64_t seconds = std::max<int64_t>(0, absl::ToInt64Seconds(elapsed));
  if (seconds < 60) return absl::StrCat(seconds, "s");
  if (seconds < 3600) return absl::StrFormat("%dm%02ds", seconds / 60, seconds % 60);
  return absl::StrFormat("%dh%02dm", seconds / 3600, (seconds % 3600) / 60);
}

}  // namespace

std::string FormatMetricValue(const std::string& metric, double value) {
  if (metric == kMetricAccuracy || metric == kMetricTestAccuracy) {
    return absl::StrFormat("%.2f%%", value * 100.0);
  }
  if (metric == kMetricLatencyMs || metric == kMetricLatencyP90Ms || metric == kMetricEnergyMj ||
      metric == kMetricLatencyCv) {
    return absl::StrFormat("%.3f", value);
  }
  if (metric == kMetricParams || metric == kMetricFlops || metric == kMetricLatencyRuns) {
    return GroupedInteger(value);
  }
  if (metric == kMetricTrainSeconds) return absl::StrFormat("%.1f", value);
  return absl::StrFormat("%g", value);
}

std::string SourceKind(const std::string& source) {
  const std::vector<std::string> parts = absl::StrSplit(source, ':');
  if (parts.size() >= 2) return parts[1];
  return source;
}

std::string FormatFrontTable(const v1::ParetoFront& front, const FrontFormatOptions& options) {
  if (front.candidates().empty()) return "(the Pareto front is empty)\n";
  const std::vector<MetricColumn> columns = MetricColumns(front, options);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"#"};
  for (const MetricColumn& column : columns) header.push_back(column.header);
  header.push_back("arch");
  rows.push_back(header);
  int rank = 0;
  bool any_unstable = false;
  for (int index : RowOrder(front)) {
    const v1::Candidate& candidate = front.candidates(index);
    std::vector<std::string> row = {absl::StrCat(++rank)};
    for (const MetricColumn& column : columns) {
      const v1::Metric* value =
          FindMetricEntry(candidate, column.metric, column.device_class, column.source_kind);
      // '~' marks a value measured less precisely than the job asked for.
      row.push_back(value == nullptr ? "-"
                                     : absl::StrCat(FormatMetricValue(column.metric, value->value()),
                                                    value->unstable() ? "~" : ""));
      any_unstable = any_unstable || (value != nullptr && value->unstable());
    }
    row.push_back(candidate.arch().empty() ? "-" : candidate.arch());
    rows.push_back(std::move(row));
  }
  // Numbers right-aligned; the arch (last) column left-aligned and unpadded.
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      out.append(widths[i] - row[i].size(), ' ');
      absl::StrAppend(&out, row[i], "  ");
    }
    absl::StrAppend(&out, row.back(), "\n");
  }
  // Say what could not be measured (e.g. energy without a meter), once each.
  std::vector<std::string> unavailable;
  for (const v1::Candidate& candidate : front.candidates()) {
    for (const std::string& note : candidate.notes()) {
      if (absl::StrContains(note, "unavailable") &&
          std::find(unavailable.begin(), unavailable.end(), note) == unavailable.end()) {
        unavailable.push_back(note);
      }
    }
  }
  for (const std::string& note : unavailable) absl::StrAppend(&out, "note: ", note, "\n");
  if (any_unstable) {
    absl::StrAppend(&out,
                    "note: ~ marks an unstable measurement: its 95% confidence interval stayed "
                    "wider than latency.target_ci_rel even after a re-measurement\n");
  }
  return out;
}

std::string FormatFrontCsv(const v1::ParetoFront& front, const FrontFormatOptions& options) {
  const std::vector<MetricColumn> columns = MetricColumns(front, options);
  std::vector<std::string> header = {"rank", "candidate_id"};
  for (const MetricColumn& column : columns) header.push_back(CsvField(column.header));
  header.push_back("unstable");
  header.push_back("arch");
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\r\n");
  int rank = 0;
  for (int index : RowOrder(front)) {
    const v1::Candidate& candidate = front.candidates(index);
    std::vector<std::string> row = {absl::StrCat(++rank), CsvField(candidate.id())};
    std::vector<std::string> unstable;  // headers of the columns measured unstably
    for (const MetricColumn& column : columns) {
      const v1::Metric* value =
          FindMetricEntry(candidate, column.metric, column.device_class, column.source_kind);
      row.push_back(value != nullptr ? RawNumber(value->value()) : "");
      if (value != nullptr && value->unstable()) unstable.push_back(column.header);
    }
    row.push_back(CsvField(absl::StrJoin(unstable, ";")));
    row.push_back(CsvField(candidate.arch()));
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\r\n");
  }
  return out;
}

absl::StatusOr<std::string> FormatFrontJson(const v1::ParetoFront& front) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(front, &json, options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("front to JSON: ", status.ToString()));
  }
  return json;
}

std::string JobStateName(v1::JobState state) {
  switch (state) {
    case v1::JOB_PENDING:
      return "pending";
    case v1::JOB_PREPARING:
      return "preparing";
    case v1::JOB_FINALIZING:
      return "finalizing";
    case v1::JOB_SEARCHING:
      return "searching";
    case v1::JOB_DONE:
      return "done";
    case v1::JOB_FAILED:
      return "failed";
    case v1::JOB_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

bool IsTerminal(v1::JobState state) {
  return state == v1::JOB_DONE || state == v1::JOB_FAILED || state == v1::JOB_CANCELLED;
}

std::string FormatProgressLine(const v1::Job& job, absl::Time now) {
  // A job the coordinator could not load is neither running nor ended.
  const std::string state = job.load_failed()
                                ? absl::StrCat("not loaded (", JobStateName(job.state()), ")")
                                : JobStateName(job.state());
  std::string line = absl::StrCat("job ", job.id(), ": ", state, " | done ",
                                  job.candidates_done());
  const int budget = job.spec().budget().max_evaluations();
  if (budget > 0) absl::StrAppend(&line, "/", budget);
  absl::StrAppend(&line, " failed ", job.candidates_failed(), " pending ",
                  job.candidates_pending(), " | front ", job.front_size(), " | hv ",
                  absl::StrFormat("%.4f", job.hypervolume()));
  if (job.created_unix_ms() > 0) {
    const bool ended = IsTerminal(job.state()) && job.updated_unix_ms() > 0;
    const absl::Time end = ended ? absl::FromUnixMillis(job.updated_unix_ms()) : now;
    absl::StrAppend(&line, " | ", FormatElapsed(end - absl::FromUnixMillis(job.created_unix_ms())));
  }
  if (!job.message().empty() &&
      (job.load_failed() || (job.state() != v1::JOB_DONE && IsTerminal(job.state())))) {
    std::string message = absl::StrReplaceAll(job.message(), {{"\n", " "}, {"\r", " "}});
    if (message.size() > 160) message = absl::StrCat(message.substr(0, 157), "...");
    absl::StrAppend(&line, " | ", message);
  }
  return line;
}

void ProgressPrinter::Update(const v1::Job& job) {
  const std::string line = FormatProgressLine(job, absl::Now());
  if (line == last_line_) return;
  last_line_ = line;
  if (is_tty_) {
    out_ << "\r" << line << "\x1b[K" << std::flush;  // ESC[K clears a longer old line
    line_open_ = true;
  } else {
    out_ << line << "\n" << std::flush;
  }
}

void ProgressPrinter::Finish() {
  if (line_open_) out_ << "\n" << std::flush;
  line_open_ = false;
}

}  // namespace edgenas
