// The agent's energy meters by name (rapl, ina3221, tegrastats, pi5_pmic,
// command), "auto" to take the first that works and "none" to measure no
// energy. Adding a meter is one factory line in energy_meter_registry.cc.
// Errors name the agent flag that holds the bad value.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_METER_REGISTRY_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_METER_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/energy/energy_power.h"

namespace edgenas {

// Every setting of every meter; each field is one agent flag (named in the
// comment), so that errors can say which flag to fix.
struct EnergyMeterConfig {
  std::string kind = "auto";                          // --energy_meter
  std::string powercap_root = "/sys/class/powercap";  // --powercap_root
  std::string hwmon_root = "/sys/class/hwmon";        // --energy_hwmon_root
  std::string ina3221_iio_root = "/sys/bus/i2c/drivers/ina3221x";  // --energy_ina3221_iio_root
  std::string tegrastats_path = "/usr/bin/tegrastats";  // --energy_tegrastats
  std::string vcgencmd_path = "/usr/bin/vcgencmd";      // --energy_vcgencmd
  std::string command;                    // --energy_command (/bin/sh -c)
  std::string command_reports = "energy";  // --energy_command_reports: energy | power
  std::string command_unit;               // --energy_command_unit
  std::string command_pattern;            // --energy_command_pattern
  std::vector<std::string> rails;         // --energy_rails (empty: the meter's default)
  int sample_ms = 0;                      // --energy_sample_ms (0: the meter's default)
  NowNsFn now_ns;                         // tests only; empty: steady clock
};

// A meter and the registry name that opened it ("rapl", "ina3221", ...).
struct OpenedEnergyMeter {
  std::string kind;
  std::unique_ptr<EnergyMeter> meter;
};

// The meter names, in the order "auto" tries them; "command" is never
// tried by auto (it needs a command).
const std::vector<std::string>& EnergyMeterKinds();

// INVALID_ARGUMENT naming the flag for a value no meter could use: an
// unknown --energy_meter, command settings without --energy_meter=command,
// a bad unit or pattern, rails for a meter without rails, a negative period.
absl::Status ValidateEnergyMeterConfig(const EnergyMeterConfig& config);

// Opens the configured meter (starting its sampler or child process; the
// meter stops them when destroyed). "none": UNAVAILABLE "energy meter
// disabled (--energy_meter=none)"; "auto": the first meter of
// EnergyMeterKinds that opens, else UNAVAILABLE listing each one's reason;
// a named meter: its error, prefixed with the flag.
absl::StatusOr<OpenedEnergyMeter> OpenEnergyMeter(const EnergyMeterConfig& config);

// The capability an agent with this meter registers: "energy:<kind>".
std::string EnergyCapability(const std::string& kind);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_METER_REGISTRY_H_
