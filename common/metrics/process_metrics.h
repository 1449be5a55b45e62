// Process metrics every edgenas binary exports (read from /proc at scrape
// time): CPU seconds used, resident memory, threads, start time. A
// worker's CPU utilisation is rate(edgenas_process_cpu_seconds_total) over
// its --threads.
#ifndef EDGENAS_COMMON_METRICS_PROCESS_METRICS_H_
#define EDGENAS_COMMON_METRICS_PROCESS_METRICS_H_

#include <vector>

#include "prometheus/metric_family.h"

namespace edgenas {

// The families for this process; empty where /proc is not readable.
std::vector<prometheus::MetricFamily> ProcessFamilies();

}  // namespace edgenas

#endif  // EDGENAS_COMMON_METRICS_PROCESS_METRICS_H_
