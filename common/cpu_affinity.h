// CPU lists ("0", "2-3", "0,2-3") and pinning a process to them with
// sched_setaffinity, for agents that must measure on fixed cores and for
// workers that must stay off those cores.
#ifndef EDGENAS_COMMON_CPU_AFFINITY_H_
#define EDGENAS_COMMON_CPU_AFFINITY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

// Parses a Linux CPU list (comma-separated numbers and inclusive ranges,
// the format of /sys/devices/system/cpu/online) into sorted, distinct CPU
// numbers. INVALID_ARGUMENT starting with `what` (e.g. "--cpus") for an
// empty list, a malformed entry, a reversed range or a CPU >= 4096.
absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text, absl::string_view what);

// The canonical text of sorted CPU numbers: ranges collapsed, e.g.
// {0, 1, 2, 5} -> "0-2,5"; "" for none.
std::string FormatCpuList(const std::vector<int>& cpus);

// The CPUs the kernel lists as online under `sys_root`
// (<sys_root>/devices/system/cpu/online; "/sys" on a real machine).
absl::StatusOr<std::vector<int>> OnlineCpus(const std::string& sys_root = "/sys");

// The CPUs this process may run on (sched_getaffinity of the calling thread).
absl::StatusOr<std::vector<int>> AllowedCpus();

// Pins every thread of this process (and so every thread created later)
// to `cpus`. INVALID_ARGUMENT starting with `what` when a CPU is not online
// or not allowed to this process (e.g. outside its cgroup cpuset);
// INTERNAL when the kernel refuses.
absl::Status PinProcessToCpus(const std::vector<int>& cpus, absl::string_view what,
                              const std::string& sys_root = "/sys");

}  // namespace edgenas

#endif  // EDGENAS_COMMON_CPU_AFFINITY_H_
