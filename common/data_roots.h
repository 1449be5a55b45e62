// Data roots: the folders an executor may read job-named files from (a
// dataset directory, a results table). A job spec comes from whoever can
// submit jobs; a path in it is resolved ("..", and symlinks of the parts
// that exist) and must lie inside one of the executor's configured roots,
// so a spec cannot make a worker read /etc or a user's home.
#ifndef EDGENAS_COMMON_DATA_ROOTS_H_
#define EDGENAS_COMMON_DATA_ROOTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace edgenas {

// Where workers read data unless told otherwise (--data_root).
inline constexpr char kDefaultDataRoots[] = "/usr/share/datasets";

// Parses a comma-separated list of absolute folders into their canonical
// forms (a folder that does not exist yet is kept, normalised).
// INVALID_ARGUMENT naming `flag` when the list is empty or a folder is
// relative.
absl::StatusOr<std::vector<std::string>> ParseDataRoots(absl::string_view list,
                                                        absl::string_view flag);

// OK when `path` resolves inside one of `roots` (canonical, from
// ParseDataRoots); PERMISSION_DENIED naming `field`, the resolved path and
// the roots otherwise. A relative path is refused: the worker's working
// directory is nobody's business.
absl::Status CheckUnderDataRoots(const std::string& path, const std::vector<std::string>& roots,
                                 absl::string_view field);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_DATA_ROOTS_H_
