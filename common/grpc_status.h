// Conversion of absl::Status into grpc::Status for the RPC adapters.
#ifndef EDGENAS_COMMON_GRPC_STATUS_H_
#define EDGENAS_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace edgenas {

// Same code; the message is cut at 1,024 characters (clients get no more).
grpc::Status ToGrpcStatus(const absl::Status& status);

// Moves a StatusOr's value into *out, or converts its error.
template <typename T>
grpc::Status Reply(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return ToGrpcStatus(result.status());
  *out = std::move(*result);
  return grpc::Status::OK;
}

}  // namespace edgenas

#endif  // EDGENAS_COMMON_GRPC_STATUS_H_
