#include "cli/front_plot.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/front_format.h"
#include "common/metric_names.h"

namespace edgenas {
namespace {

constexpr double kWidth = 760, kHeight = 520;
constexpr double kLeft = 80, kRight = 200, kTop = 50, kBottom = 70;  // margins; legend right

std::string Unit(const std::string& metric) {
  if (metric == kMetricAccuracy) return "%";
  if (metric == kMetricLatencyMs || metric == kMetricLatencyP90Ms) return "ms";
  if (metric == kMetricEnergyMj) return "mJ";
  if (metric == kMetricTrainSeconds) return "s";
  if (metric == kMetricParams) return "parameters";
  if (metric == kMetricFlops) return "FLOPs";
  return "";
}

// Accuracy is plotted in percent, everything else as stored.
double Scale(const std::string& metric) { return metric == kMetricAccuracy ? 100.0 : 1.0; }

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

struct Axis {
  std::string metric, device_class;
};

// The value of `axis` from a source of kind `kind` ("" any but full_train
// first: the value the search ranked by).
std::optional<double> Value(const v1::Candidate& c, const Axis& axis, bool full_train) {
  std::optional<double> any, chosen;
  for (const v1::Metric& m : c.metrics()) {
    if (m.name() != axis.metric) continue;
    if (!axis.device_class.empty() && !m.device_class().empty() &&
        m.device_class() != axis.device_class) {
      continue;
    }
    const bool is_full = SourceKind(m.source()) == "full_train";
    if (is_full == full_train) chosen = m.value() * Scale(axis.metric);
    any = m.value() * Scale(axis.metric);
  }
  return full_train ? chosen : (chosen ? chosen : any);
}

std::string Num(double v) {
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a >= 1e6) return absl::StrFormat("%.3gM", v / 1e6);
  if (a >= 1e4) return absl::StrFormat("%.3gk", v / 1e3);
  return absl::StrFormat("%g", std::round(v * 1e6) / 1e6);
}

// The kind of a source for the legend: the method of a worker
// ("worker:flash_distill:cpu" -> "flash_distill"), else its first field
// ("table:<column>" -> "table"; the column can be long).
std::string PlotKind(const std::string& source) {
  if (absl::StartsWith(source, "worker:")) return SourceKind(source);
  return source.substr(0, source.find(':'));
}

// The source kind of the value the search ranked by, e.g. "flash_distill".
std::string RankingKind(const std::vector<v1::Candidate>& cs, const Axis& axis) {
  std::map<std::string, int> kinds;
  for (const v1::Candidate& c : cs) {
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() == axis.metric && SourceKind(m.source()) != "full_train") {
        ++kinds[PlotKind(m.source())];
      }
    }
  }
  if (kinds.empty()) return "full_train";
  return std::max_element(kinds.begin(), kinds.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

}  // namespace

std::string AxisLabel(const std::string& metric, const std::string& device_class) {
  std::string label = metric;
  if (!device_class.empty() && IsDeviceMetric(metric)) absl::StrAppend(&label, " on ", device_class);
  const std::string unit = Unit(metric);
  if (!unit.empty()) absl::StrAppend(&label, " (", unit, ")");
  return label;
}

std::vector<double> NiceTicks(double lo, double hi, int count) {
  if (!(hi > lo)) return {lo};
  const double raw = (hi - lo) / std::max(1, count);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

absl::StatusOr<std::string> RenderFrontSvg(const v1::ParetoFront& front,
                                           const std::vector<v1::Candidate>& candidates) {
  if (front.objectives().empty()) {
    return absl::InvalidArgumentError("the job has no objectives to plot");
  }
  const Axis y{front.objectives(0).metric(), front.objectives(0).device_class()};
  const Axis x = front.objectives_size() > 1
                     ? Axis{front.objectives(1).metric(), front.objectives(1).device_class()}
                     : Axis{kMetricParams, ""};
  // Front members carry their latest metrics (finalists' full training).
  std::map<std::string, v1::Candidate> by_id;
  for (const v1::Candidate& c : candidates) by_id[c.id()] = c;
  std::set<std::string> on_front;
  for (const v1::Candidate& c : front.candidates()) {
    by_id[c.id()] = c;
    on_front.insert(c.id());
  }
  struct Point {
    double x, y;
    std::optional<double> full_y;  // full-training value of the y metric
    bool front;
  };
  std::vector<Point> points;
  for (const auto& [id, c] : by_id) {
    if (c.state() != v1::CANDIDATE_DONE && !on_front.count(id)) continue;
    const auto vx = Value(c, x, /*full_train=*/false);
    const auto vy = Value(c, y, /*full_train=*/false);
    if (!vx || !vy) continue;
    points.push_back({*vx, *vy, Value(c, y, /*full_train=*/true), on_front.count(id) > 0});
  }
  if (points.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no candidate has both ", x.metric, " and ",
                                                   y.metric, " yet"));
  }
  const std::string kind = RankingKind(candidates, y);
  const bool proxy = kind != "full_train";
  double x_lo = points[0].x, x_hi = x_lo, y_lo = points[0].y, y_hi = y_lo;
  for (const Point& p : points) {
    x_lo = std::min(x_lo, p.x), x_hi = std::max(x_hi, p.x);
    y_lo = std::min(y_lo, p.y), y_hi = std::max(y_hi, p.y);
    if (p.full_y) y_lo = std::min(y_lo, *p.full_y), y_hi = std::max(y_hi, *p.full_y);
  }
  auto pad = [](double* lo, double* hi) {
    const double span = *hi - *lo > 0 ? *hi - *lo : std::max(std::fabs(*hi), 1.0);
    *lo -= 0.05 * span;
    *hi += 0.05 * span;
  };
  pad(&x_lo, &x_hi);
  pad(&y_lo, &y_hi);
  const double pw = kWidth - kLeft - kRight, ph = kHeight - kTop - kBottom;
  auto sx = [&](double v) { return kLeft + (v - x_lo) / (x_hi - x_lo) * pw; };
  auto sy = [&](double v) { return kTop + ph - (v - y_lo) / (y_hi - y_lo) * ph; };

  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" "
      "viewBox=\"0 0 %g %g\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
      kWidth, kHeight, kWidth, kHeight);
  absl::StrAppend(&svg, "<text x=\"", kLeft, "\" y=\"28\" font-size=\"15\" font-weight=\"bold\">",
                  Escape(absl::StrCat("Pareto front of ", front.job_id(), ": ",
                                      front.candidates_size(), " of ", points.size(),
                                      " candidates, hypervolume ",
                                      absl::StrFormat("%.4f", front.hypervolume()))),
                  "</text>\n");
  // Grid, ticks and axis labels.
  for (double t : NiceTicks(x_lo, x_hi)) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"%g\" x2=\"%.1f\" y2=\"%g\" stroke=\"#e5e5e5\"/>\n"
                          "<text x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
                          sx(t), kTop, sx(t), kTop + ph, sx(t), kTop + ph + 18, Escape(Num(t)));
  }
  for (double t : NiceTicks(y_lo, y_hi)) {
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%g\" y1=\"%.1f\" x2=\"%g\" y2=\"%.1f\" stroke=\"#e5e5e5\"/>\n"
                          "<text x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                          kLeft, sy(t), kLeft + pw, sy(t), kLeft - 8, sy(t) + 4, Escape(Num(t)));
  }
  absl::StrAppendFormat(&svg,
                        "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
                        "stroke=\"#333\"/>\n",
                        kLeft, kTop, pw, ph);
  absl::StrAppendFormat(&svg,
                        "<text class=\"x-label\" x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n",
                        kLeft + pw / 2, kHeight - 25, Escape(AxisLabel(x.metric, x.device_class)));
  absl::StrAppendFormat(&svg,
                        "<text class=\"y-label\" transform=\"translate(22,%g) rotate(-90)\" "
                        "text-anchor=\"middle\">%s</text>\n",
                        kTop + ph / 2, Escape(AxisLabel(y.metric, y.device_class)));
  // All candidates, then the front (joined in x order), then full training.
  for (const Point& p : points) {
    if (p.front) continue;
    absl::StrAppendFormat(&svg,
                          "<circle class=\"candidate\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                          "fill=\"#9e9e9e\" fill-opacity=\"0.6\"/>\n",
                          sx(p.x), sy(p.y));
  }
  std::vector<Point> members;
  for (const Point& p : points) {
    if (p.front) members.push_back(p);
  }
  std::sort(members.begin(), members.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
  if (members.size() > 1) {
    std::string path;
    for (const Point& p : members) absl::StrAppendFormat(&path, "%.1f,%.1f ", sx(p.x), sy(p.y));
    absl::StrAppend(&svg, "<polyline points=\"", path,
                    "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\"/>\n");
  }
  int finalists = 0;
  for (const Point& p : members) {
    absl::StrAppendFormat(&svg,
                          "<circle class=\"front\" cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"#1565c0\" "
                          "stroke=\"white\"/>\n",
                          sx(p.x), sy(p.y));
    if (proxy && p.full_y) {
      ++finalists;
      const double fx = sx(p.x), fy = sy(*p.full_y);
      absl::StrAppendFormat(
          &svg,
          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e65100\" "
          "stroke-dasharray=\"3,2\"/>\n<path class=\"full-train\" d=\"M%.1f %.1f l6 6 l-6 6 "
          "l-6 -6 z\" fill=\"#e65100\"/>\n",
          sx(p.x), sy(p.y), fx, fy, fx, fy - 6);
    }
  }
  // Legend.
  const double lx = kLeft + pw + 20;
  double ly = kTop + 10;
  auto legend = [&](const std::string& marker, const std::string& text) {
    absl::StrAppend(&svg, marker, "<text x=\"", lx + 16, "\" y=\"", ly + 4, "\">", Escape(text),
                    "</text>\n");
    ly += 22;
  };
  legend(absl::StrFormat("<circle cx=\"%g\" cy=\"%g\" r=\"3\" fill=\"#9e9e9e\"/>", lx + 4, ly),
         absl::StrCat("candidate (", kind, ")"));
  legend(absl::StrFormat("<circle cx=\"%g\" cy=\"%g\" r=\"5\" fill=\"#1565c0\"/>", lx + 4, ly),
         absl::StrCat("Pareto front (", kind, ")"));
  if (finalists > 0) {
    legend(absl::StrFormat("<path d=\"M%g %g l6 6 l-6 6 l-6 -6 z\" fill=\"#e65100\"/>", lx + 4,
                           ly - 6),
           "full training (finalist)");
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace edgenas
