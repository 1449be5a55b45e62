#include "device_agent/profile/space_options_flag.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace edgenas {

absl::StatusOr<std::map<std::string, std::string>> ParseSpaceOptionsFlag(absl::string_view text) {
  std::map<std::string, std::string> options;
  for (absl::string_view entry : absl::StrSplit(text, ';', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const std::vector<absl::string_view> kv = absl::StrSplit(entry, absl::MaxSplits('=', 1));
    const absl::string_view key = kv.size() == 2 ? absl::StripAsciiWhitespace(kv[0]) : "";
    const absl::string_view value = kv.size() == 2 ? absl::StripAsciiWhitespace(kv[1]) : "";
    if (key.empty() || value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--space_options: expected key=value entries separated by ';' (e.g. "
                       "\"widths=75,100;depths=2,3\"), got \"",
                       absl::CHexEscape(entry.substr(0, 64)), "\""));
    }
    if (!options.emplace(std::string(key), std::string(value)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("--space_options: ", key, " is given twice"));
    }
  }
  return options;
}

}  // namespace edgenas
