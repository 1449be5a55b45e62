// An external meter read through a configured command (run with /bin/sh -c),
// e.g. a script that queries a USB power meter or a smart plug. The command
// prints either a cumulative energy counter (read at each Read) or the
// instantaneous power (sampled and integrated by a SampledPowerMeter); a
// pattern picks the number out of its output, a unit says what it is.
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_COMMAND_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_COMMAND_H_

#include <cstdint>
#include <memory>
#include <regex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/energy/energy_power.h"

namespace edgenas {

enum class CommandReports { kEnergy, kPower };

struct CommandMeterOptions {
  std::string command;  // run with /bin/sh -c
  CommandReports reports = CommandReports::kEnergy;
  // Energy: uJ, mJ, J, Wh, kWh; power: uW, mW, W.
  std::string unit;
  // ECMAScript regex searched in stdout; its first group (or the whole match
  // without groups) is the number. Empty: the first number in the output.
  std::string pattern;
  absl::Duration timeout = absl::Seconds(2);  // per run of the command
};

// Microjoules (energy) or microwatts (power) per `unit`; INVALID_ARGUMENT
// listing the units known for `reports`.
absl::StatusOr<double> CommandUnitScale(CommandReports reports, absl::string_view unit);

// Compiles `pattern` (empty: the default number pattern); INVALID_ARGUMENT
// with the regex error for a bad one.
absl::StatusOr<std::regex> CompileMeterPattern(const std::string& pattern);

// The number `pattern` finds in `output`; NOT_FOUND quoting the output's
// start when it matches nothing or what it captured is not a number.
absl::StatusOr<double> ExtractMeterValue(absl::string_view output, const std::regex& pattern);

// Cumulative energy from a command that prints a counter. Thread-safe.
class CommandEnergyMeter : public EnergyMeter {
 public:
  // Runs the command once (its value is the origin). Errors: bad unit or
  // pattern (INVALID_ARGUMENT), or the command's own error.
  static absl::StatusOr<std::unique_ptr<CommandEnergyMeter>> Create(CommandMeterOptions options);

  std::string Name() const override { return "command(energy)"; }
  // DATA_LOSS when the counter went backwards (a meter that was reset).
  absl::StatusOr<uint64_t> Read() override;

 private:
  CommandEnergyMeter(CommandMeterOptions options, double scale, std::regex pattern)
      : options_(std::move(options)), scale_(scale), pattern_(std::move(pattern)) {}
  absl::StatusOr<double> ReadUj() const;

  const CommandMeterOptions options_;
  const double scale_;
  const std::regex pattern_;
  absl::Mutex mu_;
  double origin_uj_ ABSL_GUARDED_BY(mu_) = 0;
  double last_uj_ ABSL_GUARDED_BY(mu_) = 0;
};

// Instantaneous power from a command.
class CommandPowerSource : public PowerSource {
 public:
  // Errors as for CommandEnergyMeter::Create (runs the command once).
  static absl::StatusOr<std::unique_ptr<CommandPowerSource>> Create(CommandMeterOptions options);

  std::string Name() const override { return "command(power)"; }
  absl::StatusOr<double> ReadMicrowatts() override;

 private:
  CommandPowerSource(CommandMeterOptions options, double scale, std::regex pattern)
      : options_(std::move(options)), scale_(scale), pattern_(std::move(pattern)) {}

  const CommandMeterOptions options_;
  const double scale_;
  const std::regex pattern_;
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_COMMAND_H_
