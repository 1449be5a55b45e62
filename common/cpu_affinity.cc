#include "common/cpu_affinity.h"

#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/field_error.h"

namespace edgenas {
namespace {

constexpr int kMaxCpu = 4096;

absl::StatusOr<int> ParseCpu(absl::string_view text, absl::string_view list,
                             absl::string_view what) {
  int cpu = 0;
  if (!absl::SimpleAtoi(text, &cpu) || cpu < 0 || cpu >= kMaxCpu) {
    return FieldError(what, absl::StrCat("\"", list, "\": \"", text,
                                         "\" is not a CPU number in [0, ", kMaxCpu, ")"));
  }
  return cpu;
}

}  // namespace

absl::StatusOr<std::vector<int>> ParseCpuList(absl::string_view text, absl::string_view what) {
  const absl::string_view list = absl::StripAsciiWhitespace(text);
  if (list.empty()) return FieldError(what, "empty CPU list (e.g. \"1\" or \"2-3\")");
  std::set<int> cpus;
  for (absl::string_view entry : absl::StrSplit(list, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t dash = entry.find('-');
    if (dash == absl::string_view::npos) {
      absl::StatusOr<int> cpu = ParseCpu(entry, list, what);
      if (!cpu.ok()) return cpu.status();
      cpus.insert(*cpu);
      continue;
    }
    absl::StatusOr<int> first = ParseCpu(entry.substr(0, dash), list, what);
    if (!first.ok()) return first.status();
    absl::StatusOr<int> last = ParseCpu(entry.substr(dash + 1), list, what);
    if (!last.ok()) return last.status();
    if (*last < *first) {
      return FieldError(what, absl::StrCat("\"", list, "\": range \"", entry, "\" runs backwards"));
    }
    for (int c = *first; c <= *last; ++c) cpus.insert(c);
  }
  return std::vector<int>(cpus.begin(), cpus.end());
}

std::string FormatCpuList(const std::vector<int>& cpus) {
  std::vector<int> sorted = cpus;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<std::string> parts;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    parts.push_back(j == i ? absl::StrCat(sorted[i]) : absl::StrCat(sorted[i], "-", sorted[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ",");
}

absl::StatusOr<std::vector<int>> OnlineCpus(const std::string& sys_root) {
  const std::string path = sys_root + "/devices/system/cpu/online";
  std::ifstream in(path);
  std::string text;
  if (!in || !std::getline(in, text)) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  return ParseCpuList(text, path);
}

absl::StatusOr<std::vector<int>> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(absl::StrCat("sched_getaffinity: ", std::strerror(errno)));
  }
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

absl::Status PinProcessToCpus(const std::vector<int>& cpus, absl::string_view what,
                              const std::string& sys_root) {
  if (cpus.empty()) return FieldError(what, "empty CPU list");
  absl::StatusOr<std::vector<int>> online = OnlineCpus(sys_root);
  absl::StatusOr<std::vector<int>> allowed = AllowedCpus();
  if (!allowed.ok()) return allowed.status();
  for (int c : cpus) {
    if (online.ok() && !std::binary_search(online->begin(), online->end(), c)) {
      return FieldError(
          what, absl::StrCat("CPU ", c, " is not online (online: ", FormatCpuList(*online), ")"));
    }
    if (!std::binary_search(allowed->begin(), allowed->end(), c)) {
      return FieldError(what,
                        absl::StrCat("CPU ", c, " is not available to this process (allowed: ",
                                     FormatCpuList(*allowed), ")"));
    }
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  // sched_setaffinity applies to one thread: pin every existing thread,
  // the calling one last (threads created later inherit its mask).
  if (DIR* dir = opendir("/proc/self/task")) {
    const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
    while (dirent* entry = readdir(dir)) {
      int tid = 0;
      if (!absl::SimpleAtoi(entry->d_name, &tid) || tid == self) continue;
      sched_setaffinity(tid, sizeof(set), &set);  // a thread may have ended: ignore
    }
    closedir(dir);
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) {
    return absl::InternalError(
        absl::StrCat(what, ": sched_setaffinity(", FormatCpuList(cpus), "): ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace edgenas
