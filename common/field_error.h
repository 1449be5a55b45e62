// One way to refuse a bad field: INVALID_ARGUMENT whose message starts with
// the field's path ("job.latency.threads: must be in [1, 1024], got 0"), so
// every validator in the project names what was wrong the same way.
#ifndef EDGENAS_COMMON_FIELD_ERROR_H_
#define EDGENAS_COMMON_FIELD_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace edgenas {

// INVALID_ARGUMENT "<field>: <why>".
inline absl::Status FieldError(absl::string_view field, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

// `status` with "<prefix>." before its message (same code), e.g. to place
// a space-level error ("space.name: ...") inside a job ("job.space.name: ...").
inline absl::Status PrefixFieldError(absl::string_view prefix, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, ".", status.message()));
}

}  // namespace edgenas

#endif  // EDGENAS_COMMON_FIELD_ERROR_H_
