// StrategyParams: typed reads of StrategyOptions::params (text values from
// the job spec's strategy.params map) with defaults and ranges. Every error
// is INVALID_ARGUMENT naming "strategy.params.<key>".
#ifndef EDGENAS_COORDINATOR_STRATEGY_STRATEGY_PARAMS_H_
#define EDGENAS_COORDINATOR_STRATEGY_STRATEGY_PARAMS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgenas {

class StrategyParams {
 public:
  // Keeps a reference: `params` must outlive this object.
  explicit StrategyParams(const std::map<std::string, std::string>& params) : params_(params) {}

  // The integer under `key`, `def` when absent; refused outside [lo, hi].
  absl::StatusOr<int> Int(const std::string& key, int def, int lo, int hi) const;
  // The finite number under `key`, `def` when absent; refused outside [lo, hi].
  absl::StatusOr<double> Double(const std::string& key, double def, double lo, double hi) const;
  // One of `choices` (exact match), `def` when absent.
  absl::StatusOr<std::string> Choice(const std::string& key, const std::string& def,
                                     const std::vector<std::string>& choices) const;
  // true/false (also 1/0, yes/no), `def` when absent.
  absl::StatusOr<bool> Bool(const std::string& key, bool def) const;

 private:
  const std::map<std::string, std::string>& params_;
};

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_STRATEGY_STRATEGY_PARAMS_H_
