// `edgenas pareto JOB --plot FILE.svg`: a scatter plot of every evaluated
// candidate with the Pareto front highlighted, as standalone SVG (no
// dependencies; opens in any browser). Axes are labelled with the metric,
// its device class and its unit; values from proxies (flash_distill,
// supernet, table) and from full training are drawn with different markers,
// and a finalist's proxy and full-training points are joined by a line.
#ifndef EDGENAS_CLI_FRONT_PLOT_H_
#define EDGENAS_CLI_FRONT_PLOT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "edgenas/v1/search_service.pb.h"

namespace edgenas {

// The axis label of a metric, e.g. "latency_ms on rpi5 (ms)", "accuracy (%)".
std::string AxisLabel(const std::string& metric, const std::string& device_class);

// The SVG document. `front` gives the objectives and the front's members
// (with their latest metrics); `candidates` every candidate of the job
// (SearchService.ListCandidates). The y axis is the first objective, the x axis the
// second (params when there is one objective). INVALID_ARGUMENT when no
// candidate has both values.
absl::StatusOr<std::string> RenderFrontSvg(const v1::ParetoFront& front,
                                           const std::vector<v1::Candidate>& candidates);

// "Nice" tick values covering [lo, hi] (about `count` of them, steps of
// 1, 2 or 5 times a power of ten).
std::vector<double> NiceTicks(double lo, double hi, int count = 5);

}  // namespace edgenas

#endif  // EDGENAS_CLI_FRONT_PLOT_H_
