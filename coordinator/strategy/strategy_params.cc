#include "coordinator/strategy/strategy_params.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/field_error.h"

namespace edgenas {
namespace {

// FieldError for a strategy setting: "strategy.params.<key>: <why>".
absl::Status Bad(const std::string& key, const std::string& why) {
  return FieldError(absl::StrCat("strategy.params.", key), why);
}

}  // namespace

absl::StatusOr<int> StrategyParams::Int(const std::string& key, int def, int lo, int hi) const {
  auto it = params_.find(key);
  int value = def;
  if (it != params_.end() && !absl::SimpleAtoi(absl::StripAsciiWhitespace(it->second), &value)) {
    return Bad(key, absl::StrCat("expected an integer, got \"", it->second, "\""));
  }
  if (value < lo || value > hi) {
    return Bad(key, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value));
  }
  return value;
}

absl::StatusOr<double> StrategyParams::Double(const std::string& key, double def, double lo,
                                              double hi) const {
  auto it = params_.find(key);
  double value = def;
  if (it != params_.end() &&
      !absl::SimpleAtod(absl::StripAsciiWhitespace(it->second), &value)) {
    return Bad(key, absl::StrCat("expected a number, got \"", it->second, "\""));
  }
  if (!std::isfinite(value) || value < lo || value > hi) {
    return Bad(key, absl::StrCat("must be in [", lo, ", ", hi, "], got ", value));
  }
  return value;
}

absl::StatusOr<std::string> StrategyParams::Choice(const std::string& key, const std::string& def,
                                                   const std::vector<std::string>& choices) const {
  auto it = params_.find(key);
  const std::string value = it == params_.end() ? def : it->second;
  for (const std::string& c : choices) {
    if (c == value) return value;
  }
  return Bad(key, absl::StrCat("unknown value \"", value, "\"; known: ", absl::StrJoin(choices, ", ")));
}

absl::StatusOr<bool> StrategyParams::Bool(const std::string& key, bool def) const {
  auto it = params_.find(key);
  if (it == params_.end()) return def;
  const std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(it->second));
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return Bad(key, absl::StrCat("expected true or false, got \"", it->second, "\""));
}

}  // namespace edgenas
