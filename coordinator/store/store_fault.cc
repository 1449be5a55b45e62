#include "coordinator/store/store_fault.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace edgenas {

absl::Status StoreFaultStatus(const absl::Status& error) {
  constexpr char kNothingStored[] =
      "the coordinator stored nothing of this change and refuses new work until it can "
      "write again; retry later (";
  // Answers already turned into a fault keep their words.
  if (absl::StartsWith(error.message(), "database full: ") ||
      absl::StartsWith(error.message(), "database is read-only: ") ||
      absl::StartsWith(error.message(), "database write failed: ")) {
    return error;
  }
  switch (error.code()) {
    case absl::StatusCode::kResourceExhausted:
      return absl::ResourceExhaustedError(
          absl::StrCat("database full: ", kNothingStored, error.message(), ")"));
    case absl::StatusCode::kPermissionDenied:
      return absl::UnavailableError(
          absl::StrCat("database is read-only: ", kNothingStored, error.message(), ")"));
    default:
      return absl::UnavailableError(
          absl::StrCat("database write failed: ", kNothingStored, error.message(), ")"));
  }
}

}  // namespace edgenas
