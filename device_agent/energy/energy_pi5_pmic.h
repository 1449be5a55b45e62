// Raspberry Pi 5 power from its PMIC's ADC, read with
// `vcgencmd pmic_read_adc`, as a PowerSource (wrap it in a
// SampledPowerMeter for energy). The firmware prints one line per reading:
//   "  VDD_CORE_A current(7)=2.12345600A"
//   "  VDD_CORE_V volt(15)=0.88000000V"
// A rail's power is its current times its voltage; rails with only a
// voltage (EXT5V_V, BATT_V) carry no power reading. The PMIC rails do not
// include the 5 V input's own consumers (USB, fan, HATs) nor the PMIC's
// conversion losses, so the sum is below wall power.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_PI5_PMIC_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_PI5_PMIC_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "device_agent/energy/energy_power.h"
#include "device_agent/energy/energy_rails.h"

namespace edgenas {

// Rails with both a current and a voltage line, in the order of their
// current lines, with power in microwatts. UNAVAILABLE when there is none
// (e.g. a Pi 4 answers "error=1 error_msg=..."), quoting the output's start.
absl::StatusOr<std::vector<RailPower>> ParsePmicReadAdc(absl::string_view output);

struct Pi5PmicOptions {
  std::string vcgencmd_path = "/usr/bin/vcgencmd";
  std::vector<std::string> rails;  // empty: every rail with a current
  absl::Duration timeout = absl::Seconds(2);  // per vcgencmd call
};

class Pi5PmicPowerSource : public PowerSource {
 public:
  // Runs vcgencmd once to learn the rails. NOT_FOUND when it cannot run,
  // UNAVAILABLE when it prints no rails, INVALID_ARGUMENT for a requested
  // rail that is not there.
  static absl::StatusOr<std::unique_ptr<Pi5PmicPowerSource>> Create(Pi5PmicOptions options);

  std::string Name() const override;
  // Runs vcgencmd and sums the chosen rails; DATA_LOSS when one is missing.
  absl::StatusOr<double> ReadMicrowatts() override;

 private:
  Pi5PmicPowerSource(Pi5PmicOptions options, std::vector<std::string> rails)
      : options_(std::move(options)), rails_(std::move(rails)) {}
  absl::StatusOr<std::vector<RailPower>> ReadRails() const;

  const Pi5PmicOptions options_;
  const std::vector<std::string> rails_;
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_PI5_PMIC_H_
