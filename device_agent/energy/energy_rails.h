// Rail selection for meters that report several power rails (Jetson INA3221
// channels, tegrastats, the Raspberry Pi 5 PMIC): which rails' power to sum.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_RAILS_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_RAILS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgenas {

// One rail's instantaneous power.
struct RailPower {
  std::string name;  // e.g. "VDD_IN", "VDD_CORE"
  double microwatts = 0;
};

// Rails that carry a whole Jetson module's input power (Orin / Xavier NX:
// VDD_IN; Nano / TX1: POM_5V_IN). Their sub-rails are already inside them.
const std::vector<std::string>& TotalRailNames();

// Picks the rails to sum from the names a meter offers. `requested` empty:
// the first total rail present (TotalRailNames), else every rail except
// unconnected ones (named "NC"); requested names must all be present
// (INVALID_ARGUMENT naming the missing rail and listing those offered).
// Returns indices into `available`, in the order requested.
absl::StatusOr<std::vector<size_t>> SelectRails(const std::vector<std::string>& available,
                                               const std::vector<std::string>& requested);

// "VDD_IN" or "VDD_CPU+VDD_GPU+..." for meter names (at most 4 names shown).
std::string DescribeRails(const std::vector<std::string>& names);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_RAILS_H_
