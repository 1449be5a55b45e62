// Output of the search-quality benchmark: the per-(strategy, seed, budget)
// JSON records, the Markdown summary (median and interquartile range), and
// the SVG plot of the median curve against evaluations.
#ifndef EDGENAS_BENCH_SEARCH_QUALITY_REPORT_H_
#define EDGENAS_BENCH_SEARCH_QUALITY_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "bench/search_quality/table_problem.h"

namespace edgenas {

// One finished search.
struct Trace {
  std::string strategy;  // job-spec name, or optuna_nsga2 / optuna_tpe / optuna_random
  uint64_t seed = 0;
  TableProblem::Curve curve;
  double seconds = 0.0;
};

// JSON Lines, one record per (trace, budget): strategy, seed, budget,
// hv_ratio, front_recall, best_accuracy, reached_optimum, evals_to_optimum
// (null where they do not apply). A budget past a trace's end uses its end.
std::string JsonRecords(const TableProblem& problem, const std::vector<Trace>& traces,
                        const std::vector<int>& budgets);

// Markdown tables per metric (rows: strategies in `order`; columns: budgets).
std::string MarkdownSummary(const TableProblem& problem, const std::vector<Trace>& traces,
                            const std::vector<std::string>& order, const std::vector<int>& budgets);

// An SVG line plot of the median hypervolume ratio (multi-objective) or best
// accuracy (single) against distinct evaluations, one line per strategy.
std::string SvgPlot(const TableProblem& problem, const std::vector<Trace>& traces,
                    const std::vector<std::string>& order, int max_budget,
                    const std::string& title);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_SEARCH_QUALITY_REPORT_H_
