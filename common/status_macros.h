// RETURN_IF_ERROR / ASSIGN_OR_RETURN: early-return helpers for absl::Status.
#ifndef EDGENAS_COMMON_STATUS_MACROS_H_
#define EDGENAS_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define EDGENAS_CONCAT_INNER_(a, b) a##b
#define EDGENAS_CONCAT_(a, b) EDGENAS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) and returns it from the caller if not ok.
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::absl::Status edgenas_status_ = (expr);           \
    if (!edgenas_status_.ok()) return edgenas_status_; \
  } while (0)

// ASSIGN_OR_RETURN(lhs, rexpr): evaluates the StatusOr `rexpr`; on error
// returns its status from the caller, otherwise moves the value into `lhs`.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  EDGENAS_ASSIGN_OR_RETURN_IMPL_(EDGENAS_CONCAT_(edgenas_statusor_, __LINE__), lhs, rexpr)

#define EDGENAS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return statusor.status();              \
  lhs = std::move(statusor).value()

#endif  // EDGENAS_COMMON_STATUS_MACROS_H_
