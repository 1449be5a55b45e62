#include "common/latency_predictor.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/field_error.h"
#include "common/job_spec.h"
#include "common/status_macros.h"

namespace edgenas {
namespace {

absl::Status CheckRange(const std::string& field, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi) {
    return FieldError(field, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value));
  }
  return absl::OkStatus();
}

OpShape ShapeOfEntry(const v1::LatencyTableEntry& e) {
  return OpShape{e.op(), e.in_channels(), e.out_channels(), e.resolution(), e.stride()};
}

absl::Status ValidateEntry(const v1::LatencyTableEntry& e, const std::string& field,
                           const std::vector<std::string>& ops) {
  if (std::find(ops.begin(), ops.end(), e.op()) == ops.end()) {
    return FieldError(field + ".op", absl::StrCat("unknown op \"", e.op().substr(0, 64),
                                           "\"; known: ", absl::StrJoin(ops, ", ")));
  }
  RETURN_IF_ERROR(CheckRange(field + ".in_channels", e.in_channels(), 1, kMaxTableChannels));
  RETURN_IF_ERROR(CheckRange(field + ".out_channels", e.out_channels(), 1, kMaxTableChannels));
  RETURN_IF_ERROR(CheckRange(field + ".resolution", e.resolution(), 1, kMaxTableResolution));
  if (e.stride() != 1 && e.stride() != 2) {
    return FieldError(field + ".stride", absl::StrCat("must be 1 or 2, got ", e.stride()));
  }
  const double v = e.latency_ms();
  if (!std::isfinite(v) || v <= 0.0 || v > kMaxTableLatencyMs) {
    return FieldError(field + ".latency_ms",
               absl::StrCat("must be finite and in (0, ", kMaxTableLatencyMs, "], got ", v));
  }
  const bool has_ci = e.ci_low() != 0.0 || e.ci_high() != 0.0;
  if (has_ci && !(std::isfinite(e.ci_low()) && std::isfinite(e.ci_high()) && e.ci_low() >= 0.0 &&
                  e.ci_low() <= v && v <= e.ci_high())) {
    return FieldError(field + ".ci_low",
               absl::StrCat("the interval [", e.ci_low(), ", ", e.ci_high(),
                            "] must be finite, >= 0 and contain latency_ms ", v,
                            " (both 0 = not estimated)"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string DescribeLatencyTable(const v1::LatencyTable& table) {
  return absl::StrCat(table.space().substr(0, 64), " on ", table.device_class().substr(0, 64));
}

absl::Status ValidateLatencyTable(const v1::LatencyTable& table) {
  ASSIGN_OR_RETURN(const std::vector<std::string> ops, LatencyTableOps(table.space()));
  RETURN_IF_ERROR(ValidateDeviceClass(table.device_class(), "table.device_class"));
  if (table.entries_size() < 1 || table.entries_size() > kMaxLatencyTableEntries) {
    return FieldError("table.entries", absl::StrCat("must hold 1 to ", kMaxLatencyTableEntries,
                                             " entries, got ", table.entries_size()));
  }
  RETURN_IF_ERROR(CheckRange("table.batch_size", table.batch_size(), 1, 65536));
  RETURN_IF_ERROR(CheckRange("table.threads", table.threads(), 1, 4096));
  if (!std::isfinite(table.overhead_ms()) || table.overhead_ms() < 0.0 ||
      table.overhead_ms() > kMaxTableLatencyMs) {
    return FieldError("table.overhead_ms", absl::StrCat("must be finite and in [0, ",
                                                 kMaxTableLatencyMs, "], got ",
                                                 table.overhead_ms()));
  }
  if (table.created_unix_ms() < 0) {
    return FieldError("table.created_unix_ms", absl::StrCat("must be >= 0, got ",
                                                     table.created_unix_ms()));
  }
  std::set<OpShape> seen;
  for (int i = 0; i < table.entries_size(); ++i) {
    const std::string field = absl::StrCat("table.entries[", i, "]");
    RETURN_IF_ERROR(ValidateEntry(table.entries(i), field, ops));
    const OpShape shape = ShapeOfEntry(table.entries(i));
    if (!seen.insert(shape).second) {
      return FieldError(field, absl::StrCat(shape.ToString(), " appears more than once"));
    }
  }
  return absl::OkStatus();
}

std::map<OpShape, double> LatencyTableIndex(const v1::LatencyTable& table) {
  std::map<OpShape, double> index;
  for (const v1::LatencyTableEntry& e : table.entries()) index[ShapeOfEntry(e)] = e.latency_ms();
  return index;
}

absl::Status CheckLatencyTableCovers(const v1::LatencyTable& table, const SpaceConfig& space,
                                     const InputShape& input) {
  ASSIGN_OR_RETURN(const std::vector<OpShape> needed, RequiredOpShapes(space, input));
  const std::map<OpShape, double> index = LatencyTableIndex(table);
  for (const OpShape& shape : needed) {
    if (index.count(shape) == 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("latency table of ", DescribeLatencyTable(table), " has no entry for ",
                       shape.ToString()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<LatencyPrediction> PredictLatency(const std::map<OpShape, double>& index,
                                                 double overhead_ms, const std::string& what,
                                                 const SpaceConfig& space,
                                                 const Architecture& arch,
                                                 const InputShape& input) {
  ASSIGN_OR_RETURN(const std::vector<OpShape> ops, NetworkOpShapes(space, arch, input));
  LatencyPrediction p;
  for (const OpShape& op : ops) {
    auto it = index.find(op);
    if (it == index.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("latency table of ", what, " has no entry for ", op.ToString()));
    }
    p.ops_ms += it->second;
    ++p.ops;
  }
  p.overhead_ms = overhead_ms;
  p.latency_ms = p.ops_ms + p.overhead_ms;
  return p;
}

absl::StatusOr<LatencyPrediction> PredictLatency(const v1::LatencyTable& table,
                                                 const SpaceConfig& space,
                                                 const Architecture& arch,
                                                 const InputShape& input) {
  return PredictLatency(LatencyTableIndex(table), table.overhead_ms(),
                        DescribeLatencyTable(table), space, arch, input);
}

}  // namespace edgenas
