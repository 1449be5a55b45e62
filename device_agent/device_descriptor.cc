#include "device_agent/device_descriptor.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/cpu_affinity.h"

extern char** environ;

namespace edgenas {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "key : value" lines of /proc/cpuinfo or /proc/meminfo; the first
// occurrence of each key.
std::map<std::string, std::string> KeyValues(const std::string& text) {
  std::map<std::string, std::string> values;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    std::string key(absl::StripAsciiWhitespace(line.substr(0, colon)));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    if (!key.empty()) values.emplace(std::move(key), std::move(value));
  }
  return values;
}

// ARM Ltd (implementer 0x41) core part numbers.
const char* ArmCoreName(int part) {
  switch (part) {
    case 0xd03: return "Cortex-A53";
    case 0xd04: return "Cortex-A35";
    case 0xd05: return "Cortex-A55";
    case 0xd07: return "Cortex-A57";
    case 0xd08: return "Cortex-A72";
    case 0xd09: return "Cortex-A73";
    case 0xd0a: return "Cortex-A75";
    case 0xd0b: return "Cortex-A76";
    case 0xd0c: return "Neoverse-N1";
    case 0xd0d: return "Cortex-A77";
    case 0xd40: return "Neoverse-V1";
    case 0xd41: return "Cortex-A78";
    case 0xd42: return "Cortex-A78AE";
    case 0xd44: return "Cortex-X1";
    case 0xd46: return "Cortex-A510";
    case 0xd47: return "Cortex-A710";
    case 0xd48: return "Cortex-X2";
    case 0xd49: return "Neoverse-N2";
    case 0xd4b: return "Cortex-A78C";
    case 0xd4f: return "Neoverse-V2";
    default: return nullptr;
  }
}

bool ParseHex(const std::string& text, int* out) {
  absl::string_view t = text;
  if (!absl::ConsumePrefix(&t, "0x") && !absl::ConsumePrefix(&t, "0X")) return false;
  return absl::SimpleHexAtoi(t, out);
}

bool ProcessEnvironmentHasQemu(const DeviceProbeOptions& options) {
  if (!options.use_process_environment) {
    for (const auto& [key, value] : options.environment) {
      if (absl::StartsWith(key, "QEMU_")) return true;
    }
    return false;
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "QEMU_")) return true;
  }
  return false;
}

std::string TrimNuls(std::string text) {
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n')) text.pop_back();
  return text;
}

}  // namespace

std::string CpuModelFromCpuinfo(const std::string& cpuinfo) {
  const std::map<std::string, std::string> kv = KeyValues(cpuinfo);
  if (auto it = kv.find("model name"); it != kv.end() && !it->second.empty()) return it->second;
  auto implementer = kv.find("CPU implementer");
  auto part = kv.find("CPU part");
  if (implementer != kv.end() && part != kv.end()) {
    int impl = 0, p = 0;
    if (ParseHex(implementer->second, &impl) && ParseHex(part->second, &p)) {
      if (impl == 0x41 && ArmCoreName(p) != nullptr) return ArmCoreName(p);
      return absl::StrFormat("ARM implementer 0x%02x part 0x%03x", impl, p);
    }
  }
  for (const char* key : {"Hardware", "Processor", "cpu model"}) {
    if (auto it = kv.find(key); it != kv.end() && !it->second.empty()) return it->second;
  }
  return "";
}

int64_t MemoryBytesFromMeminfo(const std::string& meminfo) {
  const std::map<std::string, std::string> kv = KeyValues(meminfo);
  auto it = kv.find("MemTotal");
  if (it == kv.end()) return 0;
  std::vector<std::string> parts = absl::StrSplit(it->second, ' ', absl::SkipEmpty());
  int64_t kib = 0;
  if (parts.empty() || !absl::SimpleAtoi(parts[0], &kib) || kib < 0) return 0;
  return kib * 1024;
}

std::string CpuinfoFamily(const std::string& cpuinfo) {
  const std::map<std::string, std::string> kv = KeyValues(cpuinfo);
  if (kv.count("vendor_id") > 0 || (kv.count("flags") > 0 &&
                                    absl::StrContains(kv.at("flags"), "sse"))) {
    return "x86";
  }
  if (kv.count("CPU implementer") > 0 || kv.count("Features") > 0) return "arm";
  return "";
}

bool MachineContradictsCpuinfo(const std::string& machine, const std::string& cpuinfo) {
  std::string machine_family;
  if (machine == "x86_64" || machine == "i686" || machine == "i386") machine_family = "x86";
  if (machine == "aarch64" || absl::StartsWith(machine, "arm")) machine_family = "arm";
  const std::string cpu_family = CpuinfoFamily(cpuinfo);
  return !machine_family.empty() && !cpu_family.empty() && machine_family != cpu_family;
}

std::string GovernorOf(const std::vector<int>& cpus, const std::string& sys_root) {
  std::vector<int> which = cpus;
  if (which.empty()) {
    absl::StatusOr<std::vector<int>> online = OnlineCpus(sys_root);
    if (!online.ok()) return "";
    which = *online;
  }
  std::vector<std::pair<int, std::string>> governors;
  for (int c : which) {
    std::string g(absl::StripAsciiWhitespace(ReadFile(
        absl::StrCat(sys_root, "/devices/system/cpu/cpu", c, "/cpufreq/scaling_governor"))));
    if (!g.empty()) governors.emplace_back(c, std::move(g));
  }
  if (governors.empty()) return "";
  bool same = true;
  for (const auto& [c, g] : governors) same = same && g == governors.front().second;
  if (same) return governors.front().second;
  std::vector<std::string> parts;
  for (const auto& [c, g] : governors) parts.push_back(absl::StrCat("cpu", c, ":", g));
  return absl::StrJoin(parts, ",");
}

std::string DetectAccelerator(const DeviceProbeOptions& options) {
  std::error_code ec;
  const std::string board =
      TrimNuls(ReadFile(options.proc_root + "/device-tree/model"));
  for (const char* node : {"nvhost-ctrl-gpu", "nvhost-gpu", "nvgpu/igpu0/ctrl", "nvgpu"}) {
    if (fs::exists(fs::path(options.dev_root) / node, ec)) {
      return absl::StrCat(board.empty() ? "NVIDIA Tegra GPU" : board, " (nvgpu)");
    }
  }
  const fs::path accel = fs::path(options.dev_root) / "accel" / "accel0";
  if (fs::exists(accel, ec)) {
    const fs::path driver =
        fs::path(options.sys_root) / "class" / "accel" / "accel0" / "device" / "driver";
    std::string name = "accel";
    if (fs::is_symlink(driver, ec)) name = fs::read_symlink(driver, ec).filename().string();
    if (name == "intel_vpu") name = "Intel NPU (intel_vpu)";
    return absl::StrCat(name, " at ", accel.string());
  }
  if (fs::exists(fs::path(options.dev_root) / "nvidia0", ec)) {
    return "NVIDIA GPU (/dev/nvidia0)";
  }
  return "";
}

v1::DeviceDescriptor DescribeDevice(const DeviceProbeOptions& options) {
  v1::DeviceDescriptor d;
  d.set_device_class(options.device_class);
  const std::string cpuinfo = ReadFile(options.proc_root + "/cpuinfo");
  std::string cpu = CpuModelFromCpuinfo(cpuinfo);
  const std::string board = TrimNuls(ReadFile(options.proc_root + "/device-tree/model"));
  if (!board.empty()) cpu = cpu.empty() ? board : absl::StrCat(cpu, " on ", board);
  d.set_cpu_model(cpu);
  if (absl::StatusOr<std::vector<int>> online = OnlineCpus(options.sys_root); online.ok()) {
    d.set_cores(static_cast<int32_t>(online->size()));
  }
  d.set_governor(GovernorOf(options.cpus, options.sys_root));
  d.set_memory_bytes(MemoryBytesFromMeminfo(ReadFile(options.proc_root + "/meminfo")));
  d.set_accelerator(DetectAccelerator(options));
  d.set_runner(options.runner);
  d.set_runner_version(options.runner_version);
  d.set_affinity(FormatCpuList(options.cpus));
  d.set_threads(options.threads);
  std::string machine = options.machine, kernel = options.kernel;
  if (machine.empty() || kernel.empty()) {
    utsname u{};
    if (uname(&u) == 0) {
      if (machine.empty()) machine = u.machine;
      if (kernel.empty()) kernel = u.release;
    }
  }
  d.set_machine(machine);
  d.set_kernel(kernel);
  if (options.emulated >= 0) {
    d.set_emulated(options.emulated == 1);
  } else {
    d.set_emulated(ProcessEnvironmentHasQemu(options) ||
                   MachineContradictsCpuinfo(machine, cpuinfo));
  }
  d.set_energy_meter(options.energy_meter);
  return d;
}

std::string DescribeDeviceLine(const v1::DeviceDescriptor& d) {
  auto or_unknown = [](const std::string& s) { return s.empty() ? std::string("unknown") : s; };
  std::string line = absl::StrCat(
      d.device_class(), ": ", or_unknown(d.cpu_model()), ", ", d.cores(), " cores (",
      d.affinity().empty() ? "not pinned" : absl::StrCat("pinned ", d.affinity()), ", ",
      d.threads(), d.threads() == 1 ? " thread" : " threads", "), governor ",
      or_unknown(d.governor()), ", ",
      absl::StrFormat("%.1f GiB", static_cast<double>(d.memory_bytes()) / (1 << 30)), ", ",
      or_unknown(d.machine()), " ", or_unknown(d.kernel()), ", runner ", or_unknown(d.runner()));
  if (!d.runner_version().empty()) absl::StrAppend(&line, " (", d.runner_version(), ")");
  if (!d.accelerator().empty()) absl::StrAppend(&line, ", accelerator ", d.accelerator());
  absl::StrAppend(&line, ", energy meter ", d.energy_meter().empty() ? "none" : d.energy_meter());
  if (d.emulated()) absl::StrAppend(&line, ", EMULATED");
  return line;
}

}  // namespace edgenas
