#include "device_agent/energy/energy_rails.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace edgenas {

const std::vector<std::string>& TotalRailNames() {
  static const auto* const kNames = new std::vector<std::string>{"VDD_IN", "POM_5V_IN"};
  return *kNames;
}

absl::StatusOr<std::vector<size_t>> SelectRails(const std::vector<std::string>& available,
                                               const std::vector<std::string>& requested) {
  const auto find = [&available](const std::string& name) {
    return static_cast<size_t>(std::find(available.begin(), available.end(), name) -
                               available.begin());
  };
  std::vector<size_t> chosen;
  if (!requested.empty()) {
    for (const std::string& name : requested) {
      const size_t i = find(name);
      if (i == available.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("rail \"", name, "\" not found; rails offered: ",
                         available.empty() ? "none" : absl::StrJoin(available, ", ")));
      }
      if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) chosen.push_back(i);
    }
    return chosen;
  }
  for (const std::string& total : TotalRailNames()) {
    if (const size_t i = find(total); i < available.size()) return std::vector<size_t>{i};
  }
  for (size_t i = 0; i < available.size(); ++i) {
    if (available[i] != "NC") chosen.push_back(i);
  }
  if (chosen.empty()) return absl::UnavailableError("no connected power rails");
  return chosen;
}

std::string DescribeRails(const std::vector<std::string>& names) {
  constexpr size_t kShown = 4;
  if (names.size() <= kShown) return absl::StrJoin(names, "+");
  return absl::StrCat(absl::StrJoin(names.begin(), names.begin() + kShown, "+"), "+",
                      names.size() - kShown, " more");
}

}  // namespace edgenas
