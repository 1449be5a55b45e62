// The agent's energy-meter flags (--energy_meter and each meter's settings)
// and their translation into an EnergyMeterConfig, read by the LibTorch
// runner's factory (runners/torch_runner.h) when the agent builds it.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_FLAGS_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "device_agent/energy/energy_meter_registry.h"

namespace edgenas {

// The config the --energy_* flags describe, with `powercap_root` (the
// agent's --powercap_root). INVALID_ARGUMENT naming the flag for bad values.
absl::StatusOr<EnergyMeterConfig> EnergyMeterConfigFromFlags(const std::string& powercap_root);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_FLAGS_H_
