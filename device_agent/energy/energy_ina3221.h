// Jetson INA3221 power rails read from sysfs, as a PowerSource (wrap it in a
// SampledPowerMeter for energy). Two layouts are found:
//  - hwmon (mainline driver, JetPack 5+): <hwmon_root>/hwmon*/ whose `name`
//    is "ina3221", channels 1..3 with in<i>_label, in<i>_input (bus mV),
//    curr<i>_input (mA) and, where a kernel provides it, power<i>_input (uW);
//  - iio (L4T 32 "ina3221x" driver: Nano, TX1/TX2, Xavier):
//    <iio_root>/*/iio:device*/ (or iio_device) with rail_name_<i>,
//    in_power<i>_input (mW), in_voltage<i>_input (mV), in_current<i>_input (mA).
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_INA3221_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_INA3221_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "device_agent/energy/energy_power.h"

namespace edgenas {

struct Ina3221Options {
  std::string hwmon_root = "/sys/class/hwmon";
  std::string iio_root = "/sys/bus/i2c/drivers/ina3221x";
  // Rails to sum; empty: the module's total rail, else every connected one
  // (see SelectRails).
  std::vector<std::string> rails;
};

class Ina3221PowerSource : public PowerSource {
 public:
  // One channel: power from `power_path` (times power_scale_uw), or from
  // the product of millivolts and milliamperes.
  struct Channel {
    std::string rail;
    std::string power_path;
    double power_scale_uw = 1;  // microwatts per unit of power_path
    std::string volt_path;      // mV
    std::string curr_path;      // mA
  };

  // Finds every readable channel under both roots and selects the rails.
  // UNAVAILABLE naming both roots when there is no readable channel (with
  // why channels were skipped); INVALID_ARGUMENT for a requested rail that
  // is not there.
  static absl::StatusOr<std::unique_ptr<Ina3221PowerSource>> Create(const Ina3221Options& options);

  // Every readable channel found (for tests and the startup log).
  static absl::StatusOr<std::vector<Channel>> FindChannels(const Ina3221Options& options);
  // Reads one channel's power in microwatts.
  static absl::StatusOr<double> ReadChannelMicrowatts(const Channel& channel);

  std::string Name() const override;
  absl::StatusOr<double> ReadMicrowatts() override;
  const std::vector<Channel>& channels() const { return channels_; }

 private:
  explicit Ina3221PowerSource(std::vector<Channel> channels) : channels_(std::move(channels)) {}
  std::vector<Channel> channels_;  // the selected ones
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_INA3221_H_
