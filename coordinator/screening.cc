#include "coordinator/screening.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/datasets.h"
#include "common/latency_predictor.h"
#include "common/metric_names.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

constexpr char kField[] = "job.latency.screen_with_table";

std::string TableLabel(const v1::LatencyTable& table) {
  std::string label = DescribeLatencyTable(table);
  std::string device = table.device().cpu_model();
  if (!table.device().runner().empty()) {
    absl::StrAppend(&device, device.empty() ? "" : ", ", table.device().runner());
  }
  const std::string date =
      table.created_unix_ms() > 0
          ? absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::FromUnixMillis(table.created_unix_ms()),
                             absl::UTCTimeZone())
          : std::string("unknown date");
  absl::StrAppend(&label, " (", device.empty() ? "" : device + ", ", "profiled ", date, ")");
  return label;
}

}  // namespace

int CandidateScreener::MaxScreened(int max_evaluations) {
  return kMaxScreenedPerEvaluation * max_evaluations + kMaxScreenedAllowance;
}

absl::StatusOr<std::unique_ptr<CandidateScreener>> CandidateScreener::Create(
    const v1::JobSpec& spec, const TableLookup& lookup) {
  if (!spec.latency().screen_with_table()) return nullptr;
  ASSIGN_OR_RETURN(const SpaceConfig space, SpaceConfigFromSpec(spec.space()));
  ASSIGN_OR_RETURN(const InputShape input, InputShapeOf(spec.dataset()));
  std::vector<Bound> bounds;
  for (const v1::Constraint& k : spec.constraints()) {
    if (k.metric() != kMetricLatencyMs || !k.has_max_value()) continue;
    absl::StatusOr<v1::LatencyTable> table = lookup(space.name, k.device_class());
    if (absl::IsNotFound(table.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          kField, ": no latency table for space ", space.name, " on device class ",
          k.device_class(), "; run `edgenas-agent profile --device_class ", k.device_class(),
          "` on such a device first (or submit without screen_with_table)"));
    }
    RETURN_IF_ERROR(table.status());
    if (absl::Status covers = CheckLatencyTableCovers(*table, space, input); !covers.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          kField, ": ", covers.message(),
          " (profile again with this job's space options)"));
    }
    if (table->threads() != spec.latency().threads() ||
        table->batch_size() != spec.latency().batch_size()) {
      return absl::FailedPreconditionError(absl::StrCat(
          kField, ": the latency table of ", DescribeLatencyTable(*table),
          " was profiled with threads ", table->threads(), " and batch_size ",
          table->batch_size(), ", the job measures with latency.threads ",
          spec.latency().threads(), " and latency.batch_size ", spec.latency().batch_size()));
    }
    Bound b;
    b.device_class = k.device_class();
    b.max_value = k.max_value();
    b.input = input;
    b.index = LatencyTableIndex(*table);
    b.overhead_ms = table->overhead_ms();
    b.table_label = TableLabel(*table);
    b.what = DescribeLatencyTable(*table);
    bounds.push_back(std::move(b));
  }
  if (bounds.empty()) return nullptr;  // normalisation refuses this; be safe
  return std::unique_ptr<CandidateScreener>(
      new CandidateScreener(space, spec.latency().screen_margin(), std::move(bounds)));
}

ScreenVerdict CandidateScreener::Screen(const Architecture& arch) const {
  ScreenVerdict verdict;
  std::string screened_note, predicted_note;
  for (const Bound& b : bounds_) {
    absl::StatusOr<LatencyPrediction> p =
        PredictLatency(b.index, b.overhead_ms, b.what, space_, arch, b.input);
    if (!p.ok()) {
      absl::StrAppend(&predicted_note, predicted_note.empty() ? "" : "; ",
                      "latency_ms on ", b.device_class, " not predicted: ", p.status().message());
      continue;
    }
    const double limit = b.max_value * (1.0 + margin_);
    if (p->latency_ms > limit && !verdict.screened) {
      verdict.screened = true;
      screened_note = absl::StrFormat(
          "screened: predicted latency_ms %.4g on %s exceeds the constraint's max_value %.4g by "
          "more than the %.3g%% margin (limit %.4g); latency table of %s; not dispatched",
          p->latency_ms, b.device_class, b.max_value, margin_ * 100.0, limit, b.table_label);
    }
    absl::StrAppend(&predicted_note, predicted_note.empty() ? "" : "; ",
                    absl::StrFormat("predicted latency_ms %.4g on %s from the latency table of %s",
                                    p->latency_ms, b.device_class, b.table_label));
  }
  verdict.note = verdict.screened ? screened_note : predicted_note;
  return verdict;
}

}  // namespace edgenas
