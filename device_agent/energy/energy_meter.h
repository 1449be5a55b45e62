// EnergyMeter: the seam for reading a machine's cumulative energy counter,
// and its Linux powercap (Intel/AMD RAPL) implementation. When no meter is
// usable, DetectEnergyMeter says why; energy is never invented.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_METER_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_METER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace edgenas {

class EnergyMeter {
 public:
  virtual ~EnergyMeter() = default;
  // Short description, e.g. "rapl(2 packages)".
  virtual std::string Name() const = 0;
  // Cumulative energy in microjoules since the meter was created. Monotone:
  // hardware counter wrap-around is folded in, provided Read is called at
  // least once per wrap period. Thread-safe.
  virtual absl::StatusOr<uint64_t> Read() = 0;
  // Shortest window (ms) over which two Reads give an accurate difference:
  // 0 for counters read on demand (RAPL), about 20 sample periods for meters
  // that integrate sampled power, so the edge samples matter little.
  virtual int MinWindowMs() const { return 0; }
};

// Energy consumed between two raw readings of a counter that wraps to 0
// after `max_range_uj`.
uint64_t CounterDeltaUj(uint64_t previous_uj, uint64_t current_uj, uint64_t max_range_uj);

// Sums the top-level RAPL packages (`<root>/intel-rapl:N`; subzones such as
// `intel-rapl:N:M` are already included in their package and are skipped).
class RaplEnergyMeter : public EnergyMeter {
 public:
  // Finds and reads every package once. UNAVAILABLE when there is no zone,
  // PERMISSION_DENIED / NOT_FOUND / DATA_LOSS (malformed file) naming the
  // file otherwise.
  static absl::StatusOr<std::unique_ptr<RaplEnergyMeter>> Create(const std::string& powercap_root);

  std::string Name() const override;
  absl::StatusOr<uint64_t> Read() override;

 private:
  struct Zone {
    std::string energy_path;  // .../energy_uj
    uint64_t max_range_uj = 0;
    uint64_t last_raw_uj = 0;
  };
  explicit RaplEnergyMeter(std::vector<Zone> zones);

  absl::Mutex mu_;
  std::vector<Zone> zones_ ABSL_GUARDED_BY(mu_);
  uint64_t total_uj_ ABSL_GUARDED_BY(mu_) = 0;
  const size_t num_zones_;
};

// The best meter under `powercap_root`, or UNAVAILABLE whose message is the
// reason, e.g. "no powercap RAPL zones under /sys/class/powercap" or
// "permission denied reading /sys/class/powercap/intel-rapl:0/energy_uj ...".
absl::StatusOr<std::unique_ptr<EnergyMeter>> DetectEnergyMeter(const std::string& powercap_root);

// The first 255 bytes of a sysfs-style file, whitespace-stripped (names and
// labels). PERMISSION_DENIED or NOT_FOUND naming the path on failure.
absl::StatusOr<std::string> ReadSysfsText(const std::string& path);

// Reads a sysfs-style file holding one unsigned decimal integer.
// PERMISSION_DENIED, NOT_FOUND or DATA_LOSS naming the path on failure.
absl::StatusOr<uint64_t> ReadUint64File(const std::string& path);

// Reads a sysfs-style file holding one signed decimal integer (hwmon
// currents may be negative). Errors as for ReadUint64File.
absl::StatusOr<int64_t> ReadInt64File(const std::string& path);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_METER_H_
