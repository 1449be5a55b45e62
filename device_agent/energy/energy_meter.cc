#include "device_agent/energy/energy_meter.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kRaplPrefix = "intel-rapl:";

// True for "intel-rapl:N" (a package); false for "intel-rapl:N:M" (a
// subzone, already counted in its package) and anything else.
bool IsRaplPackageDir(absl::string_view name) {
  if (!absl::StartsWith(name, kRaplPrefix)) return false;
  const absl::string_view index = name.substr(kRaplPrefix.size());
  return !index.empty() && std::all_of(index.begin(), index.end(),
                                       [](char c) { return absl::ascii_isdigit(c); });
}

absl::Status ErrnoStatus(int err, absl::string_view verb, const std::string& path) {
  const std::string message = absl::StrCat(verb, " ", path, ": ", std::strerror(err));
  switch (err) {
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(absl::StrCat("permission denied reading ", path));
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

uint64_t CounterDeltaUj(uint64_t previous_uj, uint64_t current_uj, uint64_t max_range_uj) {
  if (current_uj >= previous_uj) return current_uj - previous_uj;
  // The counter wrapped to 0 after max_range_uj. A previous value beyond the
  // range means the range is wrong; counting from 0 undercounts, never invents.
  if (previous_uj > max_range_uj) return current_uj;
  return (max_range_uj - previous_uj) + current_uj;
}

absl::StatusOr<std::string> ReadSysfsText(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  char buf[256];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof(buf) - 1);
  } while (n < 0 && errno == EINTR);
  const int read_errno = errno;
  ::close(fd);
  if (n < 0) return ErrnoStatus(read_errno, "cannot read", path);
  return std::string(absl::StripAsciiWhitespace(absl::string_view(buf, n)));
}

namespace {

absl::Status Malformed(const std::string& path, absl::string_view expected,
                       absl::string_view text) {
  return absl::DataLossError(absl::StrCat("malformed ", path, ": expected ", expected,
                                          ", got \"", text.substr(0, 32), "\""));
}

}  // namespace

absl::StatusOr<uint64_t> ReadUint64File(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSysfsText(path);
  if (!text.ok()) return text.status();
  uint64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) return Malformed(path, "an unsigned integer", *text);
  return value;
}

absl::StatusOr<int64_t> ReadInt64File(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSysfsText(path);
  if (!text.ok()) return text.status();
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value)) return Malformed(path, "an integer", *text);
  return value;
}

RaplEnergyMeter::RaplEnergyMeter(std::vector<Zone> zones)
    : zones_(std::move(zones)), num_zones_(zones_.size()) {}

absl::StatusOr<std::unique_ptr<RaplEnergyMeter>> RaplEnergyMeter::Create(
    const std::string& powercap_root) {
  std::error_code ec;
  std::vector<std::string> package_dirs;
  for (fs::directory_iterator it(powercap_root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Entries in sysfs are symlinks to directories; is_directory follows them.
    std::error_code dir_ec;
    if (IsRaplPackageDir(name) && fs::is_directory(it->path(), dir_ec)) {
      package_dirs.push_back(it->path().string());
    }
  }
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
    if (ec == std::errc::permission_denied) {
      return absl::PermissionDeniedError(
          absl::StrCat("permission denied listing ", powercap_root));
    }
    return absl::UnavailableError(
        absl::StrCat("cannot list ", powercap_root, ": ", ec.message()));
  }
  if (package_dirs.empty()) {
    return absl::UnavailableError(absl::StrCat("no powercap RAPL zones under ", powercap_root));
  }
  std::sort(package_dirs.begin(), package_dirs.end());

  std::vector<Zone> zones;
  for (const std::string& dir : package_dirs) {
    Zone zone;
    zone.energy_path = dir + "/energy_uj";
    absl::StatusOr<uint64_t> range = ReadUint64File(dir + "/max_energy_range_uj");
    if (!range.ok()) return range.status();
    absl::StatusOr<uint64_t> raw = ReadUint64File(zone.energy_path);
    if (!raw.ok()) return raw.status();
    zone.max_range_uj = *range;
    zone.last_raw_uj = *raw;
    zones.push_back(std::move(zone));
  }
  return std::unique_ptr<RaplEnergyMeter>(new RaplEnergyMeter(std::move(zones)));
}

std::string RaplEnergyMeter::Name() const {
  return absl::StrCat("rapl(", num_zones_, num_zones_ == 1 ? " package)" : " packages)");
}

absl::StatusOr<uint64_t> RaplEnergyMeter::Read() {
  absl::MutexLock lock(&mu_);
  // Read every zone before updating any, so that a failed read leaves the
  // meter consistent.
  std::vector<uint64_t> raw(zones_.size());
  for (size_t i = 0; i < zones_.size(); ++i) {
    absl::StatusOr<uint64_t> value = ReadUint64File(zones_[i].energy_path);
    if (!value.ok()) return value.status();
    raw[i] = *value;
  }
  for (size_t i = 0; i < zones_.size(); ++i) {
    total_uj_ += CounterDeltaUj(zones_[i].last_raw_uj, raw[i], zones_[i].max_range_uj);
    zones_[i].last_raw_uj = raw[i];
  }
  return total_uj_;
}

absl::StatusOr<std::unique_ptr<EnergyMeter>> DetectEnergyMeter(const std::string& powercap_root) {
  absl::StatusOr<std::unique_ptr<RaplEnergyMeter>> rapl = RaplEnergyMeter::Create(powercap_root);
  if (rapl.ok()) return std::unique_ptr<EnergyMeter>(std::move(*rapl));
  const absl::Status& s = rapl.status();
  if (absl::IsPermissionDenied(s)) {
    // Since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694).
    return absl::UnavailableError(
        absl::StrCat(s.message(), " (RAPL counters are root-only since Linux 5.10; run the "
                                  "agent as root or grant read access with a udev rule)"));
  }
  return absl::UnavailableError(s.message());
}

}  // namespace edgenas
