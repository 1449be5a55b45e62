#include "common/metrics/process_metrics.h"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace edgenas {
namespace {

prometheus::MetricFamily One(const char* name, const char* help, prometheus::MetricType type,
                             double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessFamilies() {
  std::vector<prometheus::MetricFamily> out;
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (!std::getline(stat, line)) return out;
  // Fields after the command name (which may hold spaces) in parentheses.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(line.substr(close + 2));
  std::string f[22];
  for (int i = 0; i < 22 && fields >> f[i]; ++i) {
  }
  // f[0] is field 3 (state): utime 14, stime 15, num_threads 20, starttime 22, rss 24.
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out.push_back(One("edgenas_process_cpu_seconds_total", "User and system CPU time of the process",
                    prometheus::MetricType::Counter, cpu));
  out.push_back(One("edgenas_process_threads", "Threads of the process",
                    prometheus::MetricType::Gauge, std::stod(f[17])));
  out.push_back(One("edgenas_process_resident_memory_bytes", "Resident memory of the process",
                    prometheus::MetricType::Gauge, std::stod(f[21]) * page));
  std::ifstream uptime("/proc/uptime");
  double up = 0;
  if (uptime >> up) {
    const double boot = static_cast<double>(time(nullptr)) - up;
    out.push_back(One("edgenas_process_start_time_seconds",
                      "Start time of the process since the Unix epoch",
                      prometheus::MetricType::Gauge, boot + std::stod(f[19]) / ticks));
  }
  return out;
}

}  // namespace edgenas
