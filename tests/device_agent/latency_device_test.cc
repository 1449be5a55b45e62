// The device descriptor from a fake /proc, /sys and /dev tree, and the CPU
// lists the agent and worker are pinned with.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "common/cpu_affinity.h"
#include "device_agent/device_descriptor.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

constexpr char kPi5Cpuinfo[] =
    "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n"
    "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x4\nCPU part\t: 0xd0b\n"
    "CPU revision\t: 1\n\nprocessor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd0b\n\n"
    "Revision\t: d04170\nModel\t\t: Raspberry Pi 5 Model B Rev 1.0\n";
constexpr char kX86Cpuinfo[] =
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
    "flags\t\t: fpu vme sse sse2 avx2\n";

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class DeviceDescriptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/device_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    options_.proc_root = (root_ / "proc").string();
    options_.sys_root = (root_ / "sys").string();
    options_.dev_root = (root_ / "dev").string();
    options_.use_process_environment = false;
    options_.machine = "aarch64";
    options_.kernel = "6.6.31+rpt-rpi-2712";
    fs::create_directories(options_.dev_root);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path root_;
  DeviceProbeOptions options_;
};

// A Raspberry Pi 5: Cortex-A76 from the CPU part, the board from the device
// tree, governor of the pinned core, memory, no accelerator, not emulated.
TEST_F(DeviceDescriptorTest, RaspberryPi5FromFakeTree) {
  Write(root_ / "proc/cpuinfo", kPi5Cpuinfo);
  Write(root_ / "proc/meminfo", "MemTotal:        8245632 kB\nMemFree: 1 kB\n");
  Write(root_ / "proc/device-tree/model", std::string("Raspberry Pi 5 Model B Rev 1.0\0", 31));
  Write(root_ / "sys/devices/system/cpu/online", "0-3\n");
  Write(root_ / "sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "performance\n");
  Write(root_ / "sys/devices/system/cpu/cpu2/cpufreq/scaling_governor", "ondemand\n");
  options_.device_class = "rpi5";
  options_.cpus = {1};
  options_.threads = 1;
  options_.runner = "libtorch-cpu";
  options_.runner_version = "libtorch 1.13.0";
  options_.energy_meter = "pmic";
  const v1::DeviceDescriptor d = DescribeDevice(options_);
  EXPECT_EQ(d.device_class(), "rpi5");
  EXPECT_EQ(d.cpu_model(), "Cortex-A76 on Raspberry Pi 5 Model B Rev 1.0");
  EXPECT_EQ(d.cores(), 4);
  EXPECT_EQ(d.governor(), "performance");
  EXPECT_EQ(d.memory_bytes(), int64_t{8245632} * 1024);
  EXPECT_EQ(d.accelerator(), "");
  EXPECT_EQ(d.runner(), "libtorch-cpu");
  EXPECT_EQ(d.runner_version(), "libtorch 1.13.0");
  EXPECT_EQ(d.affinity(), "1");
  EXPECT_EQ(d.threads(), 1);
  EXPECT_EQ(d.machine(), "aarch64");
  EXPECT_EQ(d.kernel(), "6.6.31+rpt-rpi-2712");
  EXPECT_FALSE(d.emulated());
  EXPECT_EQ(d.energy_meter(), "pmic");
  EXPECT_TRUE(absl::StrContains(DescribeDeviceLine(d), "pinned 1"));
  // Unpinned: the governors of all online cores, named when they differ.
  options_.cpus = {};
  EXPECT_EQ(GovernorOf({}, options_.sys_root), "cpu1:performance,cpu2:ondemand");
}

// A Jetson: nvhost device nodes make the board's GPU the accelerator.
TEST_F(DeviceDescriptorTest, JetsonAcceleratorFromDeviceNodes) {
  Write(root_ / "proc/device-tree/model", "NVIDIA Jetson AGX Orin Developer Kit");
  Write(root_ / "dev/nvhost-ctrl-gpu", "");
  EXPECT_EQ(DetectAccelerator(options_), "NVIDIA Jetson AGX Orin Developer Kit (nvgpu)");
}

// An arm64 agent whose /proc/cpuinfo describes an x86 host runs under
// qemu-user; QEMU_* variables say so too; --emulated overrides both.
TEST_F(DeviceDescriptorTest, DetectsEmulation) {
  Write(root_ / "proc/cpuinfo", kX86Cpuinfo);
  EXPECT_TRUE(DescribeDevice(options_).emulated());
  options_.machine = "x86_64";
  EXPECT_FALSE(DescribeDevice(options_).emulated());
  options_.environment = {{"QEMU_LD_PREFIX", "/usr/aarch64-linux-gnu"}};
  EXPECT_TRUE(DescribeDevice(options_).emulated());
  options_.emulated = 0;
  EXPECT_FALSE(DescribeDevice(options_).emulated());
  EXPECT_EQ(CpuinfoFamily(kPi5Cpuinfo), "arm");
  EXPECT_EQ(CpuinfoFamily(kX86Cpuinfo), "x86");
  EXPECT_FALSE(MachineContradictsCpuinfo("aarch64", ""));
}

// Nothing readable: empty fields, never guesses.
TEST_F(DeviceDescriptorTest, MissingFilesLeaveFieldsEmpty) {
  const v1::DeviceDescriptor d = DescribeDevice(options_);
  EXPECT_EQ(d.cpu_model(), "");
  EXPECT_EQ(d.cores(), 0);
  EXPECT_EQ(d.governor(), "");
  EXPECT_EQ(d.memory_bytes(), 0);
  EXPECT_FALSE(d.emulated());
}

TEST(CpuModelFromCpuinfo, ModelNameUnknownPartAndNone) {
  EXPECT_EQ(CpuModelFromCpuinfo(kX86Cpuinfo), "AMD EPYC 7B13");
  EXPECT_EQ(CpuModelFromCpuinfo("CPU implementer : 0x51\nCPU part : 0x802\n"),
            "ARM implementer 0x51 part 0x802");
  EXPECT_EQ(CpuModelFromCpuinfo("processor : 0\n"), "");
  EXPECT_EQ(MemoryBytesFromMeminfo("MemFree: 3 kB\n"), 0);
}

// CPU lists as the kernel writes them; errors name the flag.
TEST(CpuList, ParseAndFormat) {
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList("2-3,0, 5", "--cpus");
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_EQ(*cpus, std::vector<int>({0, 2, 3, 5}));
  EXPECT_EQ(FormatCpuList(*cpus), "0,2-3,5");
  EXPECT_EQ(FormatCpuList({3, 1, 2}), "1-3");
  for (const char* bad : {"", "a", "3-1", "1-", "-1", "9999"}) {
    absl::StatusOr<std::vector<int>> parsed = ParseCpuList(bad, "--cpus");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_TRUE(absl::IsInvalidArgument(parsed.status()));
    EXPECT_TRUE(absl::StartsWith(parsed.status().message(), "--cpus: ")) << parsed.status();
  }
}

// Pinning to a core that is not online is refused naming the flag; pinning
// to the cores this process already has succeeds.
TEST(CpuList, PinRefusesOfflineCores) {
  absl::StatusOr<std::vector<int>> allowed = AllowedCpus();
  ASSERT_TRUE(allowed.ok());
  absl::Status bad = PinProcessToCpus({4000}, "--cpus");
  EXPECT_TRUE(absl::IsInvalidArgument(bad)) << bad;
  EXPECT_TRUE(absl::StartsWith(bad.message(), "--cpus: CPU 4000 is not")) << bad;
  EXPECT_TRUE(PinProcessToCpus(*allowed, "--cpus").ok());
  absl::StatusOr<std::vector<int>> after = AllowedCpus();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, *allowed);
}

}  // namespace
}  // namespace edgenas
