#include "device_agent/energy/energy_flags.h"

#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

ABSL_FLAG(std::string, energy_meter, "auto",
          "Energy meter: auto (the first that works of rapl, ina3221, tegrastats, pi5_pmic), "
          "none, rapl (Linux powercap), ina3221 (Jetson rails in sysfs), tegrastats (Jetson), "
          "pi5_pmic (Raspberry Pi 5, vcgencmd pmic_read_adc) or command (--energy_command)");
ABSL_FLAG(std::string, energy_rails, "",
          "Comma-separated rails to sum (ina3221, tegrastats, pi5_pmic); empty: the total "
          "input rail (VDD_IN / POM_5V_IN) when present, else every connected rail");
ABSL_FLAG(int, energy_sample_ms, 0,
          "Power sampling period in ms for power meters (0: 10 for ina3221, 100 for "
          "tegrastats, pi5_pmic and a power command)");
ABSL_FLAG(std::string, energy_hwmon_root, "/sys/class/hwmon",
          "ina3221: hwmon root searched for devices named ina3221");
ABSL_FLAG(std::string, energy_ina3221_iio_root, "/sys/bus/i2c/drivers/ina3221x",
          "ina3221: root of the older L4T ina3221x iio layout");
ABSL_FLAG(std::string, energy_tegrastats, "/usr/bin/tegrastats", "tegrastats: the binary");
ABSL_FLAG(std::string, energy_vcgencmd, "/usr/bin/vcgencmd", "pi5_pmic: the vcgencmd binary");
ABSL_FLAG(std::string, energy_command, "",
          "command: shell command (/bin/sh -c) printing the meter's reading");
ABSL_FLAG(std::string, energy_command_reports, "energy",
          "command: what it prints: energy (a cumulative counter) or power (instantaneous, "
          "sampled every --energy_sample_ms and integrated)");
ABSL_FLAG(std::string, energy_command_unit, "",
          "command: unit of the number: uJ, mJ, J, Wh, kWh (energy) or uW, mW, W (power)");
ABSL_FLAG(std::string, energy_command_pattern, "",
          "command: ECMAScript regex whose first group is the number (empty: the first number)");

namespace edgenas {

absl::StatusOr<EnergyMeterConfig> EnergyMeterConfigFromFlags(const std::string& powercap_root) {
  EnergyMeterConfig c;
  c.kind = absl::GetFlag(FLAGS_energy_meter);
  c.powercap_root = powercap_root;
  c.hwmon_root = absl::GetFlag(FLAGS_energy_hwmon_root);
  c.ina3221_iio_root = absl::GetFlag(FLAGS_energy_ina3221_iio_root);
  c.tegrastats_path = absl::GetFlag(FLAGS_energy_tegrastats);
  c.vcgencmd_path = absl::GetFlag(FLAGS_energy_vcgencmd);
  c.command = absl::GetFlag(FLAGS_energy_command);
  c.command_reports = absl::GetFlag(FLAGS_energy_command_reports);
  c.command_unit = absl::GetFlag(FLAGS_energy_command_unit);
  c.command_pattern = absl::GetFlag(FLAGS_energy_command_pattern);
  const std::string rails = absl::GetFlag(FLAGS_energy_rails);
  if (!rails.empty()) {
    c.rails = absl::StrSplit(rails, ',');
    for (std::string& r : c.rails) r = std::string(absl::StripAsciiWhitespace(r));
  }
  c.sample_ms = absl::GetFlag(FLAGS_energy_sample_ms);
  if (absl::Status s = ValidateEnergyMeterConfig(c); !s.ok()) return s;
  return c;
}

}  // namespace edgenas
