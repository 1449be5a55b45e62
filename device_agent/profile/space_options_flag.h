// The --space_options flag of `edgenas-agent profile` and the latency-table
// bench: a space's options as a job spec's space.options gives them, in one
// flag ("widths=75,100;depths=2,3": entries separated by ';', list values by
// ','). No LibTorch, no protobuf.
#ifndef EDGENAS_DEVICE_AGENT_PROFILE_SPACE_OPTIONS_FLAG_H_
#define EDGENAS_DEVICE_AGENT_PROFILE_SPACE_OPTIONS_FLAG_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

// The key -> value pairs of `text` (surrounding spaces dropped; "" gives
// none). INVALID_ARGUMENT naming --space_options for an entry without '=',
// an empty key or value, or a key given twice. Keys and values are checked
// later, against the space's schema.
absl::StatusOr<std::map<std::string, std::string>> ParseSpaceOptionsFlag(absl::string_view text);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_PROFILE_SPACE_OPTIONS_FLAG_H_
