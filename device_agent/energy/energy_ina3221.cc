#include "device_agent/energy/energy_ina3221.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/energy/energy_rails.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

// The INA3221 has three channels.
constexpr int kChannels = 3;

// Sorted subdirectories of `dir` whose name starts with one of `prefixes`
// (none when `dir` is missing or unreadable).
std::vector<std::string> SubdirsWithPrefix(const std::string& dir,
                                           const std::vector<absl::string_view>& prefixes) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code dir_ec;
    if (!fs::is_directory(it->path(), dir_ec)) continue;
    for (absl::string_view p : prefixes) {
      if (absl::StartsWith(name, p)) {
        out.push_back(it->path().string());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// The label in `label_path`, or `fallback` when there is none.
std::string LabelOr(const std::string& label_path, std::string fallback) {
  absl::StatusOr<std::string> label = ReadSysfsText(label_path);
  if (!label.ok() || label->empty()) return fallback;
  return *label;
}

// Keeps `channel` when it reads; otherwise records why it was skipped.
void KeepIfReadable(Ina3221PowerSource::Channel channel,
                    std::vector<Ina3221PowerSource::Channel>& channels,
                    std::vector<std::string>& skipped) {
  absl::StatusOr<double> uw = Ina3221PowerSource::ReadChannelMicrowatts(channel);
  if (!uw.ok()) {
    skipped.push_back(absl::StrCat(channel.rail, ": ", uw.status().message()));
    return;
  }
  channels.push_back(std::move(channel));
}

void FindHwmonChannels(const std::string& root, std::vector<Ina3221PowerSource::Channel>& channels,
                       std::vector<std::string>& skipped) {
  for (const std::string& dir : SubdirsWithPrefix(root, {"hwmon"})) {
    absl::StatusOr<std::string> name = ReadSysfsText(dir + "/name");
    if (!name.ok() || *name != "ina3221") continue;
    const std::string hwmon = fs::path(dir).filename().string();
    for (int i = 1; i <= kChannels; ++i) {
      const std::string base = absl::StrCat(dir, "/");
      // A disabled channel reads ENODATA; its enable file says so first.
      absl::StatusOr<uint64_t> enabled = ReadUint64File(absl::StrCat(base, "in", i, "_enable"));
      if (enabled.ok() && *enabled == 0) continue;
      Ina3221PowerSource::Channel c;
      c.rail = LabelOr(absl::StrCat(base, "in", i, "_label"), absl::StrCat(hwmon, ":ch", i));
      if (const std::string p = absl::StrCat(base, "power", i, "_input"); Exists(p)) {
        c.power_path = p;  // microwatts (hwmon ABI)
      } else if (Exists(absl::StrCat(base, "curr", i, "_input")) &&
                 Exists(absl::StrCat(base, "in", i, "_input"))) {
        c.volt_path = absl::StrCat(base, "in", i, "_input");
        c.curr_path = absl::StrCat(base, "curr", i, "_input");
      } else {
        continue;  // no such channel on this kernel
      }
      KeepIfReadable(std::move(c), channels, skipped);
    }
  }
}

void FindIioChannels(const std::string& root, std::vector<Ina3221PowerSource::Channel>& channels,
                     std::vector<std::string>& skipped) {
  for (const std::string& device : SubdirsWithPrefix(root, {""})) {
    for (const std::string& dir : SubdirsWithPrefix(device, {"iio:device", "iio_device"})) {
      const std::string base = dir + "/";
      for (int i = 0; i < kChannels; ++i) {
        Ina3221PowerSource::Channel c;
        c.rail = LabelOr(absl::StrCat(base, "rail_name_", i),
                         absl::StrCat(fs::path(device).filename().string(), ":ch", i));
        if (const std::string p = absl::StrCat(base, "in_power", i, "_input"); Exists(p)) {
          c.power_path = p;
          c.power_scale_uw = 1000;  // the ina3221x driver reports milliwatts
        } else if (Exists(absl::StrCat(base, "in_current", i, "_input")) &&
                   Exists(absl::StrCat(base, "in_voltage", i, "_input"))) {
          c.volt_path = absl::StrCat(base, "in_voltage", i, "_input");
          c.curr_path = absl::StrCat(base, "in_current", i, "_input");
        } else {
          continue;
        }
        KeepIfReadable(std::move(c), channels, skipped);
      }
    }
  }
}

}  // namespace

absl::StatusOr<double> Ina3221PowerSource::ReadChannelMicrowatts(const Channel& channel) {
  if (!channel.power_path.empty()) {
    absl::StatusOr<int64_t> power = ReadInt64File(channel.power_path);
    if (!power.ok()) return power.status();
    return static_cast<double>(*power) * channel.power_scale_uw;
  }
  absl::StatusOr<int64_t> mv = ReadInt64File(channel.volt_path);
  if (!mv.ok()) return mv.status();
  absl::StatusOr<int64_t> ma = ReadInt64File(channel.curr_path);
  if (!ma.ok()) return ma.status();
  return static_cast<double>(*mv) * static_cast<double>(*ma);  // mV * mA = uW
}

absl::StatusOr<std::vector<Ina3221PowerSource::Channel>> Ina3221PowerSource::FindChannels(
    const Ina3221Options& options) {
  std::vector<Channel> channels;
  std::vector<std::string> skipped;
  FindHwmonChannels(options.hwmon_root, channels, skipped);
  FindIioChannels(options.iio_root, channels, skipped);
  if (channels.empty()) {
    return absl::UnavailableError(absl::StrCat(
        "no readable ina3221 channels under ", options.hwmon_root, " (hwmon name \"ina3221\") or ",
        options.iio_root, skipped.empty() ? "" : "; skipped: ", absl::StrJoin(skipped, "; ")));
  }
  return channels;
}

absl::StatusOr<std::unique_ptr<Ina3221PowerSource>> Ina3221PowerSource::Create(
    const Ina3221Options& options) {
  absl::StatusOr<std::vector<Channel>> all = FindChannels(options);
  if (!all.ok()) return all.status();
  std::vector<std::string> names;
  for (const Channel& c : *all) names.push_back(c.rail);
  absl::StatusOr<std::vector<size_t>> chosen = SelectRails(names, options.rails);
  if (!chosen.ok()) {
    return absl::Status(chosen.status().code(),
                        absl::StrCat("ina3221: ", chosen.status().message()));
  }
  std::vector<Channel> selected;
  for (size_t i : *chosen) selected.push_back((*all)[i]);
  return std::unique_ptr<Ina3221PowerSource>(new Ina3221PowerSource(std::move(selected)));
}

std::string Ina3221PowerSource::Name() const {
  std::vector<std::string> names;
  for (const Channel& c : channels_) names.push_back(c.rail);
  return absl::StrCat("ina3221(", DescribeRails(names), ")");
}

absl::StatusOr<double> Ina3221PowerSource::ReadMicrowatts() {
  double total = 0;
  for (const Channel& c : channels_) {
    absl::StatusOr<double> uw = ReadChannelMicrowatts(c);
    if (!uw.ok()) return uw.status();
    total += *uw;
  }
  return total;
}

}  // namespace edgenas
