// Latency prediction from a per-operator latency table (v1::LatencyTable,
// made by `edgenas-agent profile`): a candidate's latency is the sum of the
// table's latencies of the operators its network runs (common/latency_ops.h:
// every live edge's op, node sums, the stem, reductions and head) plus the
// table's per-forward overhead. "none" ops are not built and cost 0.
// Pure functions of their inputs; also the validation the coordinator
// applies to a table before storing it.
#ifndef EDGENAS_COMMON_LATENCY_PREDICTOR_H_
#define EDGENAS_COMMON_LATENCY_PREDICTOR_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/latency_ops.h"
#include "common/search_space.h"
#include "common/space_registry.h"
#include "edgenas/v1/common.pb.h"

namespace edgenas {

// Bounds on what a table may hold.
inline constexpr int kMaxLatencyTableEntries = 4096;
inline constexpr int kMaxTableChannels = 65536;
inline constexpr int kMaxTableResolution = 8192;
inline constexpr double kMaxTableLatencyMs = 3.6e6;  // an hour

struct LatencyPrediction {
  double latency_ms = 0;   // ops_ms + overhead_ms
  double ops_ms = 0;       // sum over the network's operators (fixed parts included)
  double overhead_ms = 0;  // the table's per-forward overhead
  int ops = 0;             // operator executions summed
};

// Checks a table as received from an agent: known space and op names
// (LatencyTableOps), a valid device class, 1..kMaxLatencyTableEntries
// entries, each with channels in [1, 65536], resolution in [1, 8192],
// stride 1 or 2, a finite latency in (0, 1 hour], a confidence interval
// (when given) around it, no duplicate shapes; batch_size and threads >= 1;
// overhead_ms finite and >= 0. INVALID_ARGUMENT naming the field, e.g.
// "table.entries[3].latency_ms: must be finite and > 0, got nan".
absl::Status ValidateLatencyTable(const v1::LatencyTable& table);

// The table's entries by shape (the last of duplicates wins; validated
// tables have none).
std::map<OpShape, double> LatencyTableIndex(const v1::LatencyTable& table);

// FAILED_PRECONDITION naming the first operator shape the networks of
// `space` need that the table lacks ("latency table of <space> on cpu has no
// entry for nor_conv_3x3 16->16 ch at 28x28 stride 1"), OK when it covers
// them all; INVALID_ARGUMENT for a space without a latency model.
absl::Status CheckLatencyTableCovers(const v1::LatencyTable& table, const SpaceConfig& space,
                                     const InputShape& input = DefaultInputShape());

// Predicts the latency of `arch` in `space` from `table`. FAILED_PRECONDITION
// naming the missing operator shape when the table lacks one;
// INVALID_ARGUMENT for a bad architecture or space options.
absl::StatusOr<LatencyPrediction> PredictLatency(const v1::LatencyTable& table,
                                                 const SpaceConfig& space,
                                                 const Architecture& arch,
                                                 const InputShape& input = DefaultInputShape());

// Same, with an index made once by LatencyTableIndex (for many predictions).
absl::StatusOr<LatencyPrediction> PredictLatency(const std::map<OpShape, double>& index,
                                                 double overhead_ms, const std::string& what,
                                                 const SpaceConfig& space,
                                                 const Architecture& arch,
                                                 const InputShape& input = DefaultInputShape());

// "<space> on cpu" (what a table is of), for messages.
std::string DescribeLatencyTable(const v1::LatencyTable& table);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_LATENCY_PREDICTOR_H_
