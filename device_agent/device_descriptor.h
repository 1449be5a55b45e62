// What a device agent measures on, as a v1::DeviceDescriptor: CPU model,
// online cores, cpufreq governor of the measuring cores, memory, machine and
// kernel, accelerator (Jetson GPU, Intel NPU, NVIDIA GPU device nodes),
// runner and its version, affinity, threads, energy meter, and whether the
// agent runs emulated (qemu-user). Sent at registration and stored with
// every measurement. All files are read below configurable roots so that
// tests use a fake /proc, /sys and /dev tree; what cannot be read stays
// empty (unknown), never guessed.
#ifndef EDGENAS_DEVICE_AGENT_DEVICE_DESCRIPTOR_H_
#define EDGENAS_DEVICE_AGENT_DEVICE_DESCRIPTOR_H_

#include <map>
#include <string>
#include <vector>

#include "edgenas/v1/common.pb.h"

namespace edgenas {

struct DeviceProbeOptions {
  std::string proc_root = "/proc";
  std::string sys_root = "/sys";
  std::string dev_root = "/dev";
  std::string device_class;
  std::string runner;          // e.g. "libtorch-cpu"
  std::string runner_version;  // e.g. "libtorch 1.13.0"
  std::vector<int> cpus;       // pinned cores; empty = not pinned
  int threads = 0;
  std::string energy_meter;    // e.g. "rapl(1 package)"; "" = none
  // -1: detect (QEMU_* environment, or a machine that differs from what
  // /proc/cpuinfo describes); 0 / 1: the operator says so (--emulated).
  int emulated = -1;
  // The environment to look for QEMU_* variables in; empty = this process's.
  std::map<std::string, std::string> environment;
  bool use_process_environment = true;
  // uname machine and release; empty = this process's uname().
  std::string machine;
  std::string kernel;
};

// The CPU model from /proc/cpuinfo text: "model name" (x86 and some ARM
// kernels), else the ARM core named from "CPU implementer" 0x41 and "CPU
// part" (e.g. 0xd0b -> "Cortex-A76"; unknown parts as "ARM part 0x..."),
// else "Hardware"/"Processor"; "" when none is present.
std::string CpuModelFromCpuinfo(const std::string& cpuinfo);

// MemTotal from /proc/meminfo text, in bytes; 0 when absent.
int64_t MemoryBytesFromMeminfo(const std::string& meminfo);

// The instruction-set family /proc/cpuinfo text describes: "x86" (vendor_id
// or flags), "arm" (CPU implementer / Features), or "" when unclear.
std::string CpuinfoFamily(const std::string& cpuinfo);

// True when `machine` (uname) belongs to another family than `cpuinfo`
// describes: qemu-user reports the guest's machine but passes the host's
// /proc/cpuinfo through. False when either side is unclear.
bool MachineContradictsCpuinfo(const std::string& machine, const std::string& cpuinfo);

// The cpufreq governor of `cpus` (all online CPUs when empty) under
// sys_root: the common value, "cpuN:gov,..." when they differ, "" when none
// is readable.
std::string GovernorOf(const std::vector<int>& cpus, const std::string& sys_root);

// The accelerator, if a known one is present: a Jetson GPU (nvhost/nvgpu
// device nodes; named after /proc/device-tree/model), an accel-class NPU
// (/dev/accel/accelN with its driver), an NVIDIA GPU (/dev/nvidia0); "".
std::string DetectAccelerator(const DeviceProbeOptions& options);

// Everything above put together.
v1::DeviceDescriptor DescribeDevice(const DeviceProbeOptions& options);

// One line for logs: "cpu: Cortex-A76, 4 cores (pinned 1, 1 thread),
// governor performance, 8.0 GiB, aarch64 6.1.0, runner libtorch-cpu
// (libtorch 1.13.0), emulated".
std::string DescribeDeviceLine(const v1::DeviceDescriptor& device);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_DEVICE_DESCRIPTOR_H_
