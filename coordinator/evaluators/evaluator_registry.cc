// The evaluation modes the coordinator knows: name -> factory. Adding a mode
// is one line here plus its own .cc.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/evaluators/measure_evaluator.h"
#include "coordinator/evaluators/multi_fidelity_evaluator.h"
#include "coordinator/evaluators/proxy_evaluator.h"
#include "coordinator/evaluators/table_evaluator.h"
#include "coordinator/strategy/strategy.h"

namespace edgenas {
namespace {

// In the order refusals list the modes.
const std::vector<std::pair<std::string, EvaluatorFactory>>& Registry() {
  static const auto* registry = new std::vector<std::pair<std::string, EvaluatorFactory>>{
      {"full_train", [] { return std::make_unique<MeasureEvaluator>("full_train"); }},
      {"flash_distill", [] { return std::make_unique<ProxyEvaluator>("flash_distill"); }},
      {"supernet", [] { return std::make_unique<ProxyEvaluator>("supernet"); }},
      {"multi_fidelity", [] { return std::make_unique<MultiFidelityEvaluator>(); }},
      {"table", [] { return std::make_unique<TableEvaluator>(); }},
  };
  return *registry;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Evaluator>> CreateEvaluator(const v1::JobSpec& spec) {
  const std::string& mode = spec.evaluation().mode();
  const std::string& wanted = mode.empty() ? std::string("full_train") : mode;
  for (const auto& [name, factory] : Registry()) {
    if (name == wanted) return factory();
  }
  std::vector<std::string> known = KnownEvaluators();
  std::sort(known.begin(), known.end());  // this message has always listed them sorted
  return absl::InvalidArgumentError(absl::StrCat("evaluation.mode: unknown evaluator \"", mode,
                                                 "\"; known: ", absl::StrJoin(known, ", ")));
}

std::vector<std::string> KnownEvaluators() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : Registry()) names.push_back(name);
  return names;
}

const JobSpecNames& RegisteredJobSpecNames() {
  static const auto* names = new JobSpecNames{KnownStrategies(), KnownEvaluators()};
  return *names;
}

}  // namespace edgenas
