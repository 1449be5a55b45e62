// WriteFileAtomically: replace a file's contents so that a reader sees the
// old file or the new one, never a partial write.
#ifndef EDGENAS_COMMON_ATOMIC_FILE_H_
#define EDGENAS_COMMON_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace edgenas {

// Writes `bytes` to "<path>.tmp.<pid>" and renames it over `path` (the
// folder must exist). INTERNAL "cannot write <tmp>" or "cannot rename <tmp>
// to <path>" on failure, with the temporary file removed.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view bytes);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_ATOMIC_FILE_H_
