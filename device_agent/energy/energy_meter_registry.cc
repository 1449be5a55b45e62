#include "device_agent/energy/energy_meter_registry.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device_agent/energy/energy_command.h"
#include "device_agent/energy/energy_ina3221.h"
#include "device_agent/energy/energy_pi5_pmic.h"
#include "device_agent/energy/energy_tegrastats.h"

namespace edgenas {
namespace {

// Default sampling periods: sysfs reads cost microseconds; tegrastats and
// vcgencmd cost a process each (a Pi 5 sampled at 50 Hz loses real CPU time
// to vcgencmd), so they are sampled at 10 Hz.
constexpr int kIna3221DefaultMs = 10;
constexpr int kProcessDefaultMs = 100;
constexpr int kMaxSampleMs = 60000;

int PeriodOr(const EnergyMeterConfig& c, int fallback) {
  return c.sample_ms > 0 ? c.sample_ms : fallback;
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> Sampled(
    absl::StatusOr<std::unique_ptr<PowerSource>> source, const EnergyMeterConfig& c,
    int period_ms) {
  if (!source.ok()) return source.status();
  SamplerOptions options;
  options.period_ms = period_ms;
  options.now_ns = c.now_ns;
  absl::StatusOr<std::unique_ptr<SampledPowerMeter>> meter =
      SampledPowerMeter::Create(*std::move(source), std::move(options));
  if (!meter.ok()) return meter.status();
  return std::unique_ptr<EnergyMeter>(*std::move(meter));
}

template <typename T>
absl::StatusOr<std::unique_ptr<PowerSource>> AsSource(absl::StatusOr<std::unique_ptr<T>> s) {
  if (!s.ok()) return s.status();
  return std::unique_ptr<PowerSource>(*std::move(s));
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> OpenRapl(const EnergyMeterConfig& c) {
  return DetectEnergyMeter(c.powercap_root);
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> OpenIna3221(const EnergyMeterConfig& c) {
  Ina3221Options o;
  o.hwmon_root = c.hwmon_root;
  o.iio_root = c.ina3221_iio_root;
  o.rails = c.rails;
  return Sampled(AsSource(Ina3221PowerSource::Create(o)), c, PeriodOr(c, kIna3221DefaultMs));
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> OpenTegrastats(const EnergyMeterConfig& c) {
  TegrastatsOptions o;
  o.path = c.tegrastats_path;
  o.interval_ms = PeriodOr(c, kProcessDefaultMs);
  o.rails = c.rails;
  o.now_ns = c.now_ns;
  absl::StatusOr<std::unique_ptr<TegrastatsMeter>> meter = TegrastatsMeter::Start(std::move(o));
  if (!meter.ok()) return meter.status();
  return std::unique_ptr<EnergyMeter>(*std::move(meter));
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> OpenPi5Pmic(const EnergyMeterConfig& c) {
  Pi5PmicOptions o;
  o.vcgencmd_path = c.vcgencmd_path;
  o.rails = c.rails;
  return Sampled(AsSource(Pi5PmicPowerSource::Create(std::move(o))), c,
                 PeriodOr(c, kProcessDefaultMs));
}

CommandMeterOptions CommandOptions(const EnergyMeterConfig& c) {
  CommandMeterOptions o;
  o.command = c.command;
  o.reports = c.command_reports == "power" ? CommandReports::kPower : CommandReports::kEnergy;
  o.unit = c.command_unit;
  o.pattern = c.command_pattern;
  return o;
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> OpenCommand(const EnergyMeterConfig& c) {
  CommandMeterOptions o = CommandOptions(c);
  if (o.reports == CommandReports::kPower) {
    return Sampled(AsSource(CommandPowerSource::Create(std::move(o))), c,
                   PeriodOr(c, kProcessDefaultMs));
  }
  absl::StatusOr<std::unique_ptr<CommandEnergyMeter>> meter =
      CommandEnergyMeter::Create(std::move(o));
  if (!meter.ok()) return meter.status();
  return std::unique_ptr<EnergyMeter>(*std::move(meter));
}

using Factory = absl::StatusOr<std::unique_ptr<EnergyMeter>> (*)(const EnergyMeterConfig&);

struct Entry {
  const char* kind;
  Factory open;
  bool has_rails;
};

// The registry, in the order "auto" tries it.
constexpr Entry kMeters[] = {
    {"rapl", OpenRapl, false},
    {"ina3221", OpenIna3221, true},
    {"tegrastats", OpenTegrastats, true},
    {"pi5_pmic", OpenPi5Pmic, true},
    {"command", OpenCommand, false},
};

const Entry* Find(const std::string& kind) {
  for (const Entry& e : kMeters) {
    if (kind == e.kind) return &e;
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string>& EnergyMeterKinds() {
  static const auto* const kKinds = [] {
    auto* kinds = new std::vector<std::string>;
    for (const Entry& e : kMeters) kinds->push_back(e.kind);
    return kinds;
  }();
  return *kKinds;
}

std::string EnergyCapability(const std::string& kind) { return absl::StrCat("energy:", kind); }

absl::Status ValidateEnergyMeterConfig(const EnergyMeterConfig& c) {
  const Entry* entry = Find(c.kind);
  if (entry == nullptr && c.kind != "auto" && c.kind != "none") {
    return absl::InvalidArgumentError(
        absl::StrCat("--energy_meter: unknown meter \"", c.kind, "\"; known: auto, none, ",
                     absl::StrJoin(EnergyMeterKinds(), ", ")));
  }
  const bool command = c.kind == "command";
  for (const auto& [flag, value] :
       {std::pair{"--energy_command", &c.command}, std::pair{"--energy_command_unit", &c.command_unit},
        std::pair{"--energy_command_pattern", &c.command_pattern}}) {
    if (!command && !value->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": only used with --energy_meter=command"));
    }
  }
  if (command) {
    if (c.command.empty()) {
      return absl::InvalidArgumentError(
          "--energy_command: required with --energy_meter=command (a shell command printing "
          "the meter's reading)");
    }
    if (c.command_reports != "energy" && c.command_reports != "power") {
      return absl::InvalidArgumentError(absl::StrCat(
          "--energy_command_reports: must be energy or power, got \"", c.command_reports, "\""));
    }
    const CommandMeterOptions o = CommandOptions(c);
    if (absl::StatusOr<double> s = CommandUnitScale(o.reports, o.unit); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--energy_command_unit: ", s.status().message()));
    }
    if (absl::StatusOr<std::regex> p = CompileMeterPattern(o.pattern); !p.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--energy_command_pattern: ", p.status().message()));
    }
  }
  if (!c.rails.empty()) {
    if (entry != nullptr && !entry->has_rails) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--energy_rails: not used by --energy_meter=", c.kind,
          " (only by ina3221, tegrastats, pi5_pmic and auto)"));
    }
    for (const std::string& rail : c.rails) {
      if (rail.empty()) return absl::InvalidArgumentError("--energy_rails: empty rail name");
    }
  }
  if (c.sample_ms < 0 || c.sample_ms > kMaxSampleMs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--energy_sample_ms: must be in [0, ", kMaxSampleMs, "] (0: the meter's default), got ",
        c.sample_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<OpenedEnergyMeter> OpenEnergyMeter(const EnergyMeterConfig& config) {
  if (absl::Status s = ValidateEnergyMeterConfig(config); !s.ok()) return s;
  if (config.kind == "none") {
    return absl::UnavailableError("energy meter disabled (--energy_meter=none)");
  }
  if (config.kind != "auto") {
    const Entry* entry = Find(config.kind);
    absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = entry->open(config);
    if (!meter.ok()) {
      const bool rails = absl::IsInvalidArgument(meter.status()) && !config.rails.empty();
      return absl::Status(meter.status().code(),
                          absl::StrCat(rails ? "--energy_rails" : "--energy_meter=" + config.kind,
                                       ": ", meter.status().message()));
    }
    return OpenedEnergyMeter{config.kind, *std::move(meter)};
  }
  std::vector<std::string> reasons;
  for (const Entry& e : kMeters) {
    if (std::string(e.kind) == "command") continue;
    absl::StatusOr<std::unique_ptr<EnergyMeter>> meter = e.open(config);
    if (meter.ok()) return OpenedEnergyMeter{e.kind, *std::move(meter)};
    reasons.push_back(absl::StrCat(e.kind, ": ", meter.status().message()));
  }
  return absl::UnavailableError(
      absl::StrCat("no energy meter found (", absl::StrJoin(reasons, "; "), ")"));
}

}  // namespace edgenas
