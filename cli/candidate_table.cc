// The candidates table, CSV and JSON. Column groups are computed once from
// all candidates so that every row has the same columns.
#include "cli/candidate_table.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cli/csv_text.h"
#include "cli/front_format.h"
#include "common/metric_names.h"
#include "google/protobuf/util/json_util.h"

namespace edgenas {
namespace {

// The metric key: its name, qualified by its device class when it has one.
std::string MetricKey(const v1::Metric& m) {
  return m.device_class().empty() ? m.name() : absl::StrCat(m.name(), "@", m.device_class());
}

// Known metrics come first in this order, then others by name.
int NameRank(const std::string& name) {
  static const std::vector<std::string>* order = new std::vector<std::string>{
      kMetricAccuracy, kMetricLatencyMs, kMetricLatencyP90Ms, kMetricLatencyCv,
      kMetricLatencyRuns, kMetricEnergyMj, kMetricParams, kMetricFlops, kMetricTrainSeconds};
  auto it = std::find(order->begin(), order->end(), name);
  return static_cast<int>(it - order->begin());
}

// One group of columns: the value of one metric key, either the one the
// search ranked by (fidelity unset) or the one at a given fidelity.
struct ValueGroup {
  std::string key;
  std::string name;
  std::optional<int> fidelity;
  bool has_std_error = false;
  bool has_ci = false;

  std::string Header() const {
    return fidelity ? absl::StrCat(key, "#", *fidelity) : key;
  }
  // This group's value of `c`: at `fidelity`, the first stored; else the
  // search's (highest fidelity >= 0, the first stored among equals), or,
  // without one, the first finalist value.
  const v1::Metric* Find(const v1::Candidate& c) const {
    const v1::Metric* best = nullptr;
    for (const v1::Metric& m : c.metrics()) {
      if (MetricKey(m) != key) continue;
      if (fidelity) {
        if (m.fidelity() == *fidelity) return &m;
        continue;
      }
      if (best == nullptr || (best->fidelity() < 0 && m.fidelity() >= 0) ||
          (m.fidelity() >= 0 && m.fidelity() > best->fidelity())) {
        best = &m;
      }
    }
    return best;
  }
};

// Ascending fidelities with -1 (after the search) last.
bool FidelityBefore(int a, int b) {
  if ((a < 0) != (b < 0)) return b < 0;
  return a < b;
}

std::vector<ValueGroup> ValueGroups(const std::vector<v1::Candidate>& candidates) {
  struct KeyInfo {
    std::string name;
    std::string device_class;
    std::set<int> fidelities;
  };
  std::map<std::string, KeyInfo> keys;
  for (const v1::Candidate& c : candidates) {
    for (const v1::Metric& m : c.metrics()) {
      KeyInfo& info = keys[MetricKey(m)];
      info.name = m.name();
      info.device_class = m.device_class();
      info.fidelities.insert(m.fidelity());
    }
  }
  std::vector<std::string> order;
  for (const auto& [key, info] : keys) order.push_back(key);
  std::stable_sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    const KeyInfo& ia = keys[a];
    const KeyInfo& ib = keys[b];
    const int ra = NameRank(ia.name), rb = NameRank(ib.name);
    if (ra != rb) return ra < rb;
    if (ia.name != ib.name) return ia.name < ib.name;
    return ia.device_class < ib.device_class;
  });
  std::vector<ValueGroup> groups;
  for (const std::string& key : order) {
    const KeyInfo& info = keys[key];
    groups.push_back({key, info.name, std::nullopt});
    if (info.fidelities.size() < 2) continue;
    std::vector<int> fidelities(info.fidelities.begin(), info.fidelities.end());
    std::sort(fidelities.begin(), fidelities.end(), FidelityBefore);
    for (int f : fidelities) groups.push_back({key, info.name, f});
  }
  for (ValueGroup& group : groups) {
    for (const v1::Candidate& c : candidates) {
      if (const v1::Metric* m = group.Find(c)) {
        group.has_std_error = group.has_std_error || m->std_error() != 0;
        group.has_ci = group.has_ci || m->ci_low() != 0 || m->ci_high() != 0;
      }
    }
  }
  return groups;
}

// An aligned table; columns in `left` are left-aligned, the last unpadded.
std::string AlignRows(const std::vector<std::vector<std::string>>& rows,
                      const std::set<size_t>& left) {
  std::vector<size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      const std::string pad(widths[i] - row[i].size(), ' ');
      absl::StrAppend(&out, left.count(i) ? "" : pad, row[i], left.count(i) ? pad : "", "  ");
    }
    absl::StrAppend(&out, row.back(), "\n");
  }
  return out;
}

}  // namespace

std::string CandidateStateName(v1::CandidateState state) {
  switch (state) {
    case v1::CANDIDATE_PENDING:
      return "pending";
    case v1::CANDIDATE_DONE:
      return "done";
    case v1::CANDIDATE_FAILED:
      return "failed";
    case v1::CANDIDATE_INFEASIBLE:
      return "infeasible";
    case v1::CANDIDATE_SCREENED:
      return "screened";
    default:
      return "unknown";
  }
}

absl::StatusOr<std::vector<v1::CandidateState>> ParseCandidateStates(const std::string& text) {
  static const std::vector<v1::CandidateState>* known = new std::vector<v1::CandidateState>{
      v1::CANDIDATE_PENDING, v1::CANDIDATE_DONE, v1::CANDIDATE_FAILED, v1::CANDIDATE_INFEASIBLE,
      v1::CANDIDATE_SCREENED};
  std::vector<v1::CandidateState> states;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    const std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(part));
    auto it = std::find_if(known->begin(), known->end(), [&](v1::CandidateState s) {
      return CandidateStateName(s) == name;
    });
    if (it == known->end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--state: unknown candidate state \"", name.substr(0, 40),
          "\"; known: pending, done, failed, infeasible, screened (comma-separated)"));
    }
    if (std::find(states.begin(), states.end(), *it) == states.end()) states.push_back(*it);
  }
  return states;
}

std::vector<std::string> CandidateCsvHeader(const std::vector<v1::Candidate>& candidates) {
  std::vector<std::string> header = {"id", "sequence", "state", "arch"};
  for (const ValueGroup& group : ValueGroups(candidates)) {
    const std::string h = group.Header();
    header.push_back(h);
    header.push_back(h + ".source");
    if (!group.fidelity) header.push_back(h + ".fidelity");
    header.push_back(h + ".unstable");
    if (group.has_std_error) header.push_back(h + ".std_error");
    if (group.has_ci) {
      header.push_back(h + ".ci_low");
      header.push_back(h + ".ci_high");
    }
  }
  for (const char* tail : {"created_unix_ms", "finished_unix_ms", "failure_reason", "notes"}) {
    header.push_back(tail);
  }
  return header;
}

std::string FormatCandidatesCsv(const std::vector<v1::Candidate>& candidates) {
  const std::vector<ValueGroup> groups = ValueGroups(candidates);
  std::vector<std::string> header = CandidateCsvHeader(candidates);
  for (std::string& h : header) h = CsvField(h);
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\r\n");
  for (const v1::Candidate& c : candidates) {
    std::vector<std::string> row = {CsvField(c.id()), absl::StrCat(c.sequence()),
                                    CandidateStateName(c.state()), CsvField(c.arch())};
    for (const ValueGroup& group : groups) {
      const v1::Metric* m = group.Find(c);
      row.push_back(m ? RawNumber(m->value()) : "");
      row.push_back(m ? CsvField(m->source()) : "");
      if (!group.fidelity) row.push_back(m ? absl::StrCat(m->fidelity()) : "");
      row.push_back(m ? (m->unstable() ? "true" : "false") : "");
      if (group.has_std_error) {
        row.push_back(m && m->std_error() != 0 ? RawNumber(m->std_error()) : "");
      }
      if (group.has_ci) {
        const bool ci = m && (m->ci_low() != 0 || m->ci_high() != 0);
        row.push_back(ci ? RawNumber(m->ci_low()) : "");
        row.push_back(ci ? RawNumber(m->ci_high()) : "");
      }
    }
    row.push_back(absl::StrCat(c.created_unix_ms()));
    row.push_back(c.finished_unix_ms() > 0 ? absl::StrCat(c.finished_unix_ms()) : "");
    row.push_back(CsvField(c.failure_reason()));
    row.push_back(CsvField(absl::StrJoin(c.notes(), " | ")));
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\r\n");
  }
  return out;
}

std::string FormatCandidatesTable(const std::vector<v1::Candidate>& candidates) {
  if (candidates.empty()) return "(no candidates)\n";
  const std::vector<ValueGroup> groups = ValueGroups(candidates);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"seq", "state"};
  for (const ValueGroup& group : groups) header.push_back(group.Header());
  header.push_back("arch");
  rows.push_back(std::move(header));
  bool any_unstable = false;
  std::string reasons;
  for (const v1::Candidate& c : candidates) {
    std::vector<std::string> row = {absl::StrCat(c.sequence()), CandidateStateName(c.state())};
    for (const ValueGroup& group : groups) {
      const v1::Metric* m = group.Find(c);
      row.push_back(m == nullptr ? "-"
                                 : absl::StrCat(FormatMetricValue(group.name, m->value()),
                                                m->unstable() ? "~" : ""));
      any_unstable = any_unstable || (m != nullptr && m->unstable());
    }
    row.push_back(c.arch().empty() ? "-" : c.arch());
    rows.push_back(std::move(row));
    if (!c.failure_reason().empty()) {
      absl::StrAppend(&reasons, "#", c.sequence(), " ", CandidateStateName(c.state()), ": ",
                      c.failure_reason(), "\n");
    }
  }
  std::string out = AlignRows(rows, /*left=*/{1});
  absl::StrAppend(&out, reasons);
  if (any_unstable) {
    absl::StrAppend(&out,
                    "note: ~ marks an unstable measurement: its 95% confidence interval stayed "
                    "wider than latency.target_ci_rel even after a re-measurement\n");
  }
  absl::StrAppend(&out, candidates.size(), candidates.size() == 1 ? " candidate" : " candidates",
                  "; sources, fidelities, notes and times: --csv or --json\n");
  return out;
}

absl::StatusOr<std::string> FormatCandidatesJson(const std::vector<v1::Candidate>& candidates) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out = "[";
  for (size_t i = 0; i < candidates.size(); ++i) {
    std::string json;
    const auto status = google::protobuf::util::MessageToJsonString(candidates[i], &json, options);
    if (!status.ok()) {
      return absl::InternalError(absl::StrCat("candidate ", candidates[i].id(),
                                              " to JSON: ", status.ToString()));
    }
    absl::StrAppend(&out, i == 0 ? "\n" : ",\n", json);
  }
  absl::StrAppend(&out, candidates.empty() ? "]\n" : "\n]\n");
  return out;
}

}  // namespace edgenas
