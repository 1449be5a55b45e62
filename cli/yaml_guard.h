// A pre-scan of job-spec YAML that refuses, with the line and column, the
// few constructs that make yaml-cpp 0.7 (Debian 12) loop forever or recurse
// without bound, before yaml-cpp sees the text. Found by fuzz/
// job_spec_fuzzer: a ',' outside a flow collection where a node begins
// (e.g. a document starting with ',', or `"x" , y`) never returns.
// Everything a job spec needs passes; the rules are deliberately narrow.
#ifndef EDGENAS_CLI_YAML_GUARD_H_
#define EDGENAS_CLI_YAML_GUARD_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace edgenas {

// Largest job-spec file the CLI reads.
inline constexpr size_t kMaxJobSpecYamlBytes = 1 << 20;

// INVALID_ARGUMENT naming the line and column for: more than
// kMaxJobSpecYamlBytes; a control character (YAML allows none but tab, CR
// and LF); a tag, anchor, alias or directive (a job spec needs none); a ',' outside [...] / {...} (and outside quotes,
// comments and block scalars) that starts a token; anything but ':' after
// a quoted value outside [...] / {...}; flow collections nested deeper than 32; a line indented more than
// 128 columns or opening more than 32 block sequences.
absl::Status CheckYamlGuards(std::string_view text);

}  // namespace edgenas

#endif  // EDGENAS_CLI_YAML_GUARD_H_
