#include "bench/search_quality/report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace edgenas {
namespace {

// Value of a curve after `budget` evaluations (its last entry when shorter).
std::optional<double> At(const std::vector<double>& curve, int budget) {
  if (curve.empty()) return std::nullopt;
  return curve[std::min<size_t>(curve.size(), budget) - 1];
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  if (v.empty()) return NAN;
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

std::string Num(std::optional<double> v, int digits) {
  if (!v || !std::isfinite(*v)) return "null";
  return absl::StrFormat("%.*f", digits, *v);
}

bool Reached(const Trace& t, int budget) {
  return t.curve.evals_to_optimum && *t.curve.evals_to_optimum <= budget;
}

std::map<std::string, std::vector<const Trace*>> ByStrategy(const std::vector<Trace>& traces) {
  std::map<std::string, std::vector<const Trace*>> out;
  for (const Trace& t : traces) out[t.strategy].push_back(&t);
  return out;
}

std::string Cell(const std::vector<double>& values, int digits) {
  if (values.empty()) return "–";
  return absl::StrFormat("%.*f (%.*f–%.*f)", digits, Quantile(values, 0.5), digits,
                         Quantile(values, 0.25), digits, Quantile(values, 0.75));
}

}  // namespace

std::string JsonRecords(const TableProblem& problem, const std::vector<Trace>& traces,
                        const std::vector<int>& budgets) {
  std::string out;
  const bool multi = problem.multi_objective();
  for (const Trace& t : traces) {
    for (int b : budgets) {
      const std::optional<double> hv = multi ? At(t.curve.hv_ratio, b) : std::nullopt;
      const std::optional<double> recall = multi ? At(t.curve.front_recall, b) : std::nullopt;
      std::string reached = "null", evals = "null";
      if (!multi) {
        reached = Reached(t, b) ? "true" : "false";
        if (Reached(t, b)) evals = absl::StrCat(*t.curve.evals_to_optimum);
      }
      absl::StrAppend(&out, "{\"strategy\": \"", t.strategy, "\", \"seed\": ", t.seed,
                      ", \"budget\": ", b, ", \"hv_ratio\": ", Num(hv, 6),
                      ", \"front_recall\": ", Num(recall, 4),
                      ", \"best_accuracy\": ", Num(At(t.curve.best_accuracy, b), 4),
                      ", \"reached_optimum\": ", reached, ", \"evals_to_optimum\": ", evals,
                      ", \"evaluations\": ", std::min<size_t>(b, t.curve.best_accuracy.size()),
                      "}\n");
    }
  }
  return out;
}

std::string MarkdownSummary(const TableProblem& problem, const std::vector<Trace>& traces,
                            const std::vector<std::string>& order,
                            const std::vector<int>& budgets) {
  const auto by = ByStrategy(traces);
  std::string header = "| strategy | seeds |";
  std::string rule = "|---|---|";
  for (int b : budgets) {
    absl::StrAppend(&header, " ", b, " |");
    absl::StrAppend(&rule, "---|");
  }
  std::string out;
  auto table = [&](const std::string& title, auto cell) {
    absl::StrAppend(&out, "\n**", title, "**\n\n", header, "\n", rule, "\n");
    for (const std::string& name : order) {
      auto it = by.find(name);
      if (it == by.end()) continue;
      absl::StrAppend(&out, "| ", name, " | ", it->second.size(), " |");
      for (int b : budgets) absl::StrAppend(&out, " ", cell(it->second, b), " |");
      absl::StrAppend(&out, "\n");
    }
  };
  auto collect = [](const std::vector<const Trace*>& ts, int b, auto get) {
    std::vector<double> v;
    for (const Trace* t : ts) {
      if (auto x = At(get(*t), b)) v.push_back(*x);
    }
    return v;
  };
  if (problem.multi_objective()) {
    table("Hypervolume ratio: median (IQR)", [&](const auto& ts, int b) {
      return Cell(collect(ts, b, [](const Trace& t) { return t.curve.hv_ratio; }), 4);
    });
    table("Front recall: median (IQR)", [&](const auto& ts, int b) {
      return Cell(collect(ts, b, [](const Trace& t) { return t.curve.front_recall; }), 3);
    });
  }
  table("Best accuracy: median (IQR)", [&](const auto& ts, int b) {
    return Cell(collect(ts, b, [](const Trace& t) { return t.curve.best_accuracy; }), 3);
  });
  if (!problem.multi_objective()) {
    table("Share of seeds that evaluated the optimum", [&](const auto& ts, int b) {
      int hit = 0;
      for (const Trace* t : ts) hit += Reached(*t, b) ? 1 : 0;
      return absl::StrFormat("%.2f", static_cast<double>(hit) / ts.size());
    });
    absl::StrAppend(&out, "\n**Distinct evaluations to reach the optimum** (median, p90 over "
                          "seeds; unreached seeds count as never)\n\n| strategy | median | p90 |\n|---|---|---|\n");
    for (const std::string& name : order) {
      auto it = by.find(name);
      if (it == by.end()) continue;
      std::vector<double> v;
      for (const Trace* t : it->second) {
        v.push_back(t->curve.evals_to_optimum ? *t->curve.evals_to_optimum : INFINITY);
      }
      auto show = [](double x) {
        return std::isfinite(x) ? absl::StrFormat("%.0f", x) : std::string("not reached");
      };
      std::sort(v.begin(), v.end());
      // Order statistics (no interpolation across "never").
      const double med = v[(v.size() - 1) / 2];
      const double p90 = v[std::min(v.size() - 1, static_cast<size_t>(std::ceil(0.9 * v.size())) - 1)];
      absl::StrAppend(&out, "| ", name, " | ", show(med), " | ", show(p90), " |\n");
    }
  }
  return out;
}

std::string SvgPlot(const TableProblem& problem, const std::vector<Trace>& traces,
                    const std::vector<std::string>& order, int max_budget,
                    const std::string& title) {
  const auto by = ByStrategy(traces);
  const bool multi = problem.multi_objective();
  // Median curve per strategy.
  std::map<std::string, std::vector<double>> medians;
  double lo = INFINITY, hi = -INFINITY;
  for (const std::string& name : order) {
    auto it = by.find(name);
    if (it == by.end()) continue;
    std::vector<double>& m = medians[name];
    for (int k = 1; k <= max_budget; ++k) {
      std::vector<double> v;
      for (const Trace* t : it->second) {
        if (auto x = At(multi ? t->curve.hv_ratio : t->curve.best_accuracy, k)) v.push_back(*x);
      }
      if (v.empty()) break;
      m.push_back(Quantile(v, 0.5));
    }
    // The y range leaves out the first tenth of the budget, where every
    // strategy is still sampling and the curves would flatten the rest.
    for (size_t k = m.size() / 10; k < m.size(); ++k) {
      lo = std::min(lo, m[k]);
      hi = std::max(hi, m[k]);
    }
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) hi = lo + 1e-3;
  const double pad = 0.05 * (hi - lo);
  lo -= pad;
  hi += pad;
  const int w = 820, h = 520, left = 80, right = 200, top = 40, bottom = 60;
  const double pw = w - left - right, ph = h - top - bottom;
  auto px = [&](double k) { return left + pw * (k - 1) / std::max(1, max_budget - 1); };
  auto py = [&](double v) { return top + ph * (1.0 - (std::clamp(v, lo, hi) - lo) / (hi - lo)); };
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22"};
  std::string svg = absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>\n",
      w, h, left, title);
  absl::StrAppend(&svg, absl::StrFormat("<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" "
                                        "fill=\"none\" stroke=\"#333\"/>\n",
                                        left, top, pw, ph));
  for (int i = 0; i <= 5; ++i) {
    const double v = lo + (hi - lo) * i / 5.0;
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.4g</text>"
                                          "<line x1=\"%d\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" "
                                          "stroke=\"#eee\"/>\n",
                                          left - 6, py(v) + 4, v, left, left + pw, py(v), py(v)));
  }
  for (int i = 0; i <= 6; ++i) {
    const double k = 1 + (max_budget - 1) * i / 6.0;
    absl::StrAppend(&svg, absl::StrFormat("<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n",
                                          px(k), top + ph + 18, k));
  }
  absl::StrAppend(&svg, absl::StrFormat(
                            "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">distinct evaluations"
                            "</text>\n<text x=\"16\" y=\"%.0f\" transform=\"rotate(-90 16 %.0f)\" "
                            "text-anchor=\"middle\">median %s</text>\n",
                            left + pw / 2, h - 16, top + ph / 2, top + ph / 2,
                            multi ? "hypervolume ratio" : "best accuracy"));
  int i = 0;
  for (const std::string& name : order) {
    auto it = medians.find(name);
    if (it == medians.end() || it->second.empty()) continue;
    const char* color = kColors[i % 10];
    std::string points;
    for (size_t k = 0; k < it->second.size(); ++k) {
      absl::StrAppend(&points, absl::StrFormat("%.1f,%.1f ", px(k + 1), py(it->second[k])));
    }
    const bool peer = name.rfind("optuna_", 0) == 0;
    absl::StrAppend(&svg, absl::StrFormat("<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
                                          "points=\"%s\"/>\n",
                                          color, peer ? " stroke-dasharray=\"6 4\"" : "", points));
    const double ly = top + 10 + 20 * i;
    absl::StrAppend(&svg, absl::StrFormat("<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" "
                                          "stroke=\"%s\" stroke-width=\"2\"%s/><text x=\"%.0f\" "
                                          "y=\"%.0f\">%s</text>\n",
                                          left + pw + 12, left + pw + 40, ly, ly, color,
                                          peer ? " stroke-dasharray=\"6 4\"" : "", left + pw + 46,
                                          ly + 4, name));
    ++i;
  }
  absl::StrAppend(&svg, "</svg>\n");
  return svg;
}

}  // namespace edgenas
