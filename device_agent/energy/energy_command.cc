#include "device_agent/energy/energy_command.h"

#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "device_agent/energy/energy_process.h"

namespace edgenas {
namespace {

constexpr char kDefaultPattern[] = R"(([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?))";

struct Unit {
  const char* name;
  double scale;
};

constexpr Unit kEnergyUnits[] = {
    {"uJ", 1}, {"mJ", 1e3}, {"J", 1e6}, {"Wh", 3.6e9}, {"kWh", 3.6e12}};
constexpr Unit kPowerUnits[] = {{"uW", 1}, {"mW", 1e3}, {"W", 1e6}};

absl::StatusOr<double> RunAndExtract(const CommandMeterOptions& options, const std::regex& pattern,
                                     double scale) {
  absl::StatusOr<CommandOutput> out =
      RunCommand({"/bin/sh", "-c", options.command}, options.timeout);
  if (!out.ok()) {
    return absl::Status(out.status().code(),
                        absl::StrCat("energy command \"", options.command.substr(0, 120),
                                     "\": ", out.status().message()));
  }
  absl::StatusOr<double> value = ExtractMeterValue(out->out, pattern);
  if (!value.ok()) return value.status();
  return *value * scale;
}

}  // namespace

absl::StatusOr<double> CommandUnitScale(CommandReports reports, absl::string_view unit) {
  std::string known;
  const bool energy = reports == CommandReports::kEnergy;
  for (const Unit& u : energy ? absl::MakeConstSpan(kEnergyUnits) : absl::MakeConstSpan(kPowerUnits)) {
    if (unit == u.name) return u.scale;
    absl::StrAppend(&known, known.empty() ? "" : ", ", u.name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown ", energy ? "energy" : "power",
                                                 " unit \"", unit, "\"; known: ", known));
}

absl::StatusOr<std::regex> CompileMeterPattern(const std::string& pattern) {
  try {
    return std::regex(pattern.empty() ? std::string(kDefaultPattern) : pattern,
                      std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad regular expression \"", pattern, "\": ", e.what()));
  }
}

absl::StatusOr<double> ExtractMeterValue(absl::string_view output, const std::regex& pattern) {
  const std::string text(output.substr(0, 64 * 1024));
  const auto not_found = [&text](absl::string_view why) {
    return absl::NotFoundError(absl::StrCat(why, " in the meter command's output (it starts \"",
                                            absl::StripAsciiWhitespace(text).substr(0, 80),
                                            "\")"));
  };
  std::smatch match;
  try {
    if (!std::regex_search(text, match, pattern)) return not_found("the pattern matches nothing");
  } catch (const std::regex_error& e) {
    return not_found(absl::StrCat("the pattern failed (", e.what(), ")"));
  }
  const std::string captured = match.size() > 1 ? match[1].str() : match[0].str();
  double value = 0;
  if (!absl::SimpleAtod(absl::StripAsciiWhitespace(captured), &value) || !std::isfinite(value)) {
    return not_found(absl::StrCat("\"", captured.substr(0, 40), "\" is not a number"));
  }
  return value;
}

absl::StatusOr<std::unique_ptr<CommandEnergyMeter>> CommandEnergyMeter::Create(
    CommandMeterOptions options) {
  if (options.command.empty()) return absl::InvalidArgumentError("energy command: empty");
  absl::StatusOr<double> scale = CommandUnitScale(CommandReports::kEnergy, options.unit);
  if (!scale.ok()) return scale.status();
  absl::StatusOr<std::regex> pattern = CompileMeterPattern(options.pattern);
  if (!pattern.ok()) return pattern.status();
  std::unique_ptr<CommandEnergyMeter> meter(
      new CommandEnergyMeter(std::move(options), *scale, *std::move(pattern)));
  absl::StatusOr<double> first = meter->ReadUj();
  if (!first.ok()) return first.status();
  absl::MutexLock lock(&meter->mu_);
  meter->origin_uj_ = meter->last_uj_ = *first;
  return std::move(meter);
}

absl::StatusOr<double> CommandEnergyMeter::ReadUj() const {
  return RunAndExtract(options_, pattern_, scale_);
}

absl::StatusOr<uint64_t> CommandEnergyMeter::Read() {
  absl::StatusOr<double> uj = ReadUj();
  if (!uj.ok()) return uj.status();
  absl::MutexLock lock(&mu_);
  if (*uj < last_uj_) {
    return absl::DataLossError(absl::StrCat(
        "energy command: the counter went backwards (", last_uj_, " uJ, then ", *uj,
        " uJ); a meter that resets cannot be used as an energy counter (report power instead)"));
  }
  last_uj_ = *uj;
  return static_cast<uint64_t>(*uj - origin_uj_);
}

absl::StatusOr<std::unique_ptr<CommandPowerSource>> CommandPowerSource::Create(
    CommandMeterOptions options) {
  if (options.command.empty()) return absl::InvalidArgumentError("energy command: empty");
  absl::StatusOr<double> scale = CommandUnitScale(CommandReports::kPower, options.unit);
  if (!scale.ok()) return scale.status();
  absl::StatusOr<std::regex> pattern = CompileMeterPattern(options.pattern);
  if (!pattern.ok()) return pattern.status();
  std::unique_ptr<CommandPowerSource> source(
      new CommandPowerSource(std::move(options), *scale, *std::move(pattern)));
  absl::StatusOr<double> first = source->ReadMicrowatts();
  if (!first.ok()) return first.status();
  return std::move(source);
}

absl::StatusOr<double> CommandPowerSource::ReadMicrowatts() {
  return RunAndExtract(options_, pattern_, scale_);
}

}  // namespace edgenas
