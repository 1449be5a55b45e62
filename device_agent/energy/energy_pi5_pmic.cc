#include "device_agent/energy/energy_pi5_pmic.h"

#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "device_agent/energy/energy_process.h"

namespace edgenas {
namespace {

// One "<RAIL>_<A|V> <kind>(<n>)=<value><A|V>" line.
struct AdcLine {
  std::string rail;
  bool is_current = false;
  double value = 0;
};

bool ParseAdcLine(absl::string_view line, AdcLine* out) {
  line = absl::StripAsciiWhitespace(line);
  const size_t space = line.find(' ');
  const size_t eq = line.find('=');
  if (space == absl::string_view::npos || eq == absl::string_view::npos || eq < space) {
    return false;
  }
  absl::string_view name = line.substr(0, space);
  absl::string_view kind = absl::StripAsciiWhitespace(line.substr(space, eq - space));
  absl::string_view value = line.substr(eq + 1);
  bool is_current;
  if (absl::StartsWith(kind, "current(") && absl::ConsumeSuffix(&name, "_A") &&
      absl::ConsumeSuffix(&value, "A")) {
    is_current = true;
  } else if (absl::StartsWith(kind, "volt(") && absl::ConsumeSuffix(&name, "_V") &&
             absl::ConsumeSuffix(&value, "V")) {
    is_current = false;
  } else {
    return false;
  }
  double v = 0;
  if (name.empty() || !absl::SimpleAtod(value, &v)) return false;
  *out = AdcLine{std::string(name), is_current, v};
  return true;
}

}  // namespace

absl::StatusOr<std::vector<RailPower>> ParsePmicReadAdc(absl::string_view output) {
  std::vector<std::string> order;
  std::map<std::string, double> amps;
  std::map<std::string, double> volts;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    AdcLine adc;
    if (!ParseAdcLine(line, &adc)) continue;
    if (adc.is_current) {
      if (amps.emplace(adc.rail, adc.value).second) order.push_back(adc.rail);
    } else {
      volts.emplace(adc.rail, adc.value);
    }
  }
  std::vector<RailPower> rails;
  for (const std::string& rail : order) {
    auto v = volts.find(rail);
    if (v == volts.end()) continue;
    rails.push_back(RailPower{rail, amps[rail] * v->second * 1e6});
  }
  if (rails.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "no rail with both a current and a voltage in the pmic_read_adc output (it starts \"",
        absl::StripAsciiWhitespace(output).substr(0, 80), "\")"));
  }
  return rails;
}

absl::StatusOr<std::vector<RailPower>> Pi5PmicPowerSource::ReadRails() const {
  absl::StatusOr<CommandOutput> out =
      RunCommand({options_.vcgencmd_path, "pmic_read_adc"}, options_.timeout);
  if (!out.ok()) return out.status();
  return ParsePmicReadAdc(out->out);
}

absl::StatusOr<std::unique_ptr<Pi5PmicPowerSource>> Pi5PmicPowerSource::Create(
    Pi5PmicOptions options) {
  std::unique_ptr<Pi5PmicPowerSource> probe(new Pi5PmicPowerSource(options, {}));
  absl::StatusOr<std::vector<RailPower>> rails = probe->ReadRails();
  if (!rails.ok()) return rails.status();
  std::vector<std::string> names;
  for (const RailPower& r : *rails) names.push_back(r.name);
  absl::StatusOr<std::vector<size_t>> chosen = SelectRails(names, options.rails);
  if (!chosen.ok()) {
    return absl::Status(chosen.status().code(),
                        absl::StrCat("pi5_pmic: ", chosen.status().message()));
  }
  std::vector<std::string> selected;
  for (size_t i : *chosen) selected.push_back(names[i]);
  return std::unique_ptr<Pi5PmicPowerSource>(
      new Pi5PmicPowerSource(std::move(options), std::move(selected)));
}

std::string Pi5PmicPowerSource::Name() const {
  return absl::StrCat("pi5_pmic(", DescribeRails(rails_), ")");
}

absl::StatusOr<double> Pi5PmicPowerSource::ReadMicrowatts() {
  absl::StatusOr<std::vector<RailPower>> rails = ReadRails();
  if (!rails.ok()) return rails.status();
  double total = 0;
  for (const std::string& name : rails_) {
    bool found = false;
    for (const RailPower& r : *rails) {
      if (r.name == name) {
        total += r.microwatts;
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::DataLossError(absl::StrCat("pi5_pmic: rail ", name, " missing from ",
                                              options_.vcgencmd_path, " pmic_read_adc output"));
    }
  }
  return total;
}

}  // namespace edgenas
