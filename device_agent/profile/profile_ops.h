// Per-operator latency profiling on this machine (LibTorch CPU): every
// operator shape a space's networks use (common/latency_ops.h) is built as
// the network builds it (by the space's operator profiler,
// common/model/space_networks.h) and timed in isolation with MeasureLatency,
// in eval mode without grad. The per-forward overhead (the network's module
// dispatch that no single operator sees) is measured too: the network of the
// space's calibration architecture (only the parts every network has, e.g. a
// cell space's cells all "none") is timed whole and its parts alone, back to
// back, three times; the overhead is the median difference — no evaluation
// architecture is involved.
// No protobuf here (profile_table.h turns the result into a LatencyTable).
#ifndef EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_OPS_H_
#define EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_OPS_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/latency_ops.h"
#include "common/space_registry.h"
#include "device_agent/latency.h"

namespace edgenas {

class SpeedReference;

struct ProfileSettings {
  LatencyOptions latency;  // how each operator (and the calibration network) is timed
  int threads = 1;         // intra-op threads (torch::set_num_threads, process-wide)
  int batch_size = 1;
  InputShape input = DefaultInputShape();  // the shape networks are built for
  // Told each operator as it is measured ("3/22 nor_conv_3x3 ..."); optional.
  std::function<void(const std::string&)> progress;
  // Optional (speed_reference.h, not owned): every operator and network is
  // timed with the reference kernel between its blocks and scaled to the
  // kernel's calibrated speed, as latency tasks of a --speed_reference
  // agent are; ProfileResult::notes says so.
  SpeedReference* speed_reference = nullptr;
};

struct MeasuredOp {
  OpShape shape;
  LatencyStats stats;
};

struct ProfileResult {
  std::vector<MeasuredOp> ops;  // one per RequiredOpShapes entry, in its order
  double overhead_ms = 0;       // >= 0 (a negative difference is clamped, see note)
  LatencyStats calibration;     // the calibration network's fastest round
  std::string calibration_arch;
  std::vector<std::string> notes;  // how the overhead was obtained, clamping
};

// Profiles `space` on this machine. INVALID_ARGUMENT for a space without a
// latency model or bad options/settings, CANCELLED when *cancel becomes true,
// INTERNAL when LibTorch fails (never throws).
absl::StatusOr<ProfileResult> ProfileSpace(const SpaceConfig& space,
                                           const ProfileSettings& settings,
                                           const std::atomic<bool>* cancel = nullptr);

// Times the whole network of `arch_text` in `space` as a latency task does
// (BuildModel, eval, no grad), with an input of the network's own shape
// (NetworkInputShape: the dataset's, or the resolution an architecture
// chooses), as its operators are profiled. Errors as ProfileSpace, plus
// INVALID_ARGUMENT for an architecture that does not parse.
absl::StatusOr<LatencyStats> MeasureNetworkLatency(const SpaceConfig& space,
                                                   const std::string& arch_text,
                                                   const ProfileSettings& settings,
                                                   const std::atomic<bool>* cancel = nullptr);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_PROFILE_PROFILE_OPS_H_
