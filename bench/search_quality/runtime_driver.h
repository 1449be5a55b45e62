// RunSearch: one edgenas search over a TableProblem through the job runtime
// the coordinator uses (coordinator/job_runtime.h): a real normalised job
// spec with the "table" evaluator, JobRuntime::Fill asking the strategy and
// deduplicating by canonical key, every task answered from the table,
// checked by ValidateReport and recorded by RecordTaskResult. Only the RPC,
// storage and executors are left out, so thousands of searches fit in
// minutes. Sequential (parallelism 1), like the Optuna peers.
#ifndef EDGENAS_BENCH_SEARCH_QUALITY_RUNTIME_DRIVER_H_
#define EDGENAS_BENCH_SEARCH_QUALITY_RUNTIME_DRIVER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench/search_quality/table_problem.h"

namespace edgenas {

struct SearchRun {
  std::string strategy;                       // job-spec strategy name
  std::map<std::string, std::string> params;  // strategy.params
  uint64_t seed = 0;
  int budget = 0;                             // distinct evaluations
  std::string table_path;
  std::string arch_column;
  std::string accuracy_column;
  std::string latency_column;                 // "" = single objective
};

// The table rows evaluated, in order (at most run.budget). Errors: a bad
// spec or strategy (INVALID_ARGUMENT naming the field), a suggested
// architecture missing from the table (NOT_FOUND), a refused report.
absl::StatusOr<std::vector<int>> RunSearch(const TableProblem& problem, const SearchRun& run);

}  // namespace edgenas

#endif  // EDGENAS_BENCH_SEARCH_QUALITY_RUNTIME_DRIVER_H_
